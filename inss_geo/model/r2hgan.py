"""R2HGAN's generator: an encoder-decoder from RGB to every channel, trained adversarially.

L. Liu, S. Lei, Z. Shi, N. Zhang, X. Zhu, "Hyperspectral remote sensing imagery generation
from RGB images based on joint discrimination", IEEE JSTARS 14, 2021 (the paper's [80]). A
conditional GAN: a U-shaped generator and a joint discrimination of the image (a conditional
spatial PatchGAN) and of single-pixel spectra (a spectral 1-D CNN). The discriminators are
INSS's own (:mod:`model.discriminators`), switched on by ``train --method r2hgan`` (adversarial
weight 0.01 unless given). Sized for about 100k training pixels: 3 halvings, widths
32/64/128/128 (0.74 M weights).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .direct import DirectNetwork, conv


def _stage(c_in: int, c_out: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2, inplace=True))


class R2HGANGenerator(DirectNetwork):
    """RGB -> 3 stride-2 encoder stages -> bilinear decoder with skips -> K channels."""

    def __init__(self, n_channels: int, widths: tuple[int, ...] = (32, 64, 128, 128)) -> None:
        super().__init__()
        widths = tuple(widths)
        self.multiple = 2 ** (len(widths) - 1)
        self.down = nn.ModuleList([_stage(3, widths[0], 1)] + [_stage(a, b, 2) for a, b in zip(widths[:-1], widths[1:])])
        self.up = nn.ModuleList(_stage(b + a, a, 1) for a, b in zip(widths[:-1], widths[1:]))
        self.tail = conv(widths[0], n_channels)

    def body(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for stage in self.down:
            x = stage(x)
            skips.append(x)
        for stage, skip in zip(reversed(self.up), reversed(skips[:-1])):
            x = stage(torch.cat([F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False), skip], 1))
        return self.tail(x)
