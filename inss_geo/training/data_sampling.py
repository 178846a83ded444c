"""Training batches: random crops of scenes, with per-sample channel and pixel masks.

The sampler is a pure function of (seed, rank, step), so a resumed run draws exactly the
batches an uninterrupted run would have drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..errors import ConfigError
from ..spectra.sensors import Sensor
from .scenes import Scene


@dataclass
class Batch:
    """One training batch, normalised (value / data scale).

    Attributes:
        rgb: Input (B, 3, H, W): the sensor's RGB channels of ``target`` (with augmentation,
            times a per-channel colour jitter).
        target: Real image S (B, K, H, W); absent channels hold 0.
        channels: (B, K) bool, channels present in the sample's scene and kept.
        pixels: (B, 1, H, W) float, 1 where the pixel has data (not nodata, not padding).
    """

    rgb: torch.Tensor
    target: torch.Tensor
    channels: torch.Tensor
    pixels: torch.Tensor

    def to(self, device: torch.device) -> Batch:
        """Copy to ``device``."""
        return Batch(*(t.to(device, non_blocking=True) for t in (self.rgb, self.target, self.channels, self.pixels)))


@dataclass(frozen=True)
class Augment:
    """Radiometric augmentation of training crops (geometric flips and turns are always on).

    Attributes:
        gain: A crop's radiance is multiplied by a factor in [1/gain, gain] (log-uniform).
        jitter: Each input RGB channel is multiplied by a factor in [1 - jitter, 1 + jitter].
    """

    gain: float = 1.25
    jitter: float = 0.02


class SceneSet:
    """Scenes on one sensor, normalised, ready for cropping."""

    def __init__(self, scenes: list[Scene], sensor: Sensor, data_scale: float) -> None:
        if not scenes:
            raise ConfigError("no training scenes")
        self.sensor = sensor
        self.names = [s.name for s in scenes]
        self.cubes = [s.on_sensor(sensor) / np.float32(data_scale) for s in scenes]  # (K, H, W) each
        self.valid = [s.valid for s in scenes]
        self.channels = [s.channel_mask(sensor) for s in scenes]
        for s, mask in zip(scenes, self.channels, strict=True):
            present = np.zeros(sensor.n_channels, dtype=bool)
            present[s.channel_index] = True
            missing = [i for i in sensor.rgb if not present[i]]
            if missing:
                nm = ", ".join(f"{sensor.wavelengths_nm[i]:.0f} nm" for i in missing)
                raise ConfigError(f"{s.name}: lacks the RGB channel(s) {nm} that the model takes as input")
            if not mask.any():
                raise ConfigError(f"{s.name}: no kept channel to train on")
        weights = np.array([v.sum() for v in self.valid], dtype=np.float64)
        if weights.sum() == 0:
            raise ConfigError("every training pixel is nodata")
        self.pick = weights / weights.sum()

    def band_weights(self, kind: str = "inverse-mean") -> np.ndarray:
        """The L1 loss's channel weights (K,), normalised to sum 1.

        ``variance`` is Eq. 11's w, each channel's variance over all valid pixels: in radiance
        it gives the dim SWIR channels almost no weight, and the model then ignores them.
        ``inverse-mean`` (the default recipe) divides each channel's error by its mean, so the
        loss is a relative error and every channel counts alike. ``uniform`` weighs every
        channel alike (no band weighting, the paper's ablation).
        """
        if kind == "inverse-mean":
            mean, ok = self.mean_spectrum()
            w = np.where(ok & (mean > 0), 1.0 / np.maximum(mean, 1e-12), 0.0)
            return w / w.sum() if w.sum() > 0 else np.full(len(w), 1.0 / len(w))
        if kind == "uniform":  # no band weighting: a plain L1 over the channels the scenes have
            _, ok = self.mean_spectrum()
            return ok / ok.sum() if ok.any() else np.full(len(ok), 1.0 / len(ok))
        if kind != "variance":
            raise ConfigError(f"band weighting {kind!r}: use inverse-mean, variance or uniform")
        k = self.sensor.n_channels
        s1, s2, n = np.zeros(k), np.zeros(k), np.zeros(k)
        for cube, valid, ch in zip(self.cubes, self.valid, self.channels, strict=True):
            x = cube[:, valid].astype(np.float64)  # (K, N)
            s1[ch] += x[ch].sum(1)
            s2[ch] += (x[ch] ** 2).sum(1)
            n[ch] += x.shape[1]
        var = np.where(n > 0, s2 / np.maximum(n, 1) - (s1 / np.maximum(n, 1)) ** 2, 0.0)
        var = np.clip(var, 0, None)
        return var / var.sum() if var.sum() > 0 else np.full(k, 1.0 / k)

    def rgb_statistics(self) -> dict[str, list[float]]:
        """Percentiles (2, 50, 98), mean and standard deviation of each normalised RGB input
        channel over valid pixels.

        Stored in the checkpoint: the percentiles map imagery from other sensors onto the range
        the model was trained on (``--input-scale percentile``); mean and std standardise the
        network's input.
        """
        values = [np.concatenate([c[i][v] for c, v in zip(self.cubes, self.valid, strict=True)]) for i in self.sensor.rgb]
        stats = {f"p{q}": [float(np.percentile(x, q)) for x in values] for q in (2, 50, 98)}
        stats["mean"] = [float(x.mean()) for x in values]
        stats["std"] = [float(max(x.std(), 1e-6)) for x in values]
        return stats

    def mean_spectrum(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean of each channel over all valid pixels (K,) and where it is defined (K,) bool."""
        k = self.sensor.n_channels
        total, count = np.zeros(k), np.zeros(k)
        for cube, valid, ch in zip(self.cubes, self.valid, self.channels, strict=True):
            total[ch] += cube[ch][:, valid].sum(axis=1)
            count[ch] += valid.sum()
        return total / np.maximum(count, 1), count > 0

    def sample(self, batch_size: int, crop: int, seed: int, rank: int, step: int, augment: Augment | None = None) -> Batch:
        """A batch of random crops (flips and 90-degree turns), determined by the arguments.

        With ``augment``, each crop is also scaled by a random global gain (a brighter or
        dimmer scene: input and target alike) and its input RGB by a small random gain per
        channel (another camera's colour balance; the target keeps the true colours).
        """
        rng = np.random.default_rng([seed, rank, step])
        target, chans, pix, jitter = [], [], [], []
        for _ in range(batch_size):
            i = int(rng.choice(len(self.cubes), p=self.pick))
            cube, valid = pad_to(self.cubes[i], self.valid[i], crop)
            y = int(rng.integers(0, cube.shape[1] - crop + 1))
            x = int(rng.integers(0, cube.shape[2] - crop + 1))
            c, v = cube[:, y : y + crop, x : x + crop], valid[y : y + crop, x : x + crop]
            k = int(rng.integers(4))
            c, v = np.rot90(c, k, axes=(1, 2)), np.rot90(v, k)
            if rng.random() < 0.5:
                c, v = c[:, :, ::-1], v[:, ::-1]
            c = np.ascontiguousarray(c)
            j = np.ones(3, np.float32)
            if augment is not None:
                c *= np.float32(np.exp(rng.uniform(-1, 1) * np.log(augment.gain)))
                j += rng.uniform(-augment.jitter, augment.jitter, 3).astype(np.float32)
            target.append(c)
            pix.append(np.ascontiguousarray(v))
            chans.append(self.channels[i])
            jitter.append(j)
        t = torch.from_numpy(np.stack(target))
        return Batch(
            t[:, list(self.sensor.rgb)] * torch.from_numpy(np.stack(jitter))[:, :, None, None],
            t,
            torch.from_numpy(np.stack(chans)),
            torch.from_numpy(np.stack(pix)).float().unsqueeze(1),
        )


def pad_to(cube: np.ndarray, valid: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Reflect-pad (K, H, W) up to at least ``size`` x ``size``; padding is marked invalid."""
    ph, pw = max(0, size - cube.shape[1]), max(0, size - cube.shape[2])
    if not ph and not pw:
        return cube, valid
    mode = "reflect" if min(cube.shape[1:]) > 1 else "edge"
    cube = np.pad(cube, ((0, 0), (0, ph), (0, pw)), mode=mode)
    return cube, np.pad(valid, ((0, ph), (0, pw)), constant_values=False)
