"""Let the C heap keep what synthesis frees, so the next tile reuses it (glibc only).

Synthesis allocates and frees tensors of megabytes to hundreds of MB for every chunk, tile and
block. glibc maps allocations above its mmap threshold (dynamic, at most 32 MB) afresh and
unmaps them on free, and gives the heap's top back to the system once more than twice that
threshold is free, so the same buffers are faulted in again and again: 4.9 million page faults
and about 25 s of system time in a 2048² run (0.37 million and 7 s with this). Raising both
thresholds keeps freed memory in the heap for reuse; the price is that peak RSS includes the
heap's free space.
"""

from __future__ import annotations

import ctypes
import platform

# glibc's <malloc.h>
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3


def keep_freed_memory(threshold: int = 1 << 30) -> bool:
    """Serve allocations below ``threshold`` bytes from the heap, and give the heap's top back
    to the system only when about twice that is free.

    Returns whether the C library took both settings (False off glibc, where nothing changes).
    """
    if platform.libc_ver()[0] != "glibc":
        return False
    mallopt = ctypes.CDLL(None).mallopt
    return bool(mallopt(M_MMAP_THRESHOLD, threshold)) and bool(mallopt(M_TRIM_THRESHOLD, 2 * threshold - 1))
