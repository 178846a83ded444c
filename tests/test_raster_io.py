import os
import sys
import threading

import pytest

from inss_geo.raster_io import WRITER_NICENESS, BackgroundWriter


class _Probe:
    """Stands in for an OutputRaster: records the priority its write runs at."""

    def write(self, data, row, col):
        self.nice = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_writer_thread_runs_below_the_callers_priority():
    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    writer, probe = BackgroundWriter(), _Probe()
    writer.put(probe, None, 0, 0)
    writer.close()
    assert probe.nice == min(19, before + WRITER_NICENESS)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before  # the caller keeps its own


def test_a_write_error_reaches_the_caller():
    class Broken:
        def write(self, data, row, col):
            raise OSError("No space left on device")

    writer = BackgroundWriter()
    writer.put(Broken(), None, 0, 0)
    with pytest.raises(OSError, match="No space left"):
        writer.close()
