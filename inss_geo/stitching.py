"""Blend overlapping tile predictions into finished blocks with memory independent of width.

Tiles arrive in row-major order. Each is multiplied by its partition-of-unity blend weights
(:meth:`TileGrid.weights`); the part that the next tile in the row still touches is carried in
memory, and the strip that the next tile row touches is parked in a scratch file on disk. What
no later tile touches is returned as a finished block at once, so memory stays a few tiles'
worth however wide or tall the scene is.

Several layers can be stitched at once, each at its own resolution: per-pixel abundances
(1 element per pixel) and the hypernetwork grid (1 element per D pixels).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .tiling import TileGrid


@dataclass(frozen=True)
class Block:
    """A finished region in padded-raster pixel coordinates and each layer's blended values.

    ``layers[name]`` is ((y1 - y0) / pixels, (x1 - x0) / pixels, C) for that layer, channels last.
    """

    y0: int
    y1: int
    x0: int
    x1: int
    layers: dict[str, np.ndarray]


class _Strip:
    """The pending bottom strip of one layer in a scratch file, one contiguous chunk per tile column.

    Every tile row has the same columns, so the chunk tile (i, j) parks is exactly the one tile
    (i + 1, j) reads back: one sequential write and read per tile, no transposes.
    """

    def __init__(self, path: Path, rows: int, cols: int, channels: int) -> None:
        self.rows, self.channels = rows, channels
        self.fh = open(path, "w+b")
        self.fh.truncate(rows * cols * channels * 4)

    def _seek(self, col0: int) -> None:
        self.fh.seek(col0 * self.rows * self.channels * 4)

    def write(self, col0: int, data: np.ndarray) -> None:
        """Park data (rows, w, C) of the tile column starting at ``col0``."""
        self._seek(col0)
        np.ascontiguousarray(data, dtype=np.float32).tofile(self.fh)

    def read(self, col0: int, width: int) -> np.ndarray:
        """The (rows, width, C) chunk parked for the tile column starting at ``col0``."""
        self._seek(col0)
        count = self.channels * self.rows * width
        return np.fromfile(self.fh, dtype=np.float32, count=count).reshape(self.rows, width, self.channels)

    def close(self) -> None:
        self.fh.close()


class Stitcher:
    """Blend tiles of several layers; see the module docstring.

    Args:
        rows, cols: Tile grids along y and x.
        layers: name -> (channels, pixels per element). Tile geometry must be divisible by
            every layer's pixels per element.
        scratch_dir: Where the pending strips live; defaults to the system temp directory.
        scratch_prefix: Name prefix of the scratch directory there.
    """

    def __init__(
        self, rows: TileGrid, cols: TileGrid, layers: dict[str, tuple[int, int]], scratch_dir: str | Path | None = None,
        scratch_prefix: str = "inss-geo-stitch-",
    ) -> None:
        self.rows, self.cols, self.layers = rows, cols, layers
        self._tmp = tempfile.TemporaryDirectory(prefix=scratch_prefix, suffix=".part", dir=scratch_dir)
        self._strips: dict[str, _Strip] = {}
        if rows.count > 1:
            for name, (channels, px) in layers.items():
                self._strips[name] = _Strip(
                    Path(self._tmp.name) / f"{name}.f32", rows.overlap // px, cols.padded // px, channels
                )
        self._carry: dict[str, np.ndarray] = {}
        self._next = (0, 0)

    def add(self, i: int, j: int, tiles: dict[str, np.ndarray]) -> Block:
        """Add tile (i, j) (row-major order) and return the block it finishes.

        ``tiles[name]`` is (tile_h / px, tile_w / px, C) for each layer, channels last (the layout
        the per-pixel mixing reads). The tiles are consumed: they are weighted in place.
        """
        if (i, j) != self._next:
            raise ValueError(f"tiles must arrive in row-major order: expected {self._next}, got {(i, j)}")
        self._next = (i, j + 1) if j + 1 < self.cols.count else (i + 1, 0)
        y0, x0 = self.rows.origin(i), self.cols.origin(j)
        done_h, done_w = self.rows.done_until(i) - y0, self.cols.done_until(j) - x0
        out = {}
        for name, tile in tiles.items():
            px = self.layers[name][1]
            wy = self.rows.weights(i, (np.arange(tile.shape[0]) + 0.5) * px)
            wx = self.cols.weights(j, (np.arange(tile.shape[1]) + 0.5) * px)
            # torch for the arithmetic: multi-threaded, on the same memory as the numpy arrays
            weights = torch.from_numpy((wy[:, None, None] * wx[None, :, None]).astype(np.float32))
            acc = np.asarray(tile, dtype=np.float32)
            torch.from_numpy(acc).mul_(weights)
            if j > 0:
                carry = self._carry.pop(name)
                _add_into(acc[:, : carry.shape[1]], carry)
            dh, dw = done_h // px, done_w // px
            if i > 0:
                strip = self._strips[name]
                _add_into(acc[: strip.rows, :dw], strip.read(x0 // px, dw))
            if j < self.cols.count - 1:
                self._carry[name] = acc[:, dw:].copy()  # a copy, so the rest of the tile can be freed
            if i < self.rows.count - 1:
                self._strips[name].write(x0 // px, acc[dh:, :dw])
            out[name] = acc[:dh, :dw]
        return Block(y0, y0 + done_h, x0, x0 + done_w, out)

    def close(self) -> None:
        """Remove the scratch files."""
        for s in self._strips.values():
            s.close()
        self._tmp.cleanup()

    def __enter__(self) -> Stitcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _add_into(dst: np.ndarray, src: np.ndarray) -> None:
    """dst += src in place (dst may be a strided view)."""
    torch.from_numpy(dst).add_(torch.from_numpy(src))
