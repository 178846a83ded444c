"""How far from a pixel the model looks: the margin that makes tiled synthesis exact.

A pixel's output depends on the U-Net's head input in the 3x3 around it and on T's hidden
layer at its cell; both are convolutions of the input over a bounded window (no global
pooling or normalisation over the image in F or T). The radius of that window is a property of
the architecture alone, so it is found on a one-channel copy of it whose weights are all
positive: every path from an input pixel then contributes a positive gradient and none can
cancel, so the support of the gradient is exactly the set of input pixels that can matter.
A tile that reads this many pixels around its output block computes what a whole-image pass
computes there, up to float rounding.
"""

from __future__ import annotations

import copy
import dataclasses
import functools

import torch
from torch import nn

from .config import ModelConfig
from .mixing import FeatureTransform
from .unet import AbundanceUNet


@functools.lru_cache(maxsize=8)
def receptive_radius(config: ModelConfig) -> int:
    """Pixels beyond any output block of ``config.multiple`` pixels, on the globally aligned grid,
    that the block's outputs depend on (the same on every side and at every grid position)."""
    size = 8 * config.multiple
    with torch.enable_grad():  # (callers run under no_grad)
        while (radius := _probe(config, size)) is None:  # the field reached the probe's edge
            size *= 2
    return radius


def _probe(config: ModelConfig, size: int) -> int | None:
    """The radius measured on a ``size`` x ``size`` probe, or None if it is too small to tell."""
    m, d = config.multiple, config.downscale
    narrow = dataclasses.replace(config, widths=(1,) * len(config.widths), transform_width=1)
    unet = AbundanceUNet(narrow.widths, 1, narrow.blocks_per_stage, d)
    transform = FeatureTransform(unet.feature_width, 1, 1)
    with torch.no_grad():
        for module in (unet, transform):
            for p in module.parameters():
                p.fill_(0.5)  # positive: no cancellation (LeakyReLU's slopes are positive too)
    unet.eval().double()
    transform.eval().double()
    x = torch.zeros(1, 3, size, size, dtype=torch.float64, requires_grad=True)
    head_input, feature = unet.decode(x)
    hidden = transform.hidden(feature)  # (1, h, w, 1), one element per D x D cell
    c = size // 2  # the block [c, c + m) in both axes, on the grid
    reach = (head_input[..., c - 1 : c + m + 1, c - 1 : c + m + 1].sum()  # the head's 3x3 ring
             + hidden[:, c // d : (c + m) // d, c // d : (c + m) // d].sum())
    (grad,) = torch.autograd.grad(reach, x)
    rows = torch.nonzero(grad.abs().sum(dim=(0, 1, 3))).flatten()
    if int(rows.min()) == 0 or int(rows.max()) == size - 1:
        return None
    return max(c - int(rows.min()), int(rows.max()) - (c + m - 1))


def tile_margin(config: ModelConfig) -> int:
    """The margin a tile reads around its block: the radius, rounded up to the grid (so each
    tile's U-Net pyramid lines up with a whole-image pass's)."""
    m = config.multiple
    return -(-receptive_radius(config) // m) * m


def network_radius(network: nn.Module) -> int:
    """The receptive radius of an RGB -> HSI network (a comparison network: no mixing grid),
    measured on a copy with random positive weights and a random positive input: every path
    then adds to the gradient and, with random values, no two cancel (a softmax gate could
    cancel exactly only at equal inputs)."""
    m = getattr(network, "multiple", 1)
    probe = copy.deepcopy(network).double().eval()
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in probe.parameters():
            p.copy_(0.01 + 0.01 * torch.rand(p.shape, generator=gen, dtype=p.dtype))
    size = 8 * m if m > 4 else 32
    with torch.enable_grad():
        while True:
            x = (0.5 + torch.rand(1, 3, size, size, generator=gen, dtype=torch.float64)).requires_grad_()
            c = size // 2 // m * m
            (grad,) = torch.autograd.grad(probe(x).hsi[..., c : c + m, c : c + m].sum(), x)
            rows = torch.nonzero(grad.abs().sum(dim=(0, 1, 3))).flatten()
            if int(rows.min()) > 0 and int(rows.max()) < size - 1:
                return max(c - int(rows.min()), int(rows.max()) - (c + m - 1))
            size *= 2


def model_grid(model: nn.Module) -> tuple[int, int]:
    """(multiple, tile margin) of any synthesis model: input sizes must be multiples of the
    first, and a tile reads the second around its block. INSS's come from its config
    (:func:`tile_margin`); a comparison network's margin is its radius rounded up to its
    multiple (measured once per model object); the per-pixel ridge needs (1, 0)."""
    config = getattr(model, "config", None)
    if isinstance(config, ModelConfig):
        return config.multiple, tile_margin(config)
    if not hasattr(model, "multiple"):  # per-pixel
        return 1, 0
    m = model.multiple
    if getattr(model, "_margin", None) is None:
        model._margin = -(-network_radius(model) // m) * m
    return m, model._margin
