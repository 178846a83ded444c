"""The consistency step: the synthesized channels that define the RGB reproduce the input RGB.

After mixing, the input's RGB minus the synthesized RGB channels (a per-pixel 3-vector) is
spread over all K channels by a learned K x 3 matrix P whose RGB rows are the identity:
s' = max(s + P (rgb - s_rgb), 0). At the RGB channels s' equals the input exactly; elsewhere
P learns how a colour error at 3 wavelengths continues across the spectrum. Radiance is never
negative, so a channel the correction would take below 0 is 0: 0.1-0.2% of the values on the
AVIRIS test scenes, but 10% on the bundled 8-bit NAIP photo, whose colours the model does not
reproduce on its own (an extrapolation; see the model card). It is per pixel, so tiles stay
seam-free.
"""

from __future__ import annotations

import torch
from torch import nn


class RGBProjection(nn.Module):
    """P (K, 3) with rows ``rgb`` fixed to the identity; the other rows are learned, from 0."""

    def __init__(self, n_channels: int, rgb: tuple[int, int, int]) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n_channels, 3))
        fixed = torch.zeros(n_channels, 3)
        fixed[list(rgb), [0, 1, 2]] = 1.0
        self.register_buffer("fixed", fixed)
        self.register_buffer("rgb_index", torch.tensor(list(rgb)))

    def matrix(self) -> torch.Tensor:
        """P (K, 3)."""
        free = (self.fixed.sum(dim=1, keepdim=True) == 0).to(self.weight.dtype)
        return self.weight * free + self.fixed

    def forward(self, hsi: torch.Tensor, rgb: torch.Tensor) -> torch.Tensor:
        """hsi (B, K, H, W), rgb (B, 3, H, W) in the same units -> s' (B, K, H, W)."""
        residual = rgb - hsi[:, self.rgb_index]
        return (hsi + torch.einsum("kc,bchw->bkhw", self.matrix(), residual)).clamp_min(0)
