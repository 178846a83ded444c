import numpy as np
import rasterio
from rasterio.transform import from_origin

from inss_geo.io.raster_metadata import read_wavelengths


def test_envi_header_lists(tmp_path):
    img = tmp_path / "cube.img"
    np.zeros((3, 2, 2), dtype="<i2").tofile(img)
    (tmp_path / "cube.hdr").write_text(
        "ENVI\nsamples = 2\nlines = 2\nbands = 3\nheader offset = 0\nfile type = ENVI Standard\n"
        "data type = 2\ninterleave = bsq\nbyte order = 0\nwavelength units = Micrometers\n"
        "wavelength = { 0.45, 0.55, 0.65 }\nfwhm = { 0.01, 0.01, 0.02 }\n"
    )
    wl, fw = read_wavelengths(img)
    np.testing.assert_allclose(wl, [450, 550, 650])
    np.testing.assert_allclose(fw, [10, 10, 20])


def test_geotiff_band_tags(tmp_path):
    p = tmp_path / "t.tif"
    profile = dict(driver="GTiff", width=2, height=2, count=2, dtype="float32", crs="EPSG:32611",
                   transform=from_origin(0, 0, 1, 1))
    with rasterio.open(p, "w", **profile) as dst:
        dst.write(np.zeros((2, 2, 2), dtype="float32"))
        for b, w in enumerate([500.0, 600.0], start=1):
            dst.update_tags(b, wavelength=str(w), wavelength_units="nm", fwhm="5")
    wl, fw = read_wavelengths(p)
    np.testing.assert_allclose(wl, [500, 600])
    np.testing.assert_allclose(fw, [5, 5])


def test_raster_without_wavelengths(tmp_path):
    p = tmp_path / "rgb.tif"
    with rasterio.open(p, "w", driver="GTiff", width=2, height=2, count=3, dtype="uint8") as dst:
        dst.write(np.zeros((3, 2, 2), dtype="uint8"))
    assert read_wavelengths(p) == (None, None)
