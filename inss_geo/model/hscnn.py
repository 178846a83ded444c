"""HSCNN+ (HSCNN-R): a residual CNN from RGB to every channel.

Z. Shi, C. Chen, Z. Xiong, D. Liu, F. Wu, "HSCNN+: Advanced CNN-based hyperspectral recovery
from RGB images", CVPR Workshops 2018 (the paper's [66]). HSCNN-R is a 3x3 feature layer, a
stack of residual blocks (conv-ReLU-conv plus identity) and a reconstruction layer. The original
has 16 blocks of 64 channels for 31 output bands and about 2 M training pixels per epoch; sized
here for about 100k training pixels and 224 channels: 6 blocks of 64 channels (0.57 M weights).
"""

from __future__ import annotations

import torch
from torch import nn

from .direct import DirectNetwork, conv


class _Residual(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.body = nn.Sequential(conv(width, width), nn.ReLU(inplace=True), conv(width, width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class HSCNNPlus(DirectNetwork):
    """RGB -> feature layer -> ``blocks`` residual blocks -> 3x3 reconstruction to K channels."""

    def __init__(self, n_channels: int, width: int = 64, blocks: int = 6) -> None:
        super().__init__()
        self.head = nn.Sequential(conv(3, width), nn.ReLU(inplace=True))
        self.blocks = nn.Sequential(*(_Residual(width) for _ in range(blocks)))
        self.tail = conv(width, n_channels)

    def body(self, x: torch.Tensor) -> torch.Tensor:
        f = self.head(x)
        return self.tail(self.blocks(f) + f)
