"""A one-page picture of a synthesis: the input RGB, the HSI in true and false colour, spectra
and the dominant material's abundance (``inss-geo quicklook``).

Rasters are read decimated to at most ``MAX_SIDE`` pixels a side (GDAL's overviews or nearest
sampling), so a quicklook of a scene larger than memory costs a few band reads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio

from .errors import InputFileError

MAX_SIDE = 512
#: true colour (red, green, blue) and colour-infrared (NIR, red, green) centres, nm
TRUE_COLOUR = (640.0, 550.0, 460.0)
FALSE_COLOUR = (860.0, 650.0, 550.0)


def _read(path: str | Path, bands: list[int] | None = None) -> np.ndarray:
    """Decimated bands (C, h, w) in data units (the bands' scales applied), NaN where nodata."""
    try:
        src = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise InputFileError(f"{path}: not a readable raster ({str(exc).splitlines()[0]})") from None
    with src:
        f = max(1, int(np.ceil(max(src.width, src.height) / MAX_SIDE)))
        bands = bands or list(range(1, src.count + 1))
        shape = (len(bands), max(1, src.height // f), max(1, src.width // f))
        data = src.read(bands, out_shape=shape, masked=True).astype(np.float64)
        scales = np.array([src.scales[b - 1] for b in bands])[:, None, None]
    return data.filled(np.nan) * scales


def _channels(path: str | Path) -> tuple[np.ndarray, np.ndarray, str]:
    """Band centres (nm) and which bands are good, from the per-band tags synthesis writes, and
    the data units."""
    with rasterio.open(path) as ds:
        tags = [ds.tags(b) for b in range(1, ds.count + 1)]
        units = ds.tags().get("inss_units", "")
    if any("wavelength" not in t for t in tags):
        raise InputFileError(f"{path}: no per-band wavelengths; is it an inss-geo HSI?")
    return (np.array([float(t["wavelength"]) for t in tags]),
            np.array([t.get("bad_band", "0") != "1" for t in tags]), units)


def _stretch(x: np.ndarray) -> np.ndarray:
    """(3, h, w) -> (h, w, 3) in [0, 1], a 2-98% stretch per band (NaN shown black)."""
    out = np.zeros((*x.shape[1:], 3))
    for i, band in enumerate(x):
        valid = band[np.isfinite(band)]
        if valid.size:
            lo, hi = np.percentile(valid, [2, 98])
            out[..., i] = np.nan_to_num(np.clip((band - lo) / max(hi - lo, 1e-12), 0, 1))
    return out


def quicklook(hsi: str | Path, output: str | Path, rgb: str | Path | None = None,
              abundance: str | Path | None = None) -> Path:
    """Write a PNG of ``hsi`` (and of the input ``rgb`` and ``abundance`` rasters, if given)."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed
    import matplotlib.pyplot as plt

    wl, good, units = _channels(hsi)
    nearest = lambda centres: [int(np.argmin(np.abs(wl - c))) + 1 for c in centres]  # noqa: E731
    cube = _read(hsi)
    panels = [("HSI true colour ({:.0f}/{:.0f}/{:.0f} nm)".format(*wl[np.array(nearest(TRUE_COLOUR)) - 1]),
               _stretch(cube[np.array(nearest(TRUE_COLOUR)) - 1]))]
    if wl.max() >= FALSE_COLOUR[0]:
        panels.append(("HSI colour infrared ({:.0f}/{:.0f}/{:.0f} nm)".format(*wl[np.array(nearest(FALSE_COLOUR)) - 1]),
                       _stretch(cube[np.array(nearest(FALSE_COLOUR)) - 1])))
    if rgb is not None:
        panels.insert(0, ("input RGB", _stretch(_read(rgb, [1, 2, 3]))))
    dominant = None
    if abundance is not None:
        fractions = _read(abundance)
        with rasterio.open(abundance) as ab:
            names = list(ab.descriptions)
        if "fraction_1" in names[:1]:  # a top-K raster: the largest fraction, not one material's
            raise InputFileError(f"{abundance}: a top-K abundance raster; give the full one (one band per spectrum)")
        k = int(np.nanargmax(np.nanmean(fractions, axis=(1, 2))))
        dominant = (names[k] or f"spectrum {k + 1}", fractions[k])
    columns = len(panels) + 1 + (dominant is not None)
    fig, axes = plt.subplots(1, columns, figsize=(4.2 * columns, 4.2), layout="constrained")
    for ax, (title, image) in zip(axes, panels, strict=False):
        ax.imshow(image)
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    if dominant is not None:
        ax = axes[len(panels)]
        shown = ax.imshow(dominant[1], cmap="viridis", vmin=0)
        ax.set_title(f"abundance: {dominant[0][:40]}", fontsize=9)
        ax.axis("off")
        fig.colorbar(shown, ax=ax, shrink=0.8, label="fraction")
    _spectra(axes[-1], cube, wl, good, units)
    fig.savefig(output, dpi=80)
    plt.close(fig)
    return Path(output)


def _spectra(ax, cube: np.ndarray, wl: np.ndarray, good: np.ndarray, units: str) -> None:
    """The spectra of the darkest, median and brightest pixels (by mean over the good bands);
    bad bands (water absorption) are gaps."""
    flat = np.where(good[:, None], cube.reshape(len(cube), -1), np.nan)
    valid = np.isfinite(flat[good]).all(axis=0)
    if not valid.any():
        return
    brightness = np.where(valid, np.nanmean(flat[good], axis=0), np.inf)
    order = np.argsort(brightness)[: valid.sum()]
    for label, q in (("dark pixel", 0.05), ("median pixel", 0.5), ("bright pixel", 0.95)):
        ax.plot(wl, flat[:, order[int(q * (len(order) - 1))]], label=label, lw=1)
    ax.set_xlabel("wavelength (nm)")
    ax.set_ylabel(units or "value", fontsize=8)
    ax.set_title("spectra", fontsize=9)
    ax.legend(fontsize=8)
