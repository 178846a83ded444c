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


@pytest.mark.parametrize(("shape", "tile", "overlap"),
                         [((130, 200), 128, 64), ((400, 333), 128, 64), ((200, 300), 128, 0), ((300, 430), 256, 128)])
def test_ring_layers_come_with_the_values_around_each_block(shape, tile, overlap):
    """A ring layer's block carries one more element on each side: the final values above and to
    the left, the blend so far below and to the right (here the image, the tiles being cut from
    it, less the weight later tiles have there), 0 past the padded extent or below and right of a
    tile that does not overlap the next."""
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
                later = 3 * np.sin(np.pi / 4 / overlap) ** 2 if overlap else 0.0  # at most 3 tiles to come
                np.testing.assert_allclose(b.layers["g"][:-1, :-1], want[:-1, :-1], rtol=1e-6, atol=1e-7)
                np.testing.assert_allclose(b.layers["g"], want, rtol=0, atol=later + 1e-6)
                np.testing.assert_array_equal(b.layers["g"][1:-1, 1:-1], b.layers["plain"])
                blocks += 1
    assert blocks == rows.count * cols.count


def test_ring_below_and_right_is_the_blend_so_far():
    """Where later tiles still add to the ring, it holds the finishing tile's weighted values:
    nearly all of them, the next tiles' ramps starting near 0."""
    rows = cols = make_grid(300, 128, 64, 64)
    with Stitcher(rows, cols, {"g": (1, 1)}, rings=("g",)) as st:
        b = st.add(0, 0, {"g": np.full((128, 128, 1), 3.0, np.float32)})
    g = b.layers["g"]
    assert g.shape == (64 + 2, 64 + 2, 1)
    np.testing.assert_allclose(g[1:-1, -1], 3.0 * rows.weights(0, np.array([64.5]))[0], rtol=1e-6)
    np.testing.assert_allclose(g[-1, -1], 3.0 * rows.weights(0, np.array([64.5]))[0] ** 2, rtol=1e-6)
    assert (g[1:, -1] < 3.0).all() and (g[1:, -1] > 2.999).all() and (g[-1, 1:] > 2.999).all()
    assert (g[0] == 0).all() and (g[:, 0] == 0).all()  # the raster's edge


@pytest.mark.parametrize(("tile", "overlap"), [(128, 64), (256, 128), (192, 64)])
def test_ring_is_the_final_blend_up_to_the_next_tiles_first_weight(tile, overlap):
    """Tiles that disagree in their overlaps: the ring above and left equals the final blend;
    below and right it lacks only what later tiles add, their weight at their first element
    (sin^2(pi/4 / overlap)) times their value."""
    rows, cols = make_grid(300, tile, overlap, 64), make_grid(430, tile, overlap, 64)
    rng = np.random.default_rng(2)
    image = rng.random((rows.padded, cols.padded, 2)).astype(np.float32)
    offsets = rng.normal(0, 1, (rows.count, cols.count)).astype(np.float32)  # each tile's own error
    final = np.zeros_like(image)
    ringed = {}
    with Stitcher(rows, cols, {"g": (2, 1), "plain": (2, 1)}, rings=("g",)) as st:
        for i in range(rows.count):
            for j in range(cols.count):
                y, x = rows.origin(i), cols.origin(j)
                cut = image[y : y + tile, x : x + tile] + offsets[i, j]
                b = st.add(i, j, {"g": cut.copy(), "plain": cut.copy()})
                final[b.y0 : b.y1, b.x0 : b.x1] = b.layers["plain"]
                ringed[(b.y0, b.y1, b.x0, b.x1)] = b.layers["g"]
    framed = np.pad(final, ((1, 1), (1, 1), (0, 0)))
    bound = 3 * np.sin(np.pi / 4 / overlap) ** 2 * (1 + np.abs(offsets).max())  # up to three later tiles
    for (y0, y1, x0, x1), g in ringed.items():
        want = framed[y0 : y1 + 2, x0 : x1 + 2]
        np.testing.assert_allclose(g[:-1, :-1], want[:-1, :-1], atol=1e-6)  # final: above, left, inside
        inner = (slice(None, -1 if y1 >= rows.padded else None), slice(None, -1 if x1 >= cols.padded else None))
        gap = np.abs(g[inner] - want[inner]).max()  # (past the padded extent both are 0)
        assert gap <= bound + 1e-6, (gap, bound)
    assert bound < 1e-2
