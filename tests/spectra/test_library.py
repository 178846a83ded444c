from pathlib import Path

import numpy as np
import pytest

from inss_geo.errors import ConfigError, SensorMismatchError
from inss_geo.spectra.library import (
    convolve_gaussian,
    default_library,
    export_library,
    library_for_sensor,
    load_library,
)
from inss_geo.spectra.sensors import aviris_classic, from_wavelengths

FIXTURE = Path(__file__).parents[1] / "data" / "usgs_av95_rows.npz"


def test_default_library_is_the_papers_345():
    lib = default_library()
    assert lib.spectra.shape == (345, 224)
    assert lib.summary()["chapters"] == {
        "ArtificialMaterials": 84,
        "Coatings": 11,
        "Liquids": 14,
        "SoilsAndMixtures": 164,
        "Vegetation": 72,
    }
    assert len(set(lib.names)) == 345
    assert np.all(lib.spectra > 0) and np.all(lib.spectra < 1.5)


def test_convolution_reproduces_usgs_aviris1995():
    """Oversampled splib07b -> official AVIRIS-1995 centres/FWHM matches USGS's own rows.

    Tolerance: per-spectrum max |difference| below 0.02 reflectance for every spectrum,
    median of those below 0.004, and median per-value difference below 0.0005
    (channel 224, beyond the 2.5 um ASD range, excluded).
    """
    ref = np.load(FIXTURE)
    sensor = from_wavelengths("av95", ref["wavelengths_um"] * 1000.0, ref["fwhm_um"] * 1000.0)
    got = library_for_sensor(sensor).spectra[ref["library_index"]][:, :223]
    want = ref["spectra"][:, :223].astype(np.float64)
    measured = want > float(ref["deleted_value"]) / 10
    diff = np.where(measured, np.abs(got - want), np.nan)
    per_spectrum = np.nanmax(diff, axis=1)
    assert len(per_spectrum) >= 330
    assert np.nanmax(per_spectrum) < 0.02
    assert np.nanmedian(per_spectrum) < 0.004
    assert np.nanmedian(diff) < 0.0005


def test_convolve_gaussian_of_a_line_is_the_line():
    wl = np.arange(400.0, 2500.0, 1.0)
    spectra = np.stack([np.full_like(wl, 0.3), 0.1 + wl / 10000])
    out = convolve_gaussian(wl, spectra, np.array([500.0, 1500.0]), np.array([10.0, 10.0]))
    np.testing.assert_allclose(out[0], 0.3, rtol=1e-9)
    np.testing.assert_allclose(out[1], [0.15, 0.25], rtol=1e-6)


def test_uncovered_channels_are_nan():
    wl = np.arange(400.0, 1000.0)
    out = convolve_gaussian(wl, np.ones((1, wl.size)), np.array([700.0, 2000.0]), np.array([10.0, 10.0]))
    assert out[0, 0] == pytest.approx(1.0) and np.isnan(out[0, 1])


def test_library_for_aviris_is_the_usgs_convolution():
    assert library_for_sensor(aviris_classic()).spectra is not None
    np.testing.assert_array_equal(library_for_sensor(aviris_classic()).spectra, default_library().spectra)


def test_library_for_other_sensor_is_finite(library):
    assert library.spectra.shape == (345, 24)
    assert np.isfinite(library.spectra).all()


def test_sensor_outside_library_range_is_refused():
    with pytest.raises(SensorMismatchError, match="outside"):
        library_for_sensor(from_wavelengths("thermal", np.linspace(8000, 12000, 10), np.full(10, 100.0)))


def test_filter_chapters():
    veg = default_library().filter_chapters(["vegetation"])
    assert veg.n_spectra == 72 and set(veg.chapters) == {"Vegetation"}
    with pytest.raises(ConfigError):
        default_library().filter_chapters(["Minerals"])


@pytest.mark.parametrize("suffix", [".csv", ".sli"])
def test_export_and_reload(tmp_path, suffix):
    lib = default_library().filter_chapters(["Coatings"])
    path = export_library(lib, tmp_path / f"lib{suffix}")
    back = load_library(path, lib.sensor)
    assert back.names == lib.names
    np.testing.assert_allclose(back.spectra, lib.spectra, atol=1e-5)


def test_csv_with_wrong_channel_count_names_both(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("name," + ",".join(map(str, range(10))) + "\nx," + ",".join(["0.1"] * 10) + "\n")
    with pytest.raises(SensorMismatchError, match="10 channels.*224"):
        load_library(p, aviris_classic())
