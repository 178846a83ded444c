"""Figures 6 and 7 of the results page: the learned signature t and the abundance maps."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from inss_geo.spectra.library import convolve_gaussian  # noqa: E402
from inss_geo.spectra.sensors import Sensor  # noqa: E402

#: Absorption features marked on Figure 6 (nm), as the paper names them.
FEATURES = {"O$_2$ 760": 760.0, "H$_2$O 940": 940.0, "H$_2$O 1140": 1140.0, "CO$_2$ 2000": 2000.0}


def solar_reference(sensor: Sensor) -> np.ndarray:
    """ASTM G173-03 global tilt irradiance (AM1.5, W m^-2 nm^-1; pvlib's copy) on the sensor's
    channels, through their Gaussian responses."""
    from pvlib.spectrum import get_reference_spectra

    ref = get_reference_spectra()["global"]
    return convolve_gaussian(ref.index.to_numpy(float), ref.to_numpy(float)[None], sensor.wavelengths_nm, sensor.fwhm_nm)[0]


def fitted(reference: np.ndarray, t: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, float]:
    """``reference`` times the least-squares factor q that matches it to ``t`` on ``ok``: the
    sensor's quantisation factor of t = q * irradiance, as the paper aligns Figure 6."""
    q = float((reference[ok] * t[ok]).sum() / (reference[ok] ** 2).sum())
    return reference * q, q


def feature_depth(t: np.ndarray, wavelengths: np.ndarray, ok: np.ndarray, centre: float, half: float = 60.0) -> float:
    """How deep t dips at ``centre``: 1 - t(centre) / the mean of t 'half' nm to each side."""
    w = np.asarray(wavelengths)
    at = ok & (np.abs(w - centre) < 10)
    sides = ok & (np.abs(np.abs(w - centre) - half) < 15)
    if not at.any() or not sides.any():
        return float("nan")
    return float(1 - t[at].min() / t[sides].mean())


def figure6(path: Path, sensor: Sensor, curves: dict[str, np.ndarray], reference: np.ndarray) -> None:
    """Each learned t (normalised data units per unit reflectance) and the reference scaled to it."""
    wl, ok = np.asarray(sensor.wavelengths_nm), sensor.kept
    order = np.argsort(wl)
    fig, ax = plt.subplots(figsize=(9, 4.2), dpi=110)
    first = next(iter(curves.values()))
    scaled, _ = fitted(reference, first, ok)
    gap = lambda v: np.where(ok, v, np.nan)[order]  # noqa: E731 - the water bands are gaps
    ax.plot(wl[order], gap(scaled), color="0.55", lw=2.2, label="ASTM G173 global (pvlib), x fitted q")
    for (name, t), colour, style in reversed(list(zip(curves.items(), ("C0", "C3", "C2"), ("-", "-", "--")))):
        ax.plot(wl[order], gap(t), color=colour, lw=1.2, ls=style, label=name)  # the first on top
    for label, x in FEATURES.items():
        ax.axvline(x, color="0.3", ls=":", lw=0.8)
        ax.text(x + 8, ax.get_ylim()[1] * 0.97, label, fontsize=7, va="top", rotation=90)
    ax.set_xlabel("wavelength (nm)")
    ax.set_ylabel("t (normalised radiance per unit reflectance)")
    ax.set_title("Figure 6: learned solar-atmospheric signature t against a solar reference")
    ax.legend(fontsize=7, loc="center right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def figure7(path: Path, rgb: np.ndarray, abundance: np.ndarray, names: list[str], scene: str, n: int = 7) -> list[dict]:
    """The input and the ``n`` materials of largest mean abundance; returns what it showed."""
    mean = abundance.reshape(len(abundance), -1).mean(axis=1)
    top = np.argsort(mean)[::-1][:n]
    fig, axes = plt.subplots(2, (n + 2) // 2, figsize=(3.1 * ((n + 2) // 2), 6.4), dpi=100)
    axes = axes.ravel()
    show = np.clip(rgb.transpose(1, 2, 0) / np.percentile(rgb, 99.5), 0, 1)
    axes[0].imshow(show)
    axes[0].set_title(f"input RGB ({scene})", fontsize=8)
    shown = []
    for ax, i in zip(axes[1:], top):
        im = ax.imshow(abundance[i], cmap="magma", vmin=0)
        ax.set_title(_short(names[i]) + f"\nmean {mean[i]:.3f}", fontsize=7)
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.02)
        shown.append({"name": names[i], "mean_abundance": float(mean[i])})
    for ax in axes:
        ax.axis("off")
    fig.suptitle("Figure 7: abundance maps of the dominant library materials", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return shown


def _short(name: str, width: int = 38) -> str:
    """A USGS spectrum title, shortened for a panel title."""
    return name if len(name) <= width else name[: width - 1] + "…"
