"""Shared fixtures: a small synthetic sensor, physically mixed scenes and a tiny model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from inss_geo.spectra.library import library_for_sensor
from inss_geo.spectra.sensors import from_wavelengths

torch.set_num_threads(1)

#: 24 channels from 420 to 2380 nm; small enough for fast tests, wide enough for RGB + SWIR.
WAVELENGTHS = np.linspace(420, 2380, 24)
TINY_WIDTHS = "4,4,8,8,8,8"


@pytest.fixture(scope="session")
def sensor():
    return from_wavelengths("test24", WAVELENGTHS, np.full(24, 60.0))


@pytest.fixture(scope="session")
def library(sensor):
    return library_for_sensor(sensor)


def mixed_cube(library, h: int, w: int, seed: int) -> np.ndarray:
    """(H, W, K) radiance-like cube: smooth abundances of 5 spectra times a flat signature."""
    rng = np.random.default_rng(seed)
    picks = rng.choice(library.n_spectra, 5, replace=False)
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    logits = np.stack([np.sin(3 * (i + 1) * xx + 2 * i * yy + rng.random() * 6) for i in range(5)], -1)
    a = np.exp(2 * logits)
    a /= a.sum(-1, keepdims=True)
    return (a @ library.spectra[picks] * 3000.0).astype(np.float32)


@pytest.fixture
def scene_files(tmp_path, library):
    """Three .npz scenes with wavelengths: two for training, one held out."""
    paths = []
    for i, (h, w) in enumerate([(70, 64), (64, 80), (66, 66)]):
        p = tmp_path / f"scene{i}.npz"
        np.savez(p, cube=mixed_cube(library, h, w, i), wavelengths_nm=WAVELENGTHS)
        paths.append(str(p))
    return paths


@pytest.fixture
def sensor_csv(tmp_path):
    """The test sensor as a CSV, as a user would pass it to --sensor."""
    p = tmp_path / "test24.csv"
    p.write_text("wavelength_nm,fwhm_nm\n" + "".join(f"{w},60\n" for w in WAVELENGTHS))
    return str(p)
