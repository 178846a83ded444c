"""The INSS generator: RGB -> abundances -> neurally mixed hyperspectral image (Eq. 8-10)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..errors import ConfigError
from .config import ModelConfig
from .mixing import FeatureTransform, NeuralMixing
from .rgb_projection import RGBProjection
from .unet import AbundanceUNet


@dataclass
class Synthesis:
    """Everything one forward pass produces.

    Attributes:
        hsi: Synthesized image S_r (B, K, H, W), in normalised data units.
        linear: Linear part L_r = L_path + t * (R A) (B, K, H, W); S_r - L_r is the nonlinear part.
        abundance: A (B, N_g, H, W), non-negative, sums to 1 over N_g; None for a comparison
            network, which has no library (:mod:`model.direct`).
        phi: Mixing-parameter grid (B, P, H/D, W/D); None for order 1.
        orders: Nonlinear contributions [e^2, ..., e^k], each (B, K, H, W).
    """

    hsi: torch.Tensor
    linear: torch.Tensor
    abundance: torch.Tensor | None
    phi: torch.Tensor | None
    orders: list[torch.Tensor]


class INSS(nn.Module):
    """F + T + N + t (+ L_path) over a fixed spectral library R (K x N_g).

    With ``config.path_radiance`` the output is L_path + N(...), L_path >= 0 per channel: the
    additive radiance the atmosphere scatters into the sensor without touching the ground
    (L = L_path + t * rho, the form of 6S and MODTRAN), largest in the blue. The paper's
    output is the multiplicative part alone. With ``config.rgb_consistency`` a consistency step
    (:mod:`rgb_projection`) then makes the RGB channels reproduce the input.
    """

    def __init__(self, config: ModelConfig, library: torch.Tensor, t_init: torch.Tensor,
                 rgb: tuple[int, int, int] | None = None) -> None:
        super().__init__()
        k, n = library.shape
        if t_init.shape != (k,):
            raise ConfigError(f"t has {t_init.shape[0]} channels but the library has {k}")
        self.config = config
        self.register_buffer("library", library.float().clone())  # R (K, N_g), fixed
        self.t = nn.Parameter(t_init.float().clone())
        self.path_radiance = nn.Parameter(torch.zeros(k)) if config.path_radiance else None
        if config.rgb_consistency and rgb is None:
            raise ConfigError("the consistency step needs the sensor's RGB channels")
        self.projection = RGBProjection(k, rgb) if config.rgb_consistency else None
        self.unet = AbundanceUNet(config.widths, n, config.blocks_per_stage, config.downscale)
        self.mixing = NeuralMixing(n, config.downscale, config.order, config.mlp_hidden, config.output_scale)
        self.transform = (
            FeatureTransform(self.unet.feature_width, config.transform_width, self.mixing.n_params)
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
        if self.config.detach_transform_input:
            feature = feature.detach()
        phi = self.transform(feature) if self.transform is not None else None
        hsi, linear, orders = self.mixing(abundance, phi, self.signature(), self.library)
        path = self.path()
        if path is not None:
            hsi, linear = hsi + path[:, None, None], linear + path[:, None, None]
        if self.projection is not None:
            corrected = self.projection(hsi, rgb)
            linear, hsi = linear + (corrected - hsi), corrected  # the step is not a mixing order
        return Synthesis(hsi, linear, abundance, phi, orders)

    def signature(self) -> torch.Tensor:
        """t (K,) as the model uses it: non-negative."""
        return self.t.clamp_min(0)

    def path(self) -> torch.Tensor | None:
        """L_path (K,) as the model uses it (non-negative), or None without the term."""
        return None if self.path_radiance is None else self.path_radiance.clamp_min(0)
