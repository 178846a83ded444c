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
