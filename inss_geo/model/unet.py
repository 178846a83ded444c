"""Abundance prediction network F: a residual U-Net ending in a softmax over library spectra."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval


class ResidualBlock(nn.Module):
    """Two 3x3 convolutions with batch norm and an identity or 1x1 projection shortcut."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False),
            nn.BatchNorm2d(c_out),
        )
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, c_in, H, W) -> (B, c_out, H/stride, W/stride)."""
        return F.leaky_relu(self.body(x) + self.shortcut(x), 0.2)


class UpStage(nn.Module):
    """Bilinear x2 upsampling then a 3x3 convolution (no checkerboard artefacts)."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, 1, 1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.LeakyReLU(0.2, inplace=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, c_in, h, w) -> (B, c_out, 2h, 2w)."""
        return self.conv(F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False))


class AbundanceUNet(nn.Module):
    """F: RGB (B, 3, H, W) -> abundance logits (B, N_g, H, W) and decoder features.

    Residual encoder stages halve the resolution; as many decoder stages double it, each
    adding the encoder feature of the same scale. The decoder feature at 1/``feature_scale``
    feeds the feature transform network T.

    The input is standardised first with the training RGB's per-channel mean and standard
    deviation (buffers set by training, stored with the weights): the network then sees inputs
    near N(0, 1) whatever the data's units, and no caller can forget the step.
    """

    def __init__(
        self, widths: tuple[int, ...], n_out: int, blocks_per_stage: int, feature_scale: int
    ) -> None:
        super().__init__()
        self.register_buffer("rgb_mean", torch.zeros(3))
        self.register_buffer("rgb_std", torch.ones(3))
        self.stem = nn.Conv2d(3, widths[0], 3, 1, 1)
        encoder = []
        c_prev = widths[0]
        for w in widths:
            blocks = [ResidualBlock(c_prev, w, stride=2)]
            blocks += [ResidualBlock(w, w) for _ in range(blocks_per_stage - 1)]
            encoder.append(nn.Sequential(*blocks))
            c_prev = w
        self.encoder = nn.ModuleList(encoder)
        # skip widths from fine to coarse: stem, e1..e5; the decoder walks them backwards
        skips = [widths[0], *widths[:-1]]
        self.decoder = nn.ModuleList(
            UpStage(c_in, c_out) for c_in, c_out in zip([widths[-1], *skips[:0:-1]], skips[::-1], strict=True)
        )
        self.head = nn.Conv2d(widths[0], n_out, 3, 1, 1)
        #: index of the decoder stage whose output is at 1/feature_scale
        self.feature_stage = len(widths) - feature_scale.bit_length()  # -1: the bottleneck itself
        self.feature_width = widths[-1] if self.feature_stage < 0 else skips[::-1][self.feature_stage]

    def forward(self, rgb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """rgb: (B, 3, H, W) -> (logits (B, N_g, H, W), feature (B, C_f, H/D, W/D))."""
        head_input, feature = self.decode(rgb)
        return self.head(head_input), feature

    def decode(self, rgb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """rgb: (B, 3, H, W) -> (the head's input (B, widths[0], H, W), feature (B, C_f, H/D, W/D)).

        Apart so that tiled synthesis runs the head, most of F's arithmetic, on each block's
        own pixels only, not on the margin its window reads around it.
        """
        x = (rgb - self.rgb_mean[:, None, None].to(rgb.dtype)) / self.rgb_std[:, None, None].to(rgb.dtype)
        feats = [self.stem(x)]  # scale 1
        for stage in self.encoder:
            feats.append(stage(F.leaky_relu(feats[-1], 0.2)))  # scales 1/2 .. 1/64
        x = feats.pop()
        feature = x
        for i, up in enumerate(self.decoder):
            x = up(x) + feats.pop()  # additive skip at the same scale
            if i == self.feature_stage:
                feature = x
        return F.leaky_relu(x, 0.2), feature


def fold_batch_norms(module: nn.Module) -> None:
    """For inference, in place: each eval-mode batch norm that follows a convolution in a
    Sequential is folded into that convolution's weights and bias (torch's fuse_conv_bn_eval)
    and replaced by an identity, so a U-Net pass no longer reads and writes every activation
    once more per batch norm (outputs within 1e-5)."""
    if module.training:
        raise ValueError("batch norms fold only in eval mode: training still updates their statistics")
    for seq in [m for m in module.modules() if isinstance(m, nn.Sequential)]:
        for i in range(len(seq) - 1):
            if isinstance(seq[i], nn.Conv2d) and isinstance(seq[i + 1], nn.BatchNorm2d):
                seq[i], seq[i + 1] = fuse_conv_bn_eval(seq[i], seq[i + 1]), nn.Identity()
