import math

import pytest
import torch

from inss_geo.errors import ConfigError
from inss_geo.model import INSS, PRESETS, build_config
from inss_geo.model.mixing import NeuralMixing, positional_encoding


def _model(library, order=3, downscale=16, physics=False):
    """A tiny INSS; ``physics`` adds the path radiance and the consistency step."""
    config = build_config("small", widths=(4, 4, 8, 8, 8, 8), order=order, downscale=downscale,
                          path_radiance=physics, rgb_consistency=physics)
    torch.manual_seed(0)
    return INSS(config, torch.from_numpy(library.spectra).T, torch.full((library.sensor.n_channels,), 2.0),
                rgb=library.sensor.rgb).eval()


def _phi(mixing, *grid, dtype=torch.float32):
    """A phi grid (*grid, P) of live MLPs: a Kaiming-uniform initialisation of every order's MLP,
    the same for every cell, plus noise per cell."""
    fan_ins = (mixing.n_in, mixing.n_in, mixing.hidden, mixing.hidden)
    base = torch.cat([(torch.rand(math.prod(shape)) * 2 - 1) / math.sqrt(fan_in)
                      for _ in range(mixing.order - 1) for shape, fan_in in zip(mixing.shapes, fan_ins, strict=True)])
    return (base + 0.1 * torch.randn(*grid, mixing.n_params)).to(dtype)


