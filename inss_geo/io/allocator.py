"""Let the C heap keep what synthesis frees, so the next tile reuses it (glibc only).

Synthesis allocates and frees tensors of megabytes to hundreds of MB for every chunk, tile and
block. glibc maps allocations above its mmap threshold (dynamic, at most 32 MB) afresh and
unmaps them on free, and gives the heap's top back to the system once more than twice that
threshold is free, so the same buffers are faulted in again and again: 4.9 million page faults
and about 25 s of system time in a 2048² run (0.37 million and 7 s with this). Raising both
thresholds keeps freed memory in the heap for reuse; the price is that peak RSS includes the
heap's free space.

Threads other than the first get heaps of their own ("arenas"), which glibc caps at 64 MB each,
so their larger tensors were mapped afresh whatever the thresholds: with synthesis's blocks
computed on worker threads, a 2048² run took 2.65 million page faults and 8.3 s of system time
(0.44 million and 2.9 s, and 31.3 s against 32.2 s, with every thread on the one heap).
"""

from __future__ import annotations

import ctypes
import platform

# glibc's <malloc.h>
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8


def keep_freed_memory(threshold: int = 1 << 30) -> bool:
    """Serve allocations below ``threshold`` bytes from the heap, every thread's from the same
    one, and give the heap's top back to the system only when about twice that is free.

    Returns whether the C library took the settings (False off glibc, where nothing changes).
    Call it before starting threads: a thread keeps the heap it first allocated from.
    """
    if platform.libc_ver()[0] != "glibc":
        return False
    mallopt = ctypes.CDLL(None).mallopt
    return all(mallopt(option, value) for option, value in
               ((M_ARENA_MAX, 1), (M_MMAP_THRESHOLD, threshold), (M_TRIM_THRESHOLD, 2 * threshold - 1)))

