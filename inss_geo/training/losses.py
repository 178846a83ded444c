"""Training losses of INSS (paper Eq. 11-16), with pixel and channel masks.

Every loss takes ``channels`` (B, K) — the channels a sample's scene has and that are kept
(water bands out) — and ``pixels`` (B, 1, H, W) — pixels with data — so scenes with different
channel subsets and nodata train one model.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

_EPS = 1e-8


@dataclass(frozen=True)
class LossWeights:
    """Weights of Eq. 18; 0 switches a term off.

    The defaults are the recipe of ``models/default/MODEL_CARD.md``; the paper's are pixel 1,
    cosine 10, hsv 0.1, residual 1, adversarial 0.01 and no RGB term.

    Attributes:
        pixel: Band-weighted L1 (Eq. 11; the weighting is a training option).
        cosine: Spectral cosine distance (Eq. 12), lambda_1.
        hsv: HSV colour L1 on the RGB channels (Eq. 14), lambda_2.
        residual: L1 of the nonlinear part S_r - L_r (Eq. 15), lambda_3.
        adversarial: Spatial + spectral adversarial loss (Eq. 16), lambda_4.
        rgb: Relative L1 of the synthesized RGB channels against the true ones: the channels
            that define the input must reproduce it (not in the paper).
    """

    pixel: float = 1.0
    cosine: float = 1.0
    hsv: float = 0.1
    residual: float = 1.0
    adversarial: float = 0.0
    rgb: float = 1.0


def _masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return (x * mask).sum() / mask.sum().clamp_min(1)


def weighted_l1(
    pred: torch.Tensor, target: torch.Tensor, band_weights: torch.Tensor, channels: torch.Tensor, pixels: torch.Tensor
) -> torch.Tensor:
    """Eq. 11: per-pixel L1 weighted by band variance, weights normalised per sample to sum 1.

    pred, target (B, K, H, W); band_weights (K,); channels (B, K) bool; pixels (B, 1, H, W).
    """
    w = band_weights[None, :] * channels  # (B, K)
    w = w / w.sum(dim=1, keepdim=True).clamp_min(_EPS)
    per_pixel = ((pred - target).abs() * w[:, :, None, None]).sum(dim=1, keepdim=True)  # (B, 1, H, W)
    return _masked_mean(per_pixel, pixels)


def rgb_l1(pred_rgb: torch.Tensor, target_rgb: torch.Tensor, pixels: torch.Tensor) -> torch.Tensor:
    """Mean over the 3 RGB channels of |pred - target| / the channel's batch mean: the synthesized
    channels that define the RGB must reproduce it, in every unit system alike. (B, 3, H, W)."""
    scale = ((target_rgb * pixels).sum(dim=(0, 2, 3)) / pixels.sum().clamp_min(1)).clamp_min(_EPS)  # (3,)
    rel = (pred_rgb - target_rgb).abs() / scale[None, :, None, None]
    return _masked_mean(rel.mean(dim=1, keepdim=True), pixels)


def cosine_distance(pred: torch.Tensor, target: torch.Tensor, channels: torch.Tensor, pixels: torch.Tensor) -> torch.Tensor:
    """Eq. 12-13 as a distance: mean over pixels of 1 - cos(s, s_r) on the sample's channels."""
    c = channels[:, :, None, None].to(pred.dtype)
    cos = F.cosine_similarity(pred * c, target * c, dim=1, eps=_EPS).unsqueeze(1)  # (B, 1, H, W)
    return _masked_mean(1 - cos, pixels)


def rgb_to_hsv(rgb: torch.Tensor) -> torch.Tensor:
    """Differentiable RGB -> HSV: (B, 3, H, W) -> (B, 3, H, W), hue in [0, 1)."""
    r, g, b = rgb.unbind(dim=1)
    v, imax = rgb.max(dim=1)
    c = v - rgb.min(dim=1).values
    s = c / v.clamp_min(_EPS)
    safe_c = c.clamp_min(_EPS)
    h = torch.where(
        imax == 0, ((g - b) / safe_c) % 6, torch.where(imax == 1, (b - r) / safe_c + 2, (r - g) / safe_c + 4)
    )
    h = torch.where(c > _EPS, h / 6, torch.zeros_like(h))
    return torch.stack([h, s, v], dim=1)


def hsv_l1(pred_rgb: torch.Tensor, target_rgb: torch.Tensor, pixels: torch.Tensor) -> torch.Tensor:
    """Eq. 14: L1 between HSV images; hue differences wrap around the colour circle.

    Colours are clamped at 0 first: a network whose output can go negative (the comparison
    networks) would otherwise make S = C / V divide by a negative or vanishing V."""
    a, b = rgb_to_hsv(pred_rgb.clamp_min(0)), rgb_to_hsv(target_rgb.clamp_min(0))
    dh = (a[:, :1] - b[:, :1]).abs()
    dh = torch.minimum(dh, 1 - dh)
    diff = torch.cat([dh, (a[:, 1:] - b[:, 1:]).abs()], dim=1).mean(dim=1, keepdim=True)
    return _masked_mean(diff, pixels)


def residual_l1(hsi: torch.Tensor, linear: torch.Tensor, pixels: torch.Tensor) -> torch.Tensor:
    """Eq. 15: mean |S_r - L_r|, the size of the nonlinear (multiple-reflection) part."""
    return _masked_mean((hsi - linear).abs().mean(dim=1, keepdim=True), pixels)


def gan_loss(logits: torch.Tensor, real: bool, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Binary cross-entropy of the log D / log(1 - D) objective (Eq. 16)."""
    target = torch.ones_like(logits) if real else torch.zeros_like(logits)
    loss = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    return loss.mean() if mask is None else _masked_mean(loss, mask)
