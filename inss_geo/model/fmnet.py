"""FMNet: a pixel-aware mixture of basis functions with adaptive receptive fields.

L. Zhang, Z. Lang, P. Wang, W. Wei, S. Liao, L. Shao, Y. Zhang, "Pixel-aware deep
function-mixture network for spectral super-resolution", AAAI 2020 (the paper's [54]). Each
function-mixture block runs several basis subnetworks whose receptive fields differ (here 3x3,
5x5 and 7x7 kernels) and a mixing subnetwork that weighs them per pixel (softmax); the blocks'
outputs are fused at the end. Sized for about 100k training pixels: 3 blocks of 32 channels
(0.61 M weights, against 4-8 blocks of 64 in the original).
"""

from __future__ import annotations

import torch
from torch import nn

from .direct import DirectNetwork, conv


class _FunctionMixture(nn.Module):
    """Basis functions of kernel sizes ``kernels`` mixed with per-pixel softmax weights."""

    def __init__(self, width: int, kernels: tuple[int, ...]) -> None:
        super().__init__()
        self.basis = nn.ModuleList(
            nn.Sequential(conv(width, width, k), nn.ReLU(inplace=True), conv(width, width, k)) for k in kernels)
        self.mixing = nn.Sequential(conv(width, width), nn.ReLU(inplace=True), conv(width, len(kernels)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weights = torch.softmax(self.mixing(x), dim=1)  # (B, n_basis, H, W): one mixture per pixel
        mixed = sum(weights[:, i : i + 1] * f(x) for i, f in enumerate(self.basis))
        return x + mixed


class FMNet(DirectNetwork):
    """RGB -> feature layer -> ``blocks`` function-mixture blocks, fused -> K channels."""

    def __init__(self, n_channels: int, width: int = 32, blocks: int = 3, kernels: tuple[int, ...] = (3, 5, 7)) -> None:
        super().__init__()
        self.head = nn.Sequential(conv(3, width), nn.ReLU(inplace=True))
        self.blocks = nn.ModuleList(_FunctionMixture(width, tuple(kernels)) for _ in range(blocks))
        self.fuse = nn.Sequential(nn.Conv2d(width * blocks, width, 1), nn.ReLU(inplace=True))
        self.tail = conv(width, n_channels)

    def body(self, x: torch.Tensor) -> torch.Tensor:
        f = self.head(x)
        outs = []
        for block in self.blocks:
            f = block(f)
            outs.append(f)
        return self.tail(self.fuse(torch.cat(outs, dim=1)))
