"""Whole-image synthesis for scenes that fit in memory (evaluation, validation).

Tiled synthesis (:mod:`synthesis`) gives the same output block by block, for scenes larger than memory.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..model import INSS, Synthesis
from ..model.receptive_field import model_grid
from ..model.ridge import RidgeModel
from .tiling import reflect_index


@torch.no_grad()
def synthesize_rgb(model: nn.Module, rgb: torch.Tensor) -> Synthesis:
    """Synthesize from normalised RGB (B, 3, H, W) of any size, in one pass.

    The input is extended by the model's tile margin on every side, and on the bottom and right
    to its multiple, by reflection (:func:`tiling.reflect_index`), and every output is cropped
    back to (H, W): the context a tile of ``inss-geo synthesize`` reads, so tiled synthesis
    gives the same output. ``model`` is INSS or a comparison network (:mod:`model.direct`).
    """
    m, margin = model_grid(model)
    d = model.config.downscale if isinstance(model, INSS) else 1
    h, w = rgb.shape[-2:]
    rows = reflect_index(np.arange(-margin, -(-h // m) * m + margin), h)
    cols = reflect_index(np.arange(-margin, -(-w // m) * m + margin), w)
    x = rgb[..., torch.from_numpy(rows).to(rgb.device), :][..., torch.from_numpy(cols).to(rgb.device)]
    out = model(x)
    crop = lambda t: t[..., margin : margin + h, margin : margin + w]  # noqa: E731
    cells = slice(margin // d, margin // d + -(-h // d)), slice(margin // d, margin // d + -(-w // d))
    return Synthesis(
        crop(out.hsi),
        crop(out.linear),
        None if out.abundance is None else crop(out.abundance),
        None if out.phi is None else out.phi[..., cells[0], cells[1]],
        [crop(e) for e in out.orders],
    )


@torch.no_grad()
def synthesize_cube(model: nn.Module, cube_norm: np.ndarray, rgb: tuple[int, int, int],
                    device: torch.device) -> np.ndarray:
    """Synthesize a full cube (K, H, W) from the RGB channels of a normalised cube (K, H, W),
    with any synthesis model (:mod:`model.methods`)."""
    x = torch.from_numpy(np.ascontiguousarray(cube_norm[list(rgb)]))[None].to(device)
    hsi = model(x) if isinstance(model, RidgeModel) else synthesize_rgb(model, x).hsi
    return hsi[0].float().cpu().numpy()
