import numpy as np
import pytest

from inss_geo.errors import ConfigError
from inss_geo.spectra.sensors import (
    Sensor,
    aviris_classic,
    from_csv,
    from_wavelengths,
    get_sensor,
)


def test_aviris_classic_channels():
    s = aviris_classic()
    assert s.n_channels == 224
    assert s.kept.sum() == 196
    # water channels 104-114 and 152-168 (1-based) are excluded
    assert not s.kept[103:114].any() and not s.kept[151:168].any()
    assert s.kept[102] and s.kept[114] and s.kept[150] and s.kept[168]
    assert s.rgb == (35, 18, 8)
    r, g, b = s.wavelengths_nm[list(s.rgb)]
    assert 670 < r < 700 and 530 < g < 565 and 440 < b < 465


def test_other_sensor_rgb_is_nearest_to_colour_targets():
    s = from_wavelengths("x", np.arange(400, 1000, 10.0))
    assert [s.wavelengths_nm[i] for i in s.rgb] == [650, 550, 460]
    assert s.kept.all()  # no water-absorption channel below 1 um


def test_sensor_config_roundtrip():
    s = aviris_classic()
    back = Sensor.from_config(s.to_config())
    assert back.same_channels(s) and back.rgb == s.rgb and (back.kept == s.kept).all()


def test_sensor_from_csv(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("wavelength_nm,fwhm_nm\n" + "\n".join(f"{w},10" for w in range(450, 2450, 20)))
    s = from_csv(p)
    assert s.n_channels == 100 and np.all(s.fwhm_nm == 10)
    assert not s.kept.all()  # 1.4 and 1.9 um water bands dropped


def test_unknown_sensor_lists_choices():
    with pytest.raises(ConfigError, match="aviris-classic"):
        get_sensor("nonsense")
