import numpy as np
import pytest

from inss_geo.errors import ConfigError
from inss_geo.tiling import make_grid, reflect_index


@pytest.mark.parametrize("size", [1, 50, 64, 256, 257, 700, 1000])
@pytest.mark.parametrize(("tile", "overlap"), [(256, 64), (256, 128), (192, 64)])
def test_tiles_cover_the_raster_and_weights_sum_to_one(size, tile, overlap):
    g = make_grid(size, tile, overlap, 64)
    assert g.padded >= size and g.step % 64 == 0
    total = np.zeros(g.padded)
    for i in range(g.count):
        o = g.origin(i)
        pos = np.arange(g.tile) + 0.5
        total[o : o + g.tile] += g.weights(i, pos)
    np.testing.assert_allclose(total, 1.0, atol=1e-12)
    assert g.done_until(g.count - 1) == g.padded


def test_small_raster_gets_one_small_tile():
    g = make_grid(90, 256, 64, 64)
    assert (g.count, g.tile, g.padded) == (1, 128, 128)


def test_weights_ramp_smoothly_and_edges_are_not_downweighted():
    g = make_grid(1000, 256, 64, 64)
    w0 = g.weights(0, np.arange(256) + 0.5)
    assert w0[0] == 1.0 and w0[191] == 1.0 and w0[-1] < 0.01
    assert np.all(np.diff(w0[192:]) <= 0)


def test_bad_tiles_are_refused():
    with pytest.raises(ConfigError, match="multiple of 64"):
        make_grid(500, 250, 32, 64)
    with pytest.raises(ConfigError, match="try --overlap 64"):
        make_grid(500, 256, 32, 64)
    with pytest.raises(ConfigError):
        make_grid(500, 256, 256, 64)
    # more than half: a tile's ramp up and ramp down would overlap and the weights not sum to 1
    with pytest.raises(ConfigError, match="at most half of --tile 256; try --overlap 128"):
        make_grid(500, 256, 192, 64)
    with pytest.raises(ConfigError, match="at most half of --tile 192; try --overlap 64"):
        make_grid(500, 192, 128, 64)
    with pytest.raises(ConfigError, match="try --overlap 64"):  # not 128, which is more than half of 192
        make_grid(500, 192, 70, 64)


def test_reflect_index():
    np.testing.assert_array_equal(reflect_index(np.arange(-2, 8), 4), [2, 1, 0, 1, 2, 3, 2, 1, 0, 1])
    np.testing.assert_array_equal(reflect_index(np.arange(3), 1), [0, 0, 0])
