"""Scale-free checks of a synthesized HSI against its own RGB input, with no ground truth.

Whatever the input's units, a faithful synthesis keeps the input's colours and its detail:
the HSI at the RGB channels should correlate per channel with the input R, G, B (Pearson), and
the Sobel edge magnitude of its visible bands should correlate with the input's. Colour drift
and blur show up in these even where no reference spectrum exists, so ``evaluate`` and
``synthesize`` report them for every input.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

#: Visible range whose bands' mean is the HSI's luminance for the edge check (nm).
VISIBLE_NM = (400.0, 700.0)

_SOBEL = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]], dtype=torch.float64)


def sobel_magnitude(image: np.ndarray) -> np.ndarray:
    """|grad| of a (H, W) image by the 3x3 Sobel operator, (H-2, W-2): the interior only, so
    no padding invents edges at the border."""
    x = torch.from_numpy(np.asarray(image, dtype=np.float64))[None, None]
    kernels = torch.stack([_SOBEL, _SOBEL.T])[:, None]
    g = F.conv2d(x, kernels)[0]
    return torch.sqrt(g[0] ** 2 + g[1] ** 2).numpy()


def visible_bands(wavelengths_nm: np.ndarray, channels: np.ndarray | None = None) -> np.ndarray:
    """Indices of the channels inside :data:`VISIBLE_NM` (and in ``channels``, if given)."""
    wl = np.asarray(wavelengths_nm)
    ok = (wl >= VISIBLE_NM[0]) & (wl <= VISIBLE_NM[1])
    if channels is not None:
        ok &= channels
    return np.flatnonzero(ok)


@dataclass
class Correlation:
    """Pearson correlation accumulated over any number of pixel sets (tiles, blocks)."""

    n: float = 0.0
    sums: np.ndarray = field(default_factory=lambda: np.zeros(5))  # x, y, xx, yy, xy

    def add(self, x: np.ndarray, y: np.ndarray) -> None:
        """Add paired samples (any shape, same size)."""
        x, y = np.asarray(x, np.float64).ravel(), np.asarray(y, np.float64).ravel()
        self.n += x.size
        self.sums += [x.sum(), y.sum(), (x * x).sum(), (y * y).sum(), (x * y).sum()]

    def value(self) -> float:
        """r, or NaN with fewer than 2 samples or a constant variable."""
        if self.n < 2:
            return float("nan")
        sx, sy, sxx, syy, sxy = self.sums / self.n
        vx, vy = sxx - sx * sx, syy - sy * sy
        if vx <= 0 or vy <= 0:
            return float("nan")
        return float((sxy - sx * sy) / np.sqrt(vx * vy))


class ConsistencyMeter:
    """The two checks, accumulated block by block.

    ``add`` takes the input RGB (3, H, W) in any units, the synthesized HSI (K, H, W), the
    sensor's RGB channel indices, the visible channels and the valid pixels (H, W). Edges are
    taken inside each block (its outermost ring has no full Sobel neighbourhood and is left out).
    """

    def __init__(self, rgb: tuple[int, int, int], visible: np.ndarray) -> None:
        self.rgb, self.visible = list(rgb), np.asarray(visible)
        self.channels = [Correlation() for _ in range(3)]
        self.edges = Correlation()

    def add(self, rgb_in: np.ndarray, hsi: np.ndarray, valid: np.ndarray) -> None:
        """One block's pixels."""
        if not valid.any():
            return
        for i, (c, corr) in enumerate(zip(self.rgb, self.channels, strict=True)):
            corr.add(rgb_in[i][valid], hsi[c][valid])
        if min(valid.shape) < 3 or not len(self.visible):
            return
        lum_in = sobel_magnitude(rgb_in.astype(np.float64).mean(axis=0))
        lum_out = sobel_magnitude(hsi[self.visible].astype(np.float64).mean(axis=0))
        h, w = valid.shape
        inner = np.logical_and.reduce([valid[dy : h - 2 + dy, dx : w - 2 + dx] for dy in range(3) for dx in range(3)])
        self.edges.add(lum_in[inner], lum_out[inner])

    def summary(self) -> dict[str, float]:
        """{"rgb_r_red", "rgb_r_green", "rgb_r_blue", "edge_r"}: Pearson r of each check."""
        names = ("red", "green", "blue")
        out = {f"rgb_r_{n}": c.value() for n, c in zip(names, self.channels, strict=True)}
        out["edge_r"] = self.edges.value()
        return out


def consistency(rgb_in: np.ndarray, hsi: np.ndarray, rgb: tuple[int, int, int], visible: np.ndarray,
                valid: np.ndarray) -> dict[str, float]:
    """The two checks on one whole image: see :class:`ConsistencyMeter`."""
    meter = ConsistencyMeter(rgb, visible)
    meter.add(rgb_in, hsi, valid)
    return meter.summary()
