import os

import numpy as np
import pytest

from inss_geo.raster_io import BackgroundWriter, OutputRaster


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
