import os

import numpy as np
import pytest
import rasterio

from inss_geo.io.raster_io import BackgroundWriter, OutputRaster


def test_a_write_error_reaches_the_caller():
    class Broken:
        def write(self, data, row, col):
            raise OSError("No space left on device")

    writer = BackgroundWriter()
    writer.put(Broken(), None, 0, 0)
    with pytest.raises(OSError, match="No space left"):
        writer.close()


def test_cached_pages_are_released_once_per_row_of_blocks_before_its_first_write(tmp_path, monkeypatch):
    bands, height, width, block = 3, 8, 6, 4
    raster = OutputRaster(tmp_path / "x.envi", "ENVI", {"width": width, "height": height, "count": bands,
                                                       "dtype": "int16", "crs": None, "nodata": -1}, [])
    events = []
    original = raster._write_raw
    monkeypatch.setattr(os, "posix_fadvise", lambda fd, offset, length, advice: events.append(("release", offset, length)),
                        raising=False)
    monkeypatch.setattr(raster, "_write_raw", lambda data, row, col: (events.append(("write", row, col)),
                                                                     original(data, row, col)))
    for row in (0, block):
        for col in (0, block):
            raster.write(np.ones((bands, block, min(block, width - col)), np.int16), row, col)
    line = bands * width * 2  # one BIL row of every band, int16
    assert events == [("write", 0, 0), ("write", 0, 4), ("release", 0, block * line), ("write", 4, 0), ("write", 4, 4)]
    raster.commit()


@pytest.mark.parametrize("interleave", ["bsq", "bil", "bip"])
def test_blocks_written_in_rows_read_back_as_one_cube(tmp_path, interleave):
    bands, height, width, block = 3, 10, 6, 4  # rows of 4, 4 and 2 lines
    cube = np.random.default_rng(0).integers(-999, 999, (bands, height, width), dtype=np.int16)
    raster = OutputRaster(tmp_path / "x.envi", "ENVI", {"width": width, "height": height, "count": bands,
                                                       "dtype": "int16", "crs": None, "nodata": -1000}, [],
                          interleave=interleave)
    for row in range(0, height, block):
        for col in (0, block):
            raster.write(np.ascontiguousarray(cube[:, row : row + block, col : col + block]), row, col)
    with rasterio.open(raster.commit()) as ds:
        assert np.array_equal(ds.read(), cube)
