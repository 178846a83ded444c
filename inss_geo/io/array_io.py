"""A NumPy ``.npy`` array written block by block, with the same temporary-then-rename life as
:class:`raster_io.OutputRaster`, so synthesis can commit or abort it with the rasters.

For the mixing-parameter grid: tens of thousands of values per cell are no raster a GIS can
show (a 45,938-band GeoTIFF took minutes to write and gigabytes for a small scene), but as a
``.npy`` they are one memory-mappable array that ``numpy.load(path, mmap_mode="r")`` opens at
once, cell (row, column) at ``[row, column]``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from .atomic import temp_prefix


class OutputArray:
    """A (rows, cols, values) float32 ``.npy`` at ``path``, filled by :meth:`write` through
    positioned writes (a memory map would count every page it touched in the process's memory
    until closed). Every cell must be written once."""

    def __init__(self, path: str | Path, shape: tuple[int, int, int]) -> None:
        self.final = Path(path)
        self.shape = shape
        self._tmpdir = Path(tempfile.mkdtemp(prefix=temp_prefix(self.final), suffix=".part", dir=self.final.parent or "."))
        self.tmp = self._tmpdir / self.final.name
        self._file = open(self.tmp, "w+b")  # noqa: SIM115 - closed in finish or abort
        np.lib.format.write_array_header_1_0(self._file, {"descr": "<f4", "fortran_order": False, "shape": shape})
        self._offset = self._file.tell()
        self._file.truncate(self._offset + 4 * int(np.prod(shape)))

    def write(self, data: np.ndarray, row: int, col: int) -> None:
        """Write cells (h, w, values) at cell (row, col): one write per cell row."""
        _, cols, values = self.shape
        data = np.ascontiguousarray(data, dtype="<f4")
        for r in range(data.shape[0]):
            at = self._offset + 4 * ((row + r) * cols + col) * values
            view = memoryview(data[r]).cast("B")
            while view:
                n = os.pwrite(self._file.fileno(), view, at)
                view, at = view[n:], at + n

    def finish(self) -> None:
        """Flush to disk: the work that can fail, before :meth:`commit`."""
        if not self._file.closed:
            self._file.close()

    def commit(self) -> Path:
        """Move the finished file into place (after :meth:`finish`)."""
        self.finish()
        os.replace(self.tmp, self.final)
        shutil.rmtree(self._tmpdir, ignore_errors=True)
        return self.final

    def abort(self) -> None:
        """Remove everything written so far."""
        if not self._file.closed:
            self._file.close()
        shutil.rmtree(self._tmpdir, ignore_errors=True)
