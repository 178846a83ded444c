import numpy as np
import pytest
import rasterio
import scipy.io

from inss_geo.errors import InputFileError, SensorMismatchError
from inss_geo.spectra.sensors import aviris_classic
from inss_geo.training.scenes import load_scene, read_channel_list

from ..conftest import WAVELENGTHS


def test_npz_with_wavelengths_maps_every_band(scene_files, sensor):
    scene = load_scene(scene_files[0], sensor)
    assert scene.cube.shape == (24, 70, 64)
    np.testing.assert_array_equal(scene.channel_index, np.arange(24))
    assert scene.valid.all()


def test_subset_of_channels_gives_a_channel_mask(tmp_path, library, sensor):
    keep = [0, 2, 3, 5, 8, 9, 10, 12, 15, 20]
    cube = np.random.default_rng(0).random((8, 8, 24)).astype(np.float32)[..., keep]
    p = tmp_path / "sub.npz"
    np.savez(p, cube=cube, wavelengths_nm=WAVELENGTHS[keep])
    scene = load_scene(p, sensor)
    np.testing.assert_array_equal(scene.channel_index, keep)
    assert scene.channel_mask(sensor).sum() == np.sum(sensor.kept[keep])
    full = scene.on_sensor(sensor)
    assert full.shape == (24, 8, 8) and not full[1].any()


def test_mat_with_channel_list(tmp_path):
    cube = np.arange(4 * 5 * 3, dtype=np.int16).reshape(4, 5, 3) + 1
    scipy.io.savemat(tmp_path / "x.mat", {"data": cube})
    (tmp_path / "ch.csv").write_text(
        "scene,band_index_0based,aviris_channel_1based\nx,0,10\nx,1,11\nx,2,40\n"
    )
    scene = load_scene(tmp_path / "x.mat", aviris_classic(), channel_lists=read_channel_list(tmp_path / "ch.csv"))
    np.testing.assert_array_equal(scene.channel_index, [9, 10, 39])
    np.testing.assert_array_equal(scene.cube[2], cube[..., 2])


def test_no_wavelengths_and_no_sensor_is_refused(tmp_path):
    np.savez(tmp_path / "x.npz", cube=np.ones((4, 4, 224), dtype=np.float32))
    with pytest.raises(SensorMismatchError, match="no wavelengths.*--sensor"):
        load_scene(tmp_path / "x.npz", aviris_classic())
    assert load_scene(tmp_path / "x.npz", aviris_classic(), sensor_given=True).cube.shape[0] == 224


def test_band_count_mismatch_names_both_counts(tmp_path):
    np.savez(tmp_path / "x.npz", cube=np.ones((4, 4, 205), dtype=np.float32))
    with pytest.raises(SensorMismatchError, match="205 bands.*224 channels"):
        load_scene(tmp_path / "x.npz", aviris_classic(), sensor_given=True)


def test_foreign_wavelengths_are_refused(tmp_path, sensor):
    np.savez(tmp_path / "x.npz", cube=np.ones((4, 4, 5), dtype=np.float32), wavelengths_nm=np.linspace(8000, 9000, 5))
    with pytest.raises(SensorMismatchError, match="do not match"):
        load_scene(tmp_path / "x.npz", sensor)


@pytest.mark.parametrize("content", [b"", b"this is not a raster", b"\x89PNG\r\n\x1a\n"])
def test_unreadable_file_is_named(tmp_path, sensor, content):
    p = tmp_path / "broken.tif"
    p.write_bytes(content)
    with pytest.raises(InputFileError, match="broken.tif"):
        load_scene(p, sensor)


def test_missing_file(tmp_path, sensor):
    with pytest.raises(InputFileError, match="not found"):
        load_scene(tmp_path / "nope.tif", sensor)


def test_nodata_and_empty_bands(tmp_path, sensor):
    cube = np.full((24, 6, 6), 100, dtype=np.int16)
    cube[:, 0, 0] = -9999
    cube[5] = 0  # a zero-filled band: absent, not dark
    p = tmp_path / "s.tif"
    with rasterio.open(p, "w", driver="GTiff", width=6, height=6, count=24, dtype="int16", nodata=-9999) as dst:
        dst.write(cube)
        for b, w in enumerate(WAVELENGTHS, start=1):
            dst.update_tags(b, wavelength=str(w), wavelength_units="nm")
    scene = load_scene(p, sensor)
    assert not scene.valid[0, 0] and scene.valid.sum() == 35
    assert 5 not in scene.channel_index and scene.cube.shape[0] == 23
    assert (scene.cube[:, 0, 0] == 0).all()
