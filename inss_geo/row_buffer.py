"""A row of blocks of a raw (ENVI) raster, gathered in memory and written to disk in one go.

Blocks arrive in rows, top to bottom, and in BIL or BIP a row of blocks is one contiguous
stretch of the file once all its blocks are in. Written then with ``O_DIRECT``, it goes from
this buffer to the disk without the page cache, whose pages (one per line of every band, for
each row's first block) the kernel would otherwise allocate and zero-fill. In this VM memory
it has not touched for a while is slow to get (the host faults it back in, about 0.3 GB/s), so
those pages were most of the writer's cost: 0.1-0.9 s of CPU for the first block of each row of
a 2048-wide, 224-band raster, 0.02 s for each of its other blocks. The buffer is taken once, from
the heap, which keeps the memory it gets back (:mod:`allocator`).
"""

from __future__ import annotations

import errno
import os

import numpy as np

#: file offsets, lengths and memory of ``O_DIRECT`` writes are multiples of this: the largest
#: logical block size in use (512 or 4096 bytes)
DIRECT_ALIGN = 4096


class RowBuffer:
    """Gathers the blocks of one row of blocks of a BIL or BIP raw file and writes the row when
    the next row starts (:meth:`put`) or at :meth:`flush`. The blocks of a row must together
    cover its width once, or the flush refuses to write it.

    Args:
        path: The raw file, already at its full size.
        interleave: ``bil`` or ``bip``.
        line: Shape of one line of the file: (bands, width) for BIL, (width, bands) for BIP.
        dtype: Its data type, byte order included.
        lines: The most lines a row of blocks has.
    """

    def __init__(self, path: str | os.PathLike, interleave: str, line: tuple[int, int], dtype: np.dtype,
                 lines: int) -> None:
        self.interleave, self.line, self.dtype, self.lines = interleave, line, dtype, lines
        self.line_bytes = line[0] * line[1] * dtype.itemsize
        self.width = line[1] if interleave == "bil" else line[0]
        self._memory: np.ndarray | None = None  # taken at the first block
        self._fd = os.open(path, os.O_WRONLY)
        try:
            self._direct = _open_direct(path)
        except OSError:
            os.close(self._fd)
            raise
        self._row = 0  # the first line of the row held ...
        self._rows: np.ndarray | None = None  # ... and its lines (None: none held)
        self._columns = 0  # how many of the row's columns its blocks have filled

    def put(self, data: np.ndarray, row: int, col: int) -> None:
        """Copy a block (bands, h, w) at pixel (row, col) in; a new ``row`` writes the one held first."""
        if self._rows is None or row != self._row:
            self.flush()
            self._start(row, data.shape[1])
        h, w = data.shape[1:]
        self._columns += w
        if self.interleave == "bil":  # (lines, bands, width)
            self._rows[:h, :, col : col + w] = data.transpose(1, 0, 2)
        else:  # bip: (lines, width, bands)
            self._rows[:h, col : col + w] = data.transpose(1, 2, 0)

    def flush(self) -> None:
        """Write the row held, if any: the aligned middle with ``O_DIRECT``, the ends through the
        page cache."""
        if self._rows is None:
            return
        if self._columns != self.width:  # what the blocks left out would be whatever memory held
            raise ValueError(f"the row of blocks at line {self._row} has {self._columns} of {self.width} columns")
        offset = self._row * self.line_bytes
        data = memoryview(self._rows).cast("B")  # its address is aligned where the file's offset is
        head = min(len(data), -offset % DIRECT_ALIGN)
        body = (len(data) - head) // DIRECT_ALIGN * DIRECT_ALIGN
        _write_all(self._fd, data[:head], offset)
        if self._direct is not None:
            try:
                _write_all(self._direct, data[head : head + body], offset + head)
            except OSError as exc:  # an alignment this file system does not take
                if exc.errno != errno.EINVAL:
                    raise
                os.close(self._direct)
                self._direct = None
        if self._direct is None:
            _write_all(self._fd, data[head : head + body], offset + head)
        _write_all(self._fd, data[head + body :], offset + head + body)
        self._rows = None

    def close(self) -> None:
        """Release the file (what is held and not flushed is dropped)."""
        for fd in (self._fd, self._direct):
            if fd is not None:
                os.close(fd)
        self._fd = self._direct = self._memory = self._rows = None

    def _start(self, row: int, lines: int) -> None:
        if lines > self.lines:
            raise ValueError(f"a block of {lines} lines; the buffer holds {self.lines}")
        if self._memory is None:
            heap = np.empty(self.lines * self.line_bytes + 2 * DIRECT_ALIGN, np.uint8)
            self._memory = heap[-heap.ctypes.data % DIRECT_ALIGN :]  # starts on an aligned address
        start = row * self.line_bytes % DIRECT_ALIGN
        self._row, self._columns = row, 0
        self._rows = self._memory[start : start + lines * self.line_bytes].view(self.dtype).reshape(lines, *self.line)


def _open_direct(path: str | os.PathLike) -> int | None:
    """A descriptor for ``O_DIRECT`` writes, or None where the system or file system has none."""
    flag = getattr(os, "O_DIRECT", 0)
    if not flag:
        return None
    try:
        return os.open(path, os.O_WRONLY | flag)
    except OSError as exc:
        if exc.errno == errno.EINVAL:
            return None
        raise


def _write_all(fd: int, data: memoryview, offset: int) -> None:
    while len(data):
        n = os.pwrite(fd, data, offset)
        data, offset = data[n:], offset + n
