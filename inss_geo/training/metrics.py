"""Reconstruction metrics in two labelled conventions.

``paper``: as the INSS authors' evaluation code — data rescaled to a 0-4095 range
(value / data_scale * 4095), PSNR per band with peak 65535 then averaged (MPSNR), MRAE =
mean(|r - l| / (l + 1)), SAM in radians averaged over pixels, SSIM per band with an 11x11
Gaussian window (sigma 1.5, valid region) and dynamic range 65535, averaged (MSSIM).
Negative reference values (sensor noise) count as 0 in
the MRAE denominator. Because the peak is 65535 on 0-4095 data, paper MPSNR is 20 log10(65535/4095) = 24.08 dB
higher than a 4095-peak figure.

``standard``: data in the scene's own units, PSNR per band with peak = that band's reference
maximum, MRAE over reference values > 0 (mean |r - l| / l), SSIM with the reference band's
range as dynamic range; RMSE and SAM as above.

Both use only the channels the scene has and keeps (water bands out) and valid pixels.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

CONVENTIONS = ("paper", "standard")
PAPER_RANGE = 4095.0
PAPER_PEAK = 65535.0
METRIC_NAMES = ("RMSE", "MRAE", "SAM", "MSSIM", "MPSNR")


def _gaussian_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    x = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    g = g / g.sum()
    return (g[:, None] * g[None, :])[None, None]  # (1, 1, 11, 11)


def ssim_per_band(pred: np.ndarray, ref: np.ndarray, valid: np.ndarray, data_range: np.ndarray) -> np.ndarray:
    """SSIM of each band (C,), averaged over window positions whose 11x11 window is all valid.

    pred, ref (C, H, W); valid (H, W); data_range (C,). Images smaller than the window use
    the whole image as one window.
    """
    a = torch.from_numpy(pred.astype(np.float64))[:, None]
    b = torch.from_numpy(ref.astype(np.float64))[:, None]
    win = _gaussian_window()
    if min(pred.shape[1:]) < win.shape[-1]:
        win = torch.ones(1, 1, *pred.shape[1:], dtype=torch.float64) / math.prod(pred.shape[1:])
    mu_a, mu_b = F.conv2d(a, win), F.conv2d(b, win)
    var_a = F.conv2d(a * a, win) - mu_a**2
    var_b = F.conv2d(b * b, win) - mu_b**2
    cov = F.conv2d(a * b, win) - mu_a * mu_b
    L = torch.from_numpy(np.asarray(data_range, dtype=np.float64))[:, None, None, None]
    c1, c2 = (0.01 * L) ** 2, (0.03 * L) ** 2
    ssim = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    ok = F.conv2d(torch.from_numpy(valid.astype(np.float64))[None, None], torch.ones_like(win)) >= win.numel() - 0.5
    ok = ok[0, 0]
    if not ok.any():
        return np.full(pred.shape[0], np.nan)
    return ssim[:, 0][:, ok].mean(dim=1).numpy()


def evaluate_arrays(
    pred: np.ndarray,
    ref: np.ndarray,
    channels: np.ndarray,
    valid: np.ndarray,
    *,
    data_scale: float,
    convention: str,
) -> dict[str, float]:
    """RMSE, MRAE, SAM, MSSIM, MPSNR of a synthesized image against its reference.

    Args:
        pred, ref: (K, H, W) in the data's units.
        channels: (K,) bool, channels to score.
        valid: (H, W) bool, pixels to score.
        data_scale: Value of full scale in data units (the checkpoint's contract).
        convention: ``paper`` or ``standard`` (module docstring).
    """
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown metric convention {convention!r}; choose from {CONVENTIONS}")
    p = pred[channels].astype(np.float64)
    r = ref[channels].astype(np.float64)
    if convention == "paper":
        p, r = p / data_scale * PAPER_RANGE, r / data_scale * PAPER_RANGE
    pv, rv = p[:, valid], r[:, valid]  # (C, N)
    err = pv - rv
    rmse = float(np.sqrt(np.mean(err**2)))
    if convention == "paper":
        mrae = float(np.mean(np.abs(err) / (np.maximum(rv, 0) + 1)))  # negative noise floor -> 0
        peak = np.full(p.shape[0], PAPER_PEAK)
        dyn = peak
    else:
        pos = rv > 0
        mrae = float(np.mean(np.abs(err[pos]) / rv[pos]))
        peak = rv.max(axis=1)
        dyn = np.maximum(rv.max(axis=1) - rv.min(axis=1), 1e-12)
    cos = (pv * rv).sum(0) / np.maximum(np.linalg.norm(pv, axis=0) * np.linalg.norm(rv, axis=0), 1e-12)
    sam = float(np.mean(np.arccos(np.clip(cos, -1, 1))))
    mse_band = np.maximum(np.mean(err**2, axis=1), 1e-12)
    mpsnr = float(np.mean(20 * np.log10(peak / np.sqrt(mse_band))))
    mssim = float(np.nanmean(ssim_per_band(p, r, valid, dyn)))
    return {"RMSE": rmse, "MRAE": mrae, "SAM": sam, "MSSIM": mssim, "MPSNR": mpsnr}