def test_order1_is_exactly_the_linear_mixture(library):
    model = _model(library, order=1)
    out = model(torch.rand(2, 3, 64, 64))
    expected = model.t[:, None, None] * torch.einsum("kn,bnhw->bkhw", model.library, out.abundance)
    assert torch.equal(out.hsi, out.linear) and out.orders == [] and out.phi is None
    torch.testing.assert_close(out.hsi, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("downscale", [8, 16])
def test_higher_orders_add_bounded_terms(library, downscale):
    model = _model(library, order=3, downscale=downscale)
    out = model(torch.rand(1, 3, 64, 128))
    assert out.hsi.shape == (1, 24, 64, 128)
    assert out.phi.shape == (1, model.mixing.n_params, 64 // downscale, 128 // downscale)
    assert len(out.orders) == 2
    torch.testing.assert_close(out.hsi, out.linear + out.orders[0] + out.orders[1])
    # |e^k| <= 0.1^(k-1) |l|: each order is at most a tenth of the previous one
    assert torch.all(out.orders[0].abs() <= 0.1 * out.linear.abs() + 1e-7)
    assert torch.all(out.orders[1].abs() <= 0.1 * out.orders[0].abs() + 1e-9)
    torch.testing.assert_close(out.abundance.sum(1), torch.ones(1, 64, 128))
    assert out.abundance.min() >= 0


def test_mixing_is_per_pixel(library):
    """The output at p depends only on A_p, phi of p's cell and p's offset: no pixel mixing."""
    n, k, d = library.n_spectra, library.sensor.n_channels, 16
    mixing = NeuralMixing(n, d, order=3, hidden=8, output_scale=0.1)
    torch.manual_seed(1)
    a = torch.softmax(torch.randn(1, n, 32, 48), 1).requires_grad_(True)
    phi = _phi(mixing, 1, 2, 3).permute(0, 3, 1, 2).requires_grad_(True)
    R = torch.from_numpy(library.spectra).T
    s, _, _ = mixing(a, phi, torch.ones(k), R)
    y, x = 21, 37  # in cell (1, 2)
    s[0, :, y, x].sum().backward()
    grad_a = a.grad[0].abs().sum(0)
    assert grad_a[y, x] > 0
    grad_a[y, x] = 0
    assert torch.count_nonzero(grad_a) == 0, "another pixel's abundance influenced this pixel"
    grad_phi = phi.grad[0].abs().sum(0)
    assert grad_phi[1, 2] > 0
    grad_phi[1, 2] = 0
    assert torch.count_nonzero(grad_phi) == 0, "another cell's parameters influenced this pixel"


def _pixel_by_the_equations(mixing, a, phi, t, R, y, x):
    """s at one pixel straight from Eq. 3-7, with nothing batched: the reference for ``forward``."""
    d, n = mixing.downscale, mixing.n_spectra
    freqs = 2 * math.pi / 2 ** torch.arange(1, int(math.log2(d)) + 1, dtype=a.dtype)
    ox, oy = x % d + 0.5 - d / 2, y % d + 0.5 - d / 2  # offset from the cell centre
    inp = torch.cat([a[0, :, y, x], *(f(o * freqs) for o in (ox, oy) for f in (torch.sin, torch.cos))])
    cell = phi[0, :, y // d, x // d]
    out = e = t * (R @ a[0, :, y, x])
    sizes = [math.prod(shape) for shape in mixing.shapes]
    for k in range(mixing.order - 1):
        w1, b1, w2, b2 = cell[k * mixing.params_per_order:(k + 1) * mixing.params_per_order].split(sizes)
        h1 = torch.nn.functional.leaky_relu(inp @ w1.view(mixing.n_in, -1) + b1, 0.2)
        h2 = torch.nn.functional.leaky_relu(h1 @ w2.view(-1, n) + b2, 0.2)
        e = e * mixing.output_scale * torch.tanh(R @ h2 / n)  # / N: see NeuralMixing
        out = out + e
    return out


def test_forward_follows_the_equations_pixel_by_pixel(library):
    n, k, d = library.n_spectra, library.sensor.n_channels, 16
    mixing = NeuralMixing(n, d, order=3, hidden=8, output_scale=0.1)
    torch.manual_seed(3)
    a = torch.softmax(torch.randn(1, n, 32, 48, dtype=torch.float64), 1)
    phi = _phi(mixing, 1, 2, 3, dtype=torch.float64).permute(0, 3, 1, 2)
    R, t = torch.from_numpy(library.spectra).T.double(), torch.rand(k, dtype=torch.float64) + 0.5
    s, _, _ = mixing(a, phi, t, R)
    for y, x in [(0, 0), (21, 37), (5, 30), (31, 47), (16, 15)]:
        torch.testing.assert_close(s[0, :, y, x], _pixel_by_the_equations(mixing, a, phi, t, R, y, x))


def test_same_inputs_same_output_anywhere_in_the_cell_grid(library):
    """Equal (A_p, phi, offset) give equal spectra at different cells: locality, no position leak."""
    n, k = library.n_spectra, library.sensor.n_channels
    mixing = NeuralMixing(n, 16, order=2, hidden=8, output_scale=0.1)
    a = torch.softmax(torch.randn(1, n, 16, 16), 1).repeat(1, 1, 2, 2)
    phi = _phi(mixing, 1, 1, 1).permute(0, 3, 1, 2).repeat(1, 1, 2, 2)
    s, _, _ = mixing(a, phi, torch.ones(k), torch.from_numpy(library.spectra).T)
    torch.testing.assert_close(s[..., :16, :16], s[..., 16:, 16:])


def test_positional_encoding_eq7():
    pe = positional_encoding(16, torch.device("cpu"), torch.float64)
    assert pe.shape == (256, 16)
    # first row: offset (-7.5, -7.5); the x part comes first: sin(2 pi px / 2^1)
    assert pe[0, 0].item() == pytest.approx(math.sin(2 * math.pi * -7.5 / 2))
    assert pe[0, 4].item() == pytest.approx(math.cos(2 * math.pi * -7.5 / 2))
    assert pe[0, 3].item() == pytest.approx(math.sin(2 * math.pi * -7.5 / 16))


def test_mlp_dimensions_follow_the_paper(library):
    m = NeuralMixing(345, 16, order=3, hidden=32, output_scale=0.1)
    assert m.n_in == 345 + 4 * 4
    assert m.params_per_order == (361 * 32 + 32) + (32 * 345 + 345)
    assert m.n_params == 2 * m.params_per_order


def test_input_must_be_a_multiple_of_64(library):
    with pytest.raises(ConfigError, match="multiple of 64.*pad it to \\(64, 128\\)"):
        _model(library)(torch.rand(1, 3, 60, 100))


def test_presets():
    assert PRESETS["paper"].widths[0] == 128 and PRESETS["paper"].order == 3 and PRESETS["paper"].downscale == 16
    assert build_config("small", order=1).order == 1
    with pytest.raises(ConfigError, match="choose from"):
        build_config("xl")
    with pytest.raises(ConfigError):
        build_config("small", downscale=4)


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_mix_block_matches_the_training_forward(library, order):
    """Synthesis mixes channels-last blocks in chunks of cells; the result equals ``forward``'s,
    with the per-order terms kept (for their norms) or summed in fused passes without them."""
    n, k, d = library.n_spectra, library.sensor.n_channels, 16
    mixing = NeuralMixing(n, d, order=order, hidden=8, output_scale=0.1)
    torch.manual_seed(2)
    a = torch.softmax(torch.randn(1, n, 48, 80), 1)
    phi = None
    if order > 1:
        phi = _phi(mixing, 1, 3, 5).permute(0, 3, 1, 2)
    R, t = torch.from_numpy(library.spectra).T, torch.rand(k) + 0.5
    s, linear, orders = mixing(a, phi, t, R)
    block_phi = None if phi is None else phi[0].permute(1, 2, 0)
    block, rel = mixing.mix_block(a[0].permute(1, 2, 0), block_phi, t, R, cells_per_chunk=2)
    summed, none = mixing.mix_block(a[0].permute(1, 2, 0), block_phi, t, R, cells_per_chunk=2, orders=False)
    torch.testing.assert_close(block, s[0])
    torch.testing.assert_close(summed, s[0])
    assert none is None and len(rel) == order
    for e, r in zip([*orders, s - linear], rel, strict=True):  # each order, then the whole nonlinear part
        torch.testing.assert_close(r, e[0].norm(dim=0) / linear[0].norm(dim=0))


@pytest.mark.parametrize("orders", [False, True])
def test_mix_block_encodes_into_a_given_block(library, orders):
    """``out`` receives s: a float block as computed, an int16 one rounded and clamped to
    -32767..32767 (-32768 is nodata), here through a strided view of a larger block."""
    n, k, d = library.n_spectra, library.sensor.n_channels, 16
    mixing = NeuralMixing(n, d, order=3, hidden=8, output_scale=0.1)
    torch.manual_seed(4)
    a = torch.softmax(torch.randn(32, 48, n), 2)
    phi = _phi(mixing, 2, 3)
    R, t = torch.from_numpy(library.spectra).T, (torch.rand(k) + 0.5) * 4e4  # some values beyond int16
    s, rel = mixing.mix_block(a, phi, t, R, orders=orders)
    big = torch.zeros(k, 40, 48, dtype=torch.int16)
    into = big[:, 4:36]  # rows of a block: not contiguous
    s16, rel16 = mixing.mix_block(a, phi, t, R, orders=orders, out=into)
    assert s16 is into and s.abs().max() > 32767
    assert torch.equal(into, s.round().clamp(-32767, 32767).to(torch.int16))
    assert (big[:, :4] == 0).all() and (big[:, 36:] == 0).all() and (into > -32768).all()
    f32 = torch.empty(k, 32, 48)
    torch.testing.assert_close(mixing.mix_block(a, phi, t, R, orders=orders, out=f32)[0], s)
    if orders:
        torch.testing.assert_close(rel16, rel)


@pytest.mark.parametrize("orders", [False, True])
def test_mix_block_in_bf16_is_mixed_precision(library, orders):
    """dtype=bf16 runs the products in bf16 (the result moves, by ~0.1%) and returns float32."""
    n, k, d = library.n_spectra, library.sensor.n_channels, 16
    mixing = NeuralMixing(n, d, order=3, hidden=8, output_scale=0.1)
    torch.manual_seed(3)
    a = torch.softmax(torch.randn(48, 80, n), 2)
    phi = _phi(mixing, 3, 5)
    R, t = torch.from_numpy(library.spectra).T, torch.rand(k) + 0.5
    s, rel = mixing.mix_block(a, phi, t, R, orders=orders)
    s16, rel16 = mixing.mix_block(a, phi, t, R, orders=orders, dtype=torch.bfloat16)
    assert s16.dtype == torch.float32 and (rel16 is None) == (not orders)
    diff = ((s16 - s).abs().mean() / s.abs().mean()).item()
    assert 1e-5 < diff < 1e-2, diff
    if orders:
        assert rel16.dtype == torch.float32
        torch.testing.assert_close(rel16, rel, rtol=0.05, atol=1e-3)


def test_phi_built_per_block_from_T_hidden_equals_forward(library):
    """Tiled synthesis keeps T's hidden layer (64 channels, not P) per block and builds phi
    there with T's last layer: mixing that phi equals ``forward`` fed T's output."""
    model = _model(library)
    n = library.n_spectra
    torch.manual_seed(3)
    T = model.transform
    with torch.no_grad():
        feature = torch.randn(1, model.unet.feature_width, 3, 5)
        a = torch.softmax(torch.randn(1, n, 48, 80), 1)
        s, _, _ = model.mixing(a, T(feature), model.t, model.library)
        hidden = T.hidden(feature)[0]
        phi = T.frozen_to_params()(hidden)  # (3, 5, P), as synthesis builds it per block
        torch.testing.assert_close(phi, T.to_params(hidden))
        block, _ = model.mixing.mix_block(a[0].permute(1, 2, 0), phi, model.t, model.library, cells_per_chunk=2)
    torch.testing.assert_close(block, s[0])
