import pytest
import torch

from inss_geo.model import INSS, build_config
from inss_geo.model.receptive_field import receptive_radius, tile_margin


@pytest.mark.parametrize("widths", [(4, 4, 8, 8), (4, 4, 8, 8, 8)])
def test_radius_is_exactly_how_far_the_model_looks(library, widths):
    """On a real model with random weights: an input pixel just beyond the radius from a grid
    block leaves every output in the block unchanged; one at the radius, on the side where the
    field reaches furthest, changes it."""
    config = build_config("small", widths=widths, order=2, mlp_hidden=4)
    torch.manual_seed(0)
    model = INSS(config, torch.from_numpy(library.spectra).T, torch.ones(library.sensor.n_channels),
                 rgb=library.sensor.rgb).eval()
    radius, m = receptive_radius(config), config.multiple
    assert radius < tile_margin(config) + 1 and tile_margin(config) % m == 0
    size = 2 * m + 2 * tile_margin(config) + 2 * m
    c = size // 2 // m * m  # the block [c, c + m), on the grid
    x = torch.rand(1, 3, size, size)

    def block(rgb):
        with torch.no_grad():
            return model(rgb).hsi[..., c : c + m, c : c + m]

    base = block(x)

    def changes(row):
        y = x.clone()
        y[..., row, c + m // 2] += 1.0
        return not torch.equal(block(y), base)

    assert not changes(c - radius - 1) and not changes(c + m + radius)
    assert changes(c - radius) or changes(c + m - 1 + radius)
