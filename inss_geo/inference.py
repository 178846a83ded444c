"""Whole-image synthesis for scenes that fit in memory (evaluation, validation).

Tiled synthesis of scenes larger than memory builds on :func:`synthesize_rgb`.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .model import INSS, Synthesis
from .ridge import RidgeModel


@torch.no_grad()
def synthesize_rgb(model: INSS, rgb: torch.Tensor) -> Synthesis:
    """Synthesize from normalised RGB (B, 3, H, W) of any size.

    The input is reflect-padded on the bottom/right to the model's multiple (2^stages) and every
    output is cropped back, so pixel (y, x) of the output belongs to pixel (y, x) of the input.
    """
    m = model.config.multiple
    h, w = rgb.shape[-2:]
    ph, pw = -h % m, -w % m
    x = rgb
    while ph or pw:  # reflection padding needs pad < size; repeat for tiny inputs
        sh, sw = min(ph, x.shape[-2] - 1), min(pw, x.shape[-1] - 1)
        if sh == 0 and sw == 0:
            x = F.pad(x, (0, pw, 0, ph), mode="replicate")
            break
        x = F.pad(x, (0, sw, 0, sh), mode="reflect")
        ph, pw = ph - sh, pw - sw
    out = model(x)
    d = model.config.downscale
    crop = lambda t: t[..., :h, :w]  # noqa: E731
    return Synthesis(
        crop(out.hsi),
        crop(out.linear),
        crop(out.abundance),
        None if out.phi is None else out.phi[..., : -(-h // d), : -(-w // d)],
        [crop(e) for e in out.orders],
    )


@torch.no_grad()
def synthesize_cube(model: INSS | RidgeModel, cube_norm: np.ndarray, rgb: tuple[int, int, int],
                    device: torch.device) -> np.ndarray:
    """Synthesize a full cube (K, H, W) from the RGB channels of a normalised cube (K, H, W),
    with INSS or the ridge baseline."""
    x = torch.from_numpy(np.ascontiguousarray(cube_norm[list(rgb)]))[None].to(device)
    hsi = model(x) if isinstance(model, RidgeModel) else synthesize_rgb(model, x).hsi
    return hsi[0].float().cpu().numpy()
