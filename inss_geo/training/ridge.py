"""Fitting the ridge baseline (:mod:`model.ridge`): the normal equations of the training
pixels, formed once, and the penalty chosen on the validation scenes."""

from __future__ import annotations

import numpy as np
import torch

from ..errors import ConfigError
from ..model.ridge import N_FEATURES, RidgeModel, quadratic_features
from .data_sampling import SceneSet
from .metrics import evaluate_arrays
from .scenes import Scene

#: Ridge penalties tried, relative to the mean diagonal of the features' Gram matrix per pixel.
PENALTIES = (0.0, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1)


def _moments(cube: np.ndarray, valid: np.ndarray, rgb: list[int], mean: np.ndarray, std: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """X^T X (10, 10) and X^T Y (10, K) of one scene's valid pixels."""
    x = torch.from_numpy(((cube[rgb][:, valid].T - mean) / std).astype(np.float64))
    f = quadratic_features(x).numpy()
    y = cube[:, valid].T.astype(np.float64)  # (N, K)
    return f.T @ f, f.T @ y


class RidgeFit:
    """The training pixels' normal equations per channel, formed once: each penalty is then a
    224 10 x 10 solve, not another pass over the scenes."""

    def __init__(self, train: SceneSet) -> None:
        stats = train.rgb_statistics()
        self.mean, self.std = np.array(stats["mean"]), np.array(stats["std"])
        rgb, k = list(train.sensor.rgb), train.sensor.n_channels
        moments = [_moments(c, v, rgb, self.mean, self.std) for c, v in zip(train.cubes, train.valid, strict=True)]
        self.grams = np.zeros((k, N_FEATURES, N_FEATURES))  # per channel, from the scenes that have it
        self.rhs = np.zeros((k, N_FEATURES))
        for (gram, rhs), present in zip(moments, train.channels, strict=True):
            self.grams[present] += gram
            self.rhs[present] += rhs[:, present].T

    def model(self, penalty: float) -> RidgeModel:
        """The fit for one penalty (relative to the Gram matrix's mean diagonal; the intercept is
        not shrunk); a channel no scene has predicts 0."""
        coef = np.zeros((N_FEATURES, len(self.grams)))
        for ch, (gram, rhs) in enumerate(zip(self.grams, self.rhs, strict=True)):
            if not gram.any():
                continue
            reg = penalty * np.trace(gram) / N_FEATURES * np.eye(N_FEATURES)
            reg[0, 0] = 0.0
            coef[:, ch] = np.linalg.lstsq(gram + reg, rhs, rcond=None)[0]
        return RidgeModel(torch.from_numpy(coef), torch.from_numpy(self.mean), torch.from_numpy(self.std))


def choose_ridge(train: SceneSet, val: list[Scene], data_scale: float) -> tuple[RidgeModel, list[dict]]:
    """Fit every penalty of :data:`PENALTIES`, keep the best by standard-convention MPSNR on the
    validation scenes. Returns the model and one record per penalty."""
    if not val:
        raise ConfigError("--method ridge chooses its penalty on validation scenes; give --val-scenes")
    sensor = train.sensor
    fit = RidgeFit(train)
    records, best = [], None
    for penalty in PENALTIES:
        model = fit.model(penalty)
        scores = []
        for scene in val:
            cube = scene.on_sensor(sensor)
            with torch.no_grad():
                pred = model(torch.from_numpy(cube[list(sensor.rgb)] / np.float32(data_scale))[None])[0].numpy()
            scores.append(evaluate_arrays(pred * data_scale, cube, scene.channel_mask(sensor), scene.valid,
                                          data_scale=data_scale, convention="standard")["MPSNR"])
        records.append({"penalty": penalty, "val_standard_MPSNR": float(np.mean(scores))})
        if best is None or records[-1]["val_standard_MPSNR"] > best[0]:
            best = (records[-1]["val_standard_MPSNR"], model, penalty)
    for r in records:
        r["chosen"] = r["penalty"] == best[2]
    return best[1], records
