"""Single-threaded torch workers, one per core, for the independent parts of a block (CPU).

torch runs each operation on all its intra-op threads, which meet when the operation ends. Per
block the mixing alone makes thousands of small operations (256-pixel MLPs, elementwise passes,
strided copies), and inside and between them one core waits for the other: in a 2048² synthesis
the second core was idle for 27% of the mixing's time. Parts of a block that share nothing (its
cell rows: the head is a convolution over a one-pixel ring of the block, T's last layer is per
cell and the mixing per pixel) instead run on workers that each keep to one thread, so the
cores meet once per block rather than once per operation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import torch

T = TypeVar("T")
R = TypeVar("R")


class Workers:
    """``n`` threads whose torch operations each run on one thread (OpenMP's and MKL's thread
    counts are per thread). The calling thread keeps its own count."""

    def __init__(self, n: int) -> None:
        self.n = n
        threads = torch.get_num_threads()
        self._pool = ThreadPoolExecutor(n, thread_name_prefix="inss-geo-worker", initializer=_single_threaded)
        try:
            ready = threading.Barrier(n)  # n tasks that wait for each other: n threads, each initialised
            for started in [self._pool.submit(ready.wait) for _ in range(n)]:
                started.result()
        finally:
            torch.set_num_threads(threads)  # _single_threaded also set the process's default

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``[fn(item) for item in items]``, run concurrently; the first error is raised here."""
        return list(self._pool.map(fn, items))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _single_threaded() -> None:
    torch.get_num_threads()  # torch sets a thread's count from the process's when first asked ...
    torch.set_num_threads(1)  # ... so it is asked first, or that would undo this later
