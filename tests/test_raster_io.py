import pytest

from inss_geo.raster_io import BackgroundWriter


def test_a_write_error_reaches_the_caller():
    class Broken:
        def write(self, data, row, col):
            raise OSError("No space left on device")

    writer = BackgroundWriter()
    writer.put(Broken(), None, 0, 0)
    with pytest.raises(OSError, match="No space left"):
        writer.close()
