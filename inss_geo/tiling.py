"""Tile geometry for synthesis: pure window arithmetic, no I/O.

Tiles are ``tile`` x ``tile`` with origins on a grid of step ``tile - overlap``; the step is a
multiple of the model's multiple (2^stages pixels), so every tile's U-Net pyramid and hypernetwork cells
(every D pixels) line up with one global grid. The tiles cover a padded extent; the part beyond
the raster's edge is filled by reflecting the raster (:func:`reflect_index`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import ConfigError


@dataclass(frozen=True)
class TileGrid:
    """Tile origins along one axis and the blend ramps between neighbours.

    Attributes:
        size: Raster size along the axis.
        tile: Tile length.
        step: Distance between tile origins.
    """

    size: int
    tile: int
    step: int

    @property
    def count(self) -> int:
        """Number of tiles along the axis."""
        return 1 if self.size <= self.tile else math.ceil((self.size - self.tile) / self.step) + 1

    @property
    def padded(self) -> int:
        """Extent covered by the tiles (>= size)."""
        return (self.count - 1) * self.step + self.tile

    @property
    def overlap(self) -> int:
        """Pixels shared by neighbouring tiles."""
        return self.tile - self.step

    def origin(self, i: int) -> int:
        """Origin of tile ``i``."""
        return i * self.step

    def done_until(self, i: int) -> int:
        """After tile ``i``, positions below this are final (no later tile touches them)."""
        return self.padded if i == self.count - 1 else self.origin(i + 1)

    def weights(self, i: int, positions: np.ndarray) -> np.ndarray:
        """Blend weight of tile ``i`` at tile-local ``positions`` (pixel centres, any scale).

        cos^2 / sin^2 ramps across each overlap with a neighbour, 1 elsewhere: the weights of
        all tiles sum to exactly 1 at every position (partition of unity).
        """
        o = self.overlap
        w = np.ones_like(positions, dtype=np.float64)
        if o == 0:
            return w
        if i > 0:  # ramp up across the overlap with the previous tile
            t = np.clip(positions / o, 0, 1)
            w *= np.sin(0.5 * np.pi * t) ** 2
        if i < self.count - 1:  # ramp down across the overlap with the next tile
            t = np.clip((positions - self.step) / o, 0, 1)
            w *= np.cos(0.5 * np.pi * t) ** 2
        return w


def make_grid(size: int, tile: int, overlap: int, multiple: int) -> TileGrid:
    """Grid along one axis; a raster smaller than a tile gets one tile of the smallest multiple."""
    if tile % multiple:
        raise ConfigError(f"--tile {tile} must be a multiple of {multiple}")
    if not 0 <= overlap < tile:
        raise ConfigError(f"--overlap {overlap} must be at least 0 and less than --tile {tile}")
    if 2 * overlap > tile:  # a tile's ramp up and ramp down would overlap: the weights would not sum to 1
        widest = tile - math.ceil(tile / 2 / multiple) * multiple  # on the grid, at most half
        raise ConfigError(f"--overlap {overlap} must be at most half of --tile {tile}; try --overlap {widest}")
    if (tile - overlap) % multiple:
        up = overlap + (tile - overlap) % multiple
        raise ConfigError(
            f"--tile minus --overlap must be a multiple of {multiple} so tiles share one grid; "
            f"try --overlap {up if 2 * up <= tile else up - multiple}"
        )
    if size <= tile:
        tile = max(multiple, math.ceil(size / multiple) * multiple)
        return TileGrid(size, tile, tile)
    return TileGrid(size, tile, tile - overlap)


def reflect_index(idx: np.ndarray, size: int) -> np.ndarray:
    """Map positions beyond [0, size) back into it by reflection (edge pixel not repeated)."""
    if size == 1:
        return np.zeros_like(idx)
    period = 2 * (size - 1)
    m = np.mod(idx, period)
    return np.where(m > size - 1, period - m, m)
