"""Let the C heap keep what synthesis frees, so the next tile reuses it (glibc only).

Synthesis allocates and frees tensors of tens to hundreds of MB for every tile and block.
glibc serves allocations above its mmap threshold (at most 32 MB by default) with fresh
mappings and unmaps them on free, so every tile faults all its pages in again: 4.9 million
page faults and about 25 s of system time in a 2048² run. Raising the mmap and trim
thresholds keeps freed memory in the heap for reuse; the price is that peak RSS includes the
heap's free space.
"""

from __future__ import annotations

import ctypes
import sys

# glibc's <malloc.h>
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3


def keep_freed_memory(threshold: int = 1 << 30) -> bool:
    """Serve allocations below ``threshold`` bytes from the heap and never trim it below that.

    Returns whether the C library took both settings (False off glibc, where nothing changes).
    """
    if not sys.platform.startswith("linux"):
        return False
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is None:
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, threshold)) and bool(mallopt(M_TRIM_THRESHOLD, 2 * threshold - 1))
