"""The INSS generator: RGB -> abundances -> neurally mixed hyperspectral image (Eq. 8-10)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..errors import ConfigError
from .config import ModelConfig
from .mixing import FeatureTransform, NeuralMixing
from .unet import AbundanceUNet


@dataclass
class Synthesis:
    """Everything one forward pass produces.

    Attributes:
        hsi: Synthesized image S_r (B, K, H, W), in normalised data units.
        linear: Linear mixture part L_r = t * (R A) (B, K, H, W).
        abundance: A (B, N_g, H, W), non-negative, sums to 1 over N_g.
        phi: Mixing-parameter grid (B, P, H/D, W/D); None for order 1.
        orders: Nonlinear contributions [e^2, ..., e^k], each (B, K, H, W).
    """

    hsi: torch.Tensor
    linear: torch.Tensor
    abundance: torch.Tensor
    phi: torch.Tensor | None
    orders: list[torch.Tensor]


class INSS(nn.Module):
    """F + T + N + t over a fixed spectral library R (K x N_g)."""

    def __init__(self, config: ModelConfig, library: torch.Tensor, t_init: torch.Tensor) -> None:
        super().__init__()
        k, n = library.shape
        if t_init.shape != (k,):
            raise ConfigError(f"t has {t_init.shape[0]} channels but the library has {k}")
        self.config = config
        self.register_buffer("library", library.float().clone())  # R (K, N_g), fixed
        self.t = nn.Parameter(t_init.float().clone())
        self.unet = AbundanceUNet(config.widths, n, config.blocks_per_stage, config.downscale)
        self.mixing = NeuralMixing(n, config.downscale, config.order, config.mlp_hidden, config.output_scale)
        self.transform = (
            FeatureTransform(
                self.unet.feature_width, config.transform_width, self.mixing.n_params, self.mixing.base_parameters()
            )
            if config.order > 1
            else None
        )

    def forward(self, rgb: torch.Tensor) -> Synthesis:
        """rgb: (B, 3, H, W) normalised, H and W multiples of ``config.multiple``."""
        m = self.config.multiple
        if rgb.shape[-1] % m or rgb.shape[-2] % m:
            raise ConfigError(
                f"input {tuple(rgb.shape[-2:])} is not a multiple of {m}; pad it to "
                f"({-(-rgb.shape[-2] // m) * m}, {-(-rgb.shape[-1] // m) * m})"
            )
        logits, feature = self.unet(rgb)
        abundance = torch.softmax(logits, dim=1)
        phi = self.transform(feature) if self.transform is not None else None
        hsi, linear, orders = self.mixing(abundance, phi, self.t.clamp_min(0), self.library)
        return Synthesis(hsi, linear, abundance, phi, orders)
