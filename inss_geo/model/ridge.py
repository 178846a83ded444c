"""The baseline every synthesis model must beat: per-channel quadratic ridge regression from RGB.

Each output channel is a quadratic polynomial of the pixel's own (standardised) R, G, B: ten
features, fitted in closed form on the training scenes' pixels, with the ridge penalty chosen
by standard-convention MPSNR on the validation scenes (:mod:`training.ridge`). It takes seconds and knows nothing of
space or physics, so a learned model that does not beat it has learned nothing worth its cost.
"""

from __future__ import annotations

import torch
from torch import nn

N_FEATURES = 10


def quadratic_features(x: torch.Tensor) -> torch.Tensor:
    """Standardised RGB (..., 3) -> [1, r, g, b, r^2, g^2, b^2, rg, rb, gb] (..., 10)."""
    r, g, b = x.unbind(-1)
    return torch.stack([torch.ones_like(r), r, g, b, r * r, g * g, b * b, r * g, r * b, g * b], dim=-1)


class RidgeModel(nn.Module):
    """RGB (B, 3, H, W), normalised data units -> HSI (B, K, H, W): one polynomial per channel."""

    def __init__(self, coef: torch.Tensor, rgb_mean: torch.Tensor, rgb_std: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("coef", coef.double())  # (10, K)
        self.register_buffer("rgb_mean", rgb_mean.double())
        self.register_buffer("rgb_std", rgb_std.double())

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        """rgb: (B, 3, H, W) -> (B, K, H, W) in rgb's dtype."""
        x = (rgb.double().permute(0, 2, 3, 1) - self.rgb_mean) / self.rgb_std
        return (quadratic_features(x) @ self.coef).permute(0, 3, 1, 2).to(rgb.dtype)
