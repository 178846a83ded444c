"""Discriminators for the adversarial loss (Eq. 16): conditional spatial and spectral."""

from __future__ import annotations

import torch
from torch import nn


class SpatialDiscriminator(nn.Module):
    """Conditional PatchGAN: (RGB, HSI) (B, 3 + K, H, W) -> patch logits (B, 1, h, w)."""

    def __init__(self, n_channels: int, width: int = 64) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3 + n_channels, width, 4, 2, 1),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(width, 2 * width, 4, 2, 1, bias=False),
            nn.BatchNorm2d(2 * width),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(2 * width, 4 * width, 3, 1, 1, bias=False),
            nn.BatchNorm2d(4 * width),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(4 * width, 1, 3, 1, 1),
        )

    def forward(self, rgb: torch.Tensor, hsi: torch.Tensor) -> torch.Tensor:
        """rgb (B, 3, H, W), hsi (B, K, H, W) -> logits (B, 1, H/4, W/4)."""
        return self.net(torch.cat([rgb, hsi], dim=1))


class SpectralDiscriminator(nn.Module):
    """1-D CNN over single-pixel spectra: (N, K) -> logits (N,)."""

    def __init__(self, width: int = 32) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(1, width, 7, 2, 3),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv1d(width, 2 * width, 5, 2, 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv1d(2 * width, 4 * width, 3, 2, 1),
            nn.LeakyReLU(0.2, inplace=True),
            nn.AdaptiveAvgPool1d(1),
            nn.Flatten(),
            nn.Linear(4 * width, 1),
        )

    def forward(self, spectra: torch.Tensor) -> torch.Tensor:
        """spectra (N, K) -> logits (N,)."""
        return self.net(spectra.unsqueeze(1)).squeeze(1)
