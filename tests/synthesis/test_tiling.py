import numpy as np
import pytest

from inss_geo.errors import ConfigError
from inss_geo.synthesis.tiling import make_grid, reflect_index


@pytest.mark.parametrize("size", [1, 50, 64, 256, 257, 700, 1000])
@pytest.mark.parametrize(("tile", "margin"), [(256, 64), (256, 128), (192, 320)])
def test_blocks_cover_the_raster_once(size, tile, margin):
    g = make_grid(size, tile, margin, 64)
    covered = np.zeros(size, int)
    for i in range(g.count):
        o = g.origin(i)
        assert o % 64 == 0 and 0 < g.length(i) <= g.tile
        covered[o : o + g.length(i)] += 1
    np.testing.assert_array_equal(covered, 1)
    assert g.window == g.tile + 2 * margin


def test_small_raster_gets_one_small_block():
    g = make_grid(90, 256, 64, 64)
    assert (g.count, g.tile, g.length(0)) == (1, 128, 90)


def test_bad_tiles_are_refused():
    with pytest.raises(ConfigError, match="--tile 250 must be a multiple of 64"):
        make_grid(500, 250, 64, 64)


def test_reflect_index():
    np.testing.assert_array_equal(reflect_index(np.arange(-2, 8), 4), [2, 1, 0, 1, 2, 3, 2, 1, 0, 1])
    np.testing.assert_array_equal(reflect_index(np.arange(3), 1), [0, 0, 0])
