"""INSS as a whole: it starts as the linear mixture with live gradients, and its path radiance
and consistency step do what they claim, in training's forward and in synthesis's blocks alike."""

import torch

from inss_geo.model import INSS, build_config
from inss_geo.model.mixing import _products_library

from .test_mixing import _model


def _tanh_arguments(model, rgb):
    """z = R h2 / N of every order k >= 2, at every pixel of ``rgb``."""
    out = model(rgb)
    m = model.mixing
    a = m.to_cells(out.abundance.permute(0, 2, 3, 1))
    params = out.phi.permute(0, 2, 3, 1).reshape(-1, out.phi.shape[1])
    _, library_t = _products_library(model.library, model.signature(), a.dtype)
    return list(m._products(a, params, library_t))


def test_mixing_starts_unsaturated_with_live_gradients(library):
    """At initialisation the orders' tanh works in its linear range (the paper's 345-spectrum sum
    without normalisation, and a full MLP initialisation in T's bias, saturated it for good)."""
    config = build_config("small", widths=(4, 8, 8, 8, 8), order=3)
    torch.manual_seed(0)
    model = INSS(config, torch.from_numpy(library.spectra).T, torch.full((library.sensor.n_channels,), 0.5),
                 rgb=library.sensor.rgb)
    rgb = torch.rand(2, 3, 64, 64) * 0.5
    for z in _tanh_arguments(model, rgb):
        assert z.abs().median() < 1
    model(rgb).hsi.square().mean().backward()
    for name, p in model.transform.named_parameters():
        assert p.grad is not None and torch.count_nonzero(p.grad) == p.numel(), name


def test_path_radiance_adds_and_the_rgb_channels_reproduce_the_input(library):
    model = _model(library, physics=True)
    with torch.no_grad():
        model.path_radiance.copy_(torch.linspace(0.3, -0.1, library.sensor.n_channels))  # < 0: clamped to 0
        model.projection.weight.normal_(0, 0.5)
    rgb = torch.rand(2, 3, 64, 64)
    out = model(rgb)
    torch.testing.assert_close(out.hsi[:, list(library.sensor.rgb)], rgb)
    assert out.hsi.min() >= 0
    bare = _model(library, physics=False)
    bare.load_state_dict({k: v for k, v in model.state_dict().items() if k in bare.state_dict()})
    plain = bare(rgb)
    path = model.path()
    assert path.min() == 0 and path.max() > 0.29
    # without the consistency step the path radiance is what the model adds to the mixture
    no_step = model.projection
    model.projection = None
    torch.testing.assert_close(model(rgb).hsi, plain.hsi + path[:, None, None])
    model.projection = no_step


def test_mix_block_does_what_forward_does_after_the_mixing(library):
    """Synthesis's blocks add the path radiance, write the residual before the consistency step
    and apply that step exactly as the training forward does."""
    model = _model(library, physics=True)
    with torch.no_grad():
        model.path_radiance.uniform_(0, 0.2)
        model.projection.weight.normal_(0, 0.5)
    rgb = torch.rand(1, 3, 64, 128)
    with torch.no_grad():
        out = model(rgb)
        phi = out.phi[0].permute(1, 2, 0)
        a = out.abundance[0].permute(1, 2, 0)
        channels = library.sensor.rgb
        residual = torch.empty(3, 64, 128)
        for orders in (True, False):
            block, _ = model.mixing.mix_block(a, phi, model.signature(), model.library, cells_per_chunk=2, orders=orders,
                                              path=model.path(), rgb=rgb[0].permute(1, 2, 0), projection=model.projection,
                                              rgb_channels=channels, residual=residual)
            torch.testing.assert_close(block, out.hsi[0])
        step = model.projection
        model.projection = None
        before = model(rgb).hsi[0, list(channels)]
        model.projection = step
    torch.testing.assert_close(residual, rgb[0] - before)


def test_detaching_t_input_keeps_the_mixing_losses_out_of_the_unet(library):
    """With ``detach_transform_input`` a loss on phi trains T alone; without it, F too."""
    grads = {}
    for detach in (False, True):
        config = build_config("small", widths=(4, 4, 8, 8, 8, 8), detach_transform_input=detach)
        torch.manual_seed(0)
        model = INSS(config, torch.from_numpy(library.spectra).T, torch.full((library.sensor.n_channels,), 2.0),
                     rgb=library.sensor.rgb)
        model(torch.rand(2, 3, 64, 64)).phi.square().sum().backward()
        grads[detach] = sum(float(p.grad.abs().sum()) for p in model.unet.parameters() if p.grad is not None)
        assert all(p.grad is not None for p in model.transform.parameters())
    assert grads[False] > 0 and grads[True] == 0
