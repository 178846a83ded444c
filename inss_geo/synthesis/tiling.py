"""Tile geometry for synthesis: pure window arithmetic, no I/O.

The output is cut into blocks of ``tile`` x ``tile`` pixels that do not overlap. The model reads
each block with a margin of ``margin`` pixels around it, at least its receptive radius
(:mod:`model.receptive_field`), so what it computes in the block is what a pass over the whole
image computes there: the output does not depend on the tiling. Block origins and the margin
are multiples of the model's multiple (2^stages pixels), so every window's U-Net pyramid and
hypernetwork cells line up with one global grid. Beyond the raster's edge the input is the
raster reflected (:func:`reflect_index`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError


@dataclass(frozen=True)
class TileGrid:
    """Output blocks along one axis and the windows the model reads for them.

    Attributes:
        size: Raster size along the axis.
        tile: Block length.
        margin: Pixels read on each side of a block.
    """

    size: int
    tile: int
    margin: int

    @property
    def count(self) -> int:
        """Number of blocks along the axis."""
        return math.ceil(self.size / self.tile)

    @property
    def window(self) -> int:
        """Length of the window the model reads for one block."""
        return self.tile + 2 * self.margin

    def origin(self, i: int) -> int:
        """First pixel of block ``i``; its window starts ``margin`` before it."""
        return i * self.tile

    def length(self, i: int) -> int:
        """Pixels of block ``i`` inside the raster."""
        return min(self.tile, self.size - self.origin(i))


def make_grid(size: int, tile: int, margin: int, multiple: int) -> TileGrid:
    """Grid along one axis; a raster smaller than a tile gets one block of the smallest multiple."""
    if tile % multiple:
        raise ConfigError(f"--tile {tile} must be a multiple of {multiple}")
    if margin % multiple:
        raise ValueError(f"margin {margin} is not a multiple of {multiple}")
    return TileGrid(size, min(tile, math.ceil(size / multiple) * multiple), margin)


def reflect_index(idx: np.ndarray, size: int) -> np.ndarray:
    """Map positions beyond [0, size) back into it by reflection (edge pixel not repeated)."""
    if size == 1:
        return np.zeros_like(idx)
    period = 2 * (size - 1)
    m = np.mod(idx, period)
    return np.where(m > size - 1, period - m, m)
