import numpy as np
import pytest
import torch

from inss_geo.synthesis.top_k import GROUP, largest, top_k_block, top_k_planes


def _peaked(rows: int, n: int, seed: int) -> torch.Tensor:
    """Softmax rows with a few dominant spectra, as the model's abundances are."""
    g = torch.Generator().manual_seed(seed)
    return torch.softmax(torch.randn(rows, n, generator=g) * 4, dim=1)


@pytest.mark.parametrize("n", [345, 347, 23])  # a multiple of GROUP, leftovers, too few groups
@pytest.mark.parametrize("k", [1, 8, 11])  # 1: torch's heap path
def test_largest_matches_torch_topk(n, k):
    x = _peaked(2000, n, seed=n + k).view(40, 50, n)
    values, idx = largest(x, k)
    expected = x.topk(k, dim=2)
    assert torch.equal(values, expected.values)
    assert torch.equal(x.gather(2, idx), values)  # indices point at those values (ties may differ)


def test_the_largest_value_in_the_leftovers_is_found():
    x = torch.rand(50, 6 * GROUP * 8 + 3) * 0.5
    x[:, -1] = 1.0  # beyond the last whole group
    values, idx = largest(x, 8)
    assert (values[:, 0] == 1.0).all() and (idx[:, 0] == x.shape[1] - 1).all()


def test_two_largest_in_one_group_are_both_found():
    x = torch.rand(50, 345) * 0.5
    groups = 345 // GROUP
    x[:, 7], x[:, 7 + groups] = 0.9, 0.8  # group 7's first two values
    values, idx = largest(x, 8)
    assert torch.equal(idx[:, :2], torch.tensor([[7, 7 + groups]]).expand(50, 2))


def test_block_layout_from_a_cropped_view():
    full = _peaked(40 * 50, 345, seed=1).numpy().reshape(40, 50, 345)
    view = full[:, :37]  # a block cropped at the raster's edge is not contiguous
    out = np.full((16, 40, 37), np.nan, np.float32)
    top_k_block(view, 8, out)
    np.testing.assert_array_equal(out[:8], -np.sort(-view, axis=2)[..., :8].transpose(2, 0, 1))
    picked = np.take_along_axis(view, out[8:].transpose(1, 2, 0).astype(np.int64), axis=2)
    np.testing.assert_array_equal(picked.transpose(2, 0, 1), out[:8])


def test_values_one_float32_step_apart_keep_their_order():
    # the float64 keys carry a column in bits below float32's precision: they must not reorder
    g = torch.Generator().manual_seed(3)
    x = torch.rand(64, 345, generator=g) * 1e-31  # below every value planted
    base = torch.logspace(-30, 0, 64)  # many exponents
    x[:, 100] = base
    x[:, 7] = torch.nextafter(base, torch.tensor(2.0))  # one step above, in a lower column
    x[:, 300] = torch.nextafter(x[:, 7], torch.tensor(2.0))
    values, idx = largest(x, 8)
    assert torch.equal(values, x.topk(8, dim=1).values)
    assert (idx[:, :3] == torch.tensor([300, 7, 100])).all()


def test_ties_give_distinct_indices():
    x = torch.zeros(10, 345)
    x[:, 50] = 1.0  # one fraction, the rest underflowed to 0
    values, idx = largest(x, 8)
    assert (values[:, 0] == 1).all() and (values[:, 1:] == 0).all()
    assert all(len(set(row.tolist())) == 8 for row in idx)
    assert torch.equal(x.gather(1, idx), values)


def test_planes_match_the_block_layout():
    """top_k_planes (the GPU's selection) gives top_k_block's raster bands."""
    x = torch.rand(7, 9, 345, generator=torch.Generator().manual_seed(3))
    expected = np.empty((16, 7, 9), np.float32)
    top_k_block(x.numpy(), 8, expected)
    planes = top_k_planes(x, 8)
    assert planes.shape == (16, 7, 9) and planes.dtype == torch.float32
    np.testing.assert_array_equal(planes.numpy(), expected)


def test_zeros_keep_their_columns_where_denormals_are_flushed():
    """``inss-geo synthesize`` treats denormal inputs as zero (DAZ); a zero's key must not be one."""
    x = torch.zeros(10, 345)
    x[:, 50] = 1.0
    torch.set_flush_denormal(True)
    try:
        values, idx = largest(x, 8)
    finally:
        torch.set_flush_denormal(False)
    assert all(len(set(row.tolist())) == 8 for row in idx)
    assert torch.equal(x.gather(1, idx), values) and (idx[:, 0] == 50).all()
