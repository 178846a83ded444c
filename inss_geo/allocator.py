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

Memory this VM has not touched for a while is slow to get: the host faults each page back in,
about 0.3 GB/s. ``warm_heap`` has a thread touch part of the heap while the command imports
torch (1.7 s on one core, the other idle), so what synthesis then allocates is memory already
touched.
"""

from __future__ import annotations

import ctypes
import platform
import threading

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


def warm_heap(nbytes: int) -> threading.Thread | None:
    """Touch ``nbytes`` of the heap on a background thread and give them back to it, for the
    process's later allocations to reuse; once per process.

    Only after :func:`keep_freed_memory` with a threshold above ``nbytes``, or the memory goes
    back to the system when freed. Returns the thread, or None where there is nothing to do
    (off glibc, or warmed already).
    """
    global _warmed
    if _warmed or platform.libc_ver()[0] != "glibc":
        return None
    _warmed = True
    libc = ctypes.CDLL(None)
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]

    def touch() -> None:  # ctypes lets go of the GIL in each call: the import goes on meanwhile
        if address := libc.malloc(nbytes):
            libc.memset(address, 0, nbytes)
            libc.free(address)

    thread = threading.Thread(target=touch, name="inss-geo-warm-heap", daemon=True)
    thread.start()
    return thread


_warmed = False
