"""Blend overlapping tile predictions into finished blocks with memory independent of width.

Tiles arrive in row-major order. Each is multiplied by its partition-of-unity blend weights
(:meth:`TileGrid.weights`); the part that the next tile in the row still touches is carried in
memory, and the strip that the next tile row touches is parked in a scratch file on disk. What
no later tile touches is returned as a finished block at once, so memory stays a few tiles'
worth however wide or tall the scene is.

Several layers can be stitched at once, each at its own resolution: per-pixel features
(1 element per pixel) and the hypernetwork grid (1 element per D pixels). A layer that a 3x3
convolution will read after blending gets its block with a one-element ring around it
(:class:`_Ring`).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .atomic import signals_deferred
from .tiling import TileGrid


@dataclass(frozen=True)
class Block:
    """A finished region in padded-raster pixel coordinates and each layer's blended values.

    ``layers[name]`` is ((y1 - y0) / pixels, (x1 - x0) / pixels, C) for that layer, channels last,
    and two more rows and columns for a layer with a ring.
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


class _Ring:
    """The one-element ring around each block of a layer, for a 3x3 convolution after blending.

    Above and left of a block the values are final: the last row of the tile row above
    (``above``) and the last column of the block before (``left``, kept with its ring rows).
    Below and right they hold the blend of every tile added so far (:meth:`Stitcher._past`);
    what later tiles add there is their weight at the first element of their ramp,
    sin^2(pi/4 / overlap) (4e-5 at 128 pixels), times their value. Beyond the padded extent, or
    a tile's edge when tiles do not overlap, it is 0, the zero padding the tiles' own
    convolution saw.
    """

    def __init__(self, width: int, channels: int) -> None:
        self.above = np.zeros((width + 2, channels), np.float32)  # element x at x + 1
        self.below = np.zeros_like(self.above)  # the tile row being finished
        self.left = np.zeros((0, channels), np.float32)

    def around(self, j: int, x0: int, block: np.ndarray, past: tuple[np.ndarray | None, np.ndarray | None]) -> np.ndarray:
        """Block (h, w, C) of tile column ``j`` at element ``x0`` -> (h + 2, w + 2, C) with its ring;
        ``past`` is the row below (w + 1 elements, with the corner) and the column right (h), None
        where the tile ends there."""
        h, w, c = block.shape
        if j == 0:  # a new tile row: the last one's bottom rows are now the row above
            self.above, self.below = self.below, self.above
            self.left = np.zeros((h + 2, c), np.float32)
        out = np.zeros((h + 2, w + 2, c), np.float32)
        out[1:-1, 1:-1] = block
        out[0] = self.above[x0 : x0 + w + 2]
        out[:, 0] = self.left
        row, col = past
        if row is not None:
            out[-1, 1 : 1 + len(row)] = row
        if col is not None:
            out[1:-1, -1] = col
        self.left = out[:, -2].copy()
        self.below[x0 + 1 : x0 + w + 1] = block[-1]
        return out


class Stitcher:
    """Blend tiles of several layers; see the module docstring.

    Args:
        rows, cols: Tile grids along y and x.
        layers: name -> (channels, pixels per element). Tile geometry must be divisible by
            every layer's pixels per element.
        scratch_dir: Where the pending strips live; defaults to the system temp directory.
        scratch_prefix: Name prefix of the scratch directory there.
        rings: Layers whose blocks come with a one-element ring (:class:`_Ring`).
    """

    def __init__(
        self, rows: TileGrid, cols: TileGrid, layers: dict[str, tuple[int, int]], scratch_dir: str | Path | None = None,
        scratch_prefix: str = "inss-geo-stitch-", rings: tuple[str, ...] = (),
    ) -> None:
        self.rows, self.cols, self.layers = rows, cols, layers
        self._rings = {name: _Ring(cols.padded // layers[name][1], layers[name][0]) for name in rings}
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
            dh, dw = done_h // px, done_w // px
            wy = self.rows.weights(i, (np.arange(tile.shape[0]) + 0.5) * px)
            wx = self.cols.weights(j, (np.arange(tile.shape[1]) + 0.5) * px)
            # torch for the arithmetic: multi-threaded, on the same memory as the numpy arrays
            weights = torch.from_numpy((wy[:, None, None] * wx[None, :, None]).astype(np.float32))
            acc = np.asarray(tile, dtype=np.float32)
            torch.from_numpy(acc).mul_(weights)
            if j > 0:
                carry = self._carry.pop(name)
                _add_into(acc[:, : carry.shape[1]], carry)
            if i > 0:
                strip = self._strips[name]
                _add_into(acc[: strip.rows, :dw], strip.read(x0 // px, dw))
            past = self._past(name, i, j, acc, dh, dw) if name in self._rings else None
            if j < self.cols.count - 1:
                self._carry[name] = acc[:, dw:].copy()  # a copy, so the rest of the tile can be freed
            if i < self.rows.count - 1:
                self._strips[name].write(x0 // px, acc[dh:, :dw])
            out[name] = acc[:dh, :dw] if past is None else self._rings[name].around(j, x0 // px, acc[:dh, :dw], past)
        return Block(y0, y0 + done_h, x0, x0 + done_w, out)

    def _past(self, name: str, i: int, j: int, acc: np.ndarray, dh: int, dw: int) -> tuple[np.ndarray | None, np.ndarray | None]:
        """The blend so far just past the (dh, dw) block of tile (i, j), whose ``acc`` holds its
        weighted values plus what the tiles before it left there: the row below (with the corner)
        and the column right; None where the tile ends.

        The row of tiles above also reaches past the block's right edge; what it left there is
        parked in the strip with the next tile column, whose first column it is.
        """
        row = acc[dh, : dw + 1].copy() if acc.shape[0] > dh else None
        col = acc[:dh, dw].copy() if acc.shape[1] > dw else None
        if i > 0 and col is not None:
            px = self.layers[name][1]
            start, end = self.cols.origin(j + 1) // px, self.cols.done_until(j + 1) // px
            above = self._strips[name].read(start, end - start)[:, 0]  # (overlap rows, C); overlap <= dh
            col[: len(above)] += above
        return row, col

    def close(self) -> None:
        """Remove the scratch files, with signals held: a second Ctrl-C must not leave them."""
        with signals_deferred():
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
