import numpy as np
import pytest

from inss_geo.stitching import Stitcher
from inss_geo.tiling import make_grid


@pytest.mark.parametrize("shape", [(130, 200), (64, 64), (400, 333)])
def test_constant_tiles_reassemble_exactly(shape):
    """Tiles cut from one image and stitched back reproduce it (weights sum to 1)."""
    h, w = shape
    rows, cols = make_grid(h, 128, 64, 64), make_grid(w, 128, 64, 64)
    rng = np.random.default_rng(0)
    image = rng.random((rows.padded, cols.padded, 3)).astype(np.float32)
    coarse = rng.random((rows.padded // 16, cols.padded // 16, 5)).astype(np.float32)
    out = np.zeros_like(image)
    out_c = np.zeros_like(coarse)
    seen = np.zeros(image.shape[:2], int)
    with Stitcher(rows, cols, {"a": (3, 1), "phi": (5, 16)}) as st:
        for i in range(rows.count):
            for j in range(cols.count):
                y, x = rows.origin(i), cols.origin(j)
                b = st.add(i, j, {
                    "a": image[y : y + rows.tile, x : x + cols.tile].copy(),
                    "phi": coarse[y // 16 : (y + rows.tile) // 16, x // 16 : (x + cols.tile) // 16].copy(),
                })
                out[b.y0 : b.y1, b.x0 : b.x1] = b.layers["a"]
                out_c[b.y0 // 16 : b.y1 // 16, b.x0 // 16 : b.x1 // 16] = b.layers["phi"]
                seen[b.y0 : b.y1, b.x0 : b.x1] += 1
    assert (seen == 1).all(), "every pixel is finished exactly once"
    np.testing.assert_allclose(out, image, rtol=1e-6)
    np.testing.assert_allclose(out_c, coarse, rtol=1e-6)


def test_tiles_out_of_order_are_refused():
    rows = cols = make_grid(300, 128, 64, 64)
    with Stitcher(rows, cols, {"a": (1, 1)}) as st, pytest.raises(ValueError, match="row-major"):
        st.add(0, 1, {"a": np.zeros((128, 128, 1))})


@pytest.mark.parametrize(("shape", "tile", "overlap"), [((130, 200), 128, 64), ((400, 333), 128, 64), ((200, 300), 128, 0)])
def test_ring_layers_come_with_the_values_around_each_block(shape, tile, overlap):
    """A ring layer's block carries one more element on each side: the final values above and to
    the left, the finishing tile's own values below and to the right (here the same as the image,
    the tiles being cut from it), 0 past the padded extent or below and right of a tile that does
    not overlap the next."""
    h, w = shape
    rows, cols = make_grid(h, tile, overlap, 64), make_grid(w, tile, overlap, 64)
    rng = np.random.default_rng(1)
    image = rng.random((rows.padded, cols.padded, 4)).astype(np.float32)
    framed = np.pad(image, ((1, 1), (1, 1), (0, 0)))  # framed[y + 1, x + 1] = image[y, x]
    blocks = 0
    with Stitcher(rows, cols, {"g": (4, 1), "plain": (4, 1)}, rings=("g",)) as st:
        for i in range(rows.count):
            for j in range(cols.count):
                y, x = rows.origin(i), cols.origin(j)
                cut = image[y : y + tile, x : x + tile]
                b = st.add(i, j, {"g": cut.copy(), "plain": cut.copy()})
                want = framed[b.y0 : b.y1 + 2, b.x0 : b.x1 + 2].copy()
                if b.y1 >= y + tile:  # the tile ends at the block: nothing of its own below
                    want[-1] = 0
                if b.x1 >= x + tile:  # (the corner above is the final row above)
                    want[1:, -1] = 0
                np.testing.assert_allclose(b.layers["g"], want, rtol=1e-6, atol=1e-7)
                np.testing.assert_array_equal(b.layers["g"][1:-1, 1:-1], b.layers["plain"])
                blocks += 1
    assert blocks == rows.count * cols.count


def test_ring_below_and_right_is_the_finishing_tiles_own():
    """Where later tiles still add to the ring, it holds the finishing tile's unweighted values."""
    rows = cols = make_grid(300, 128, 64, 64)
    with Stitcher(rows, cols, {"g": (1, 1)}, rings=("g",)) as st:
        b = st.add(0, 0, {"g": np.full((128, 128, 1), 3.0, np.float32)})
    assert b.layers["g"].shape == (64 + 2, 64 + 2, 1)
    assert (b.layers["g"][1:, -1] == 3.0).all() and (b.layers["g"][-1, 1:] == 3.0).all()
    assert (b.layers["g"][0] == 0).all() and (b.layers["g"][:, 0] == 0).all()  # the raster's edge
