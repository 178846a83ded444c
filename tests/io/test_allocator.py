import platform
import subprocess
import sys

import pytest

# Where a 64 MB tensor's memory comes from, allocated on the main thread and on another one:
# below the heap's break (reusable after free) or a mapping of its own (unmapped on free, so the
# next block faults all its pages in again).
PROBE = """
import ctypes, sys, threading
import torch
from inss_geo.io.allocator import keep_freed_memory
took = keep_freed_memory() if sys.argv[1] == "keep" else None
sbrk = ctypes.CDLL(None).sbrk
sbrk.restype = ctypes.c_void_p
below = []
def probe():
    x = torch.ones(1 << 24)
    below.append(x.data_ptr() < sbrk(0))
probe()
thread = threading.Thread(target=probe)
thread.start()
thread.join()
print(took, *below)
"""


def _probe(mode: str) -> list[str]:
    return subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True).stdout.split()


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt and its thresholds are glibc's")
def test_large_tensors_come_from_the_heap():
    assert _probe("default") == ["None", "False", "False"]  # the behaviour being changed
    assert _probe("keep") == ["True", "True", "True"]

