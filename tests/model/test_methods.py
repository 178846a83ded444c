"""The comparison networks: shapes, the SRF groups, and receptive fields that tiling can trust."""

import numpy as np
import pytest
import torch

from inss_geo.errors import ConfigError
from inss_geo.model.hsrnet import srf_groups
from inss_geo.model.methods import DIRECT_METHODS, build_direct, direct_architecture
from inss_geo.model.receptive_field import model_grid, network_radius
from inss_geo.spectra.library import rgb_response
from inss_geo.spectra.sensors import aviris_classic


@pytest.mark.parametrize("method", DIRECT_METHODS)
def test_each_network_maps_rgb_to_every_channel(method, sensor):
    net = build_direct(method, direct_architecture(method), sensor).train()
    m = net.multiple
    out = net(torch.rand(2, 3, 4 * m, 4 * m))
    assert out.hsi.shape == (2, 24, 4 * m, 4 * m) and out.abundance is None and out.orders == []
    out.hsi.mean().backward()  # trainable end to end
    assert all(p.grad is not None for p in net.parameters())


@pytest.mark.parametrize("method", DIRECT_METHODS)
def test_the_measured_radius_bounds_what_a_block_sees(method, sensor):
    """Changing the input row just beyond the radius leaves the block unchanged; at the radius
    it changes it (real random weights, not the probe's positive copy)."""
    torch.manual_seed(0)
    net = build_direct(method, direct_architecture(method), sensor).eval().double()
    radius, m = network_radius(net), net.multiple
    multiple, margin = model_grid(net)
    assert multiple == m and margin % m == 0 and margin >= radius
    size = 2 * (radius + 2 * m) // m * m + 4 * m
    c = size // 2 // m * m
    x = torch.rand(1, 3, size, size, dtype=torch.float64)
    with torch.no_grad():
        base = net(x).hsi[..., c : c + m, c : c + m]
        for offset, changes in ((radius + 1, False), (radius, True)):
            y = x.clone()
            y[..., c - offset, :] += 10.0
            diff = (net(y).hsi[..., c : c + m, c : c + m] - base).abs().max() / base.abs().max()
            assert (diff > 1e-12) == changes, (offset, float(diff))  # (float64: rounding is ~1e-16)


def test_srf_groups_cover_every_channel_once_and_phi_sees_the_rgb_channels():
    sensor = aviris_classic()
    groups = srf_groups(sensor)
    joined = np.sort(np.concatenate(groups))
    np.testing.assert_array_equal(joined, np.arange(sensor.n_channels))
    assert len(groups) == 6  # B, G, R and three infrared windows
    phi = rgb_response(sensor)
    np.testing.assert_allclose(phi.sum(1), 1, rtol=1e-5)
    assert list(phi.argmax(1)) == list(sensor.rgb)


def test_an_architecture_that_does_not_fit_is_a_config_error(sensor):
    with pytest.raises(ConfigError, match="does not fit"):
        build_direct("hscnn", {"width": 8, "depth": 3}, sensor)
    with pytest.raises(ConfigError, match="unknown comparison network"):
        direct_architecture("unet")


@pytest.mark.parametrize("method", DIRECT_METHODS)
def test_start_at_puts_the_untrained_output_near_the_mean_spectrum(method, sensor):
    torch.manual_seed(0)
    net = build_direct(method, direct_architecture(method), sensor).eval()
    mean = torch.linspace(0.2, 0.6, 24)
    x = torch.rand(1, 3, 4 * net.multiple, 4 * net.multiple)
    with torch.no_grad():
        before = (net(x).hsi - mean[:, None, None]).abs().mean()
        net.start_at(mean)
        after = (net(x).hsi - mean[:, None, None]).abs().mean()
    assert after < 0.1 * before and after < 0.05
