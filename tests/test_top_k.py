"""The top-k abundance block: the k largest fractions in order and the indices that hold them."""

import numpy as np
import pytest
import torch

from inss_geo.top_k import top_k_block


def _abundance(h: int, w: int, n: int = 345) -> np.ndarray:
    g = torch.Generator().manual_seed(h * w)
    return torch.softmax(torch.randn(h, w, n, generator=g) * 3, dim=2).numpy()


@pytest.mark.parametrize("k", [3, 8, 12, 20])  # 8 and 12 take the padded heap path, 3 and 20 plain topk
def test_top_k_block_holds_the_k_largest_fractions_and_their_indices(k):
    a = _abundance(150, 29)  # 70 rows per chunk: three chunks, the last one short
    block = top_k_block(a, k)
    assert block.shape == (2 * k, 150, 29) and block.dtype == np.float32
    np.testing.assert_array_equal(block[:k], -np.sort(-a, axis=2)[..., :k].transpose(2, 0, 1))
    idx = block[k:].astype(np.int64)
    assert np.array_equal(idx, block[k:]) and len(np.unique(idx[:, 5, 7])) == k
    np.testing.assert_array_equal(np.take_along_axis(a, idx.transpose(1, 2, 0), axis=2).transpose(2, 0, 1), block[:k])


def test_top_k_block_reads_a_cropped_view():
    """A block at the raster's edge is a strided view of the stitched abundance."""
    a = _abundance(64, 64)
    view = a[:50, :37]
    np.testing.assert_array_equal(top_k_block(view, 8), top_k_block(np.ascontiguousarray(view), 8))
