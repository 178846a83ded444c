"""Spectral metadata of rasters: channel centres and FWHM from ENVI headers or GDAL tags.

Sources, best first: the ENVI header lists (GDAL's ``ENVI`` domain, full precision), per-band
``wavelength``/``wavelength_units`` tags (ENVI driver, GeoTIFFs written by inss-geo), band
descriptions such as ``"376.44 Nanometers"``, and GDAL's ``IMAGERY`` domain
(``CENTRAL_WAVELENGTH_UM``/``FWHM_UM``).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import rasterio
from rasterio.errors import RasterioIOError

from ..errors import InputFileError

_UNIT_TO_NM = {"nanometers": 1.0, "nm": 1.0, "micrometers": 1000.0, "microns": 1000.0, "um": 1000.0}
_NUMBER = re.compile(r"[-+]?\d*\.?\d+(?:[eE][-+]?\d+)?")


def _nm_per_unit(values: np.ndarray, units: str | None) -> float:
    scale = _UNIT_TO_NM.get((units or "").strip().lower())
    if scale is None:  # no or unknown units: micrometres when all values are below 100
        scale = 1000.0 if np.nanmax(values) < 100 else 1.0
    return scale


def _envi_list(text: str | None) -> np.ndarray | None:
    if not text:
        return None
    vals = [float(v) for v in _NUMBER.findall(text)]
    return np.array(vals) if vals else None


def wavelengths_from_dataset(src: rasterio.io.DatasetReader) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Channel centres and FWHM in nm of an open dataset, or ``(None, None)``."""
    n = src.count
    envi = src.tags(ns="ENVI") if "ENVI" in (src.tag_namespaces() or []) else {}
    units = envi.get("wavelength_units") or src.tags().get("wavelength_units")
    wl = _envi_list(envi.get("wavelength"))
    fw = _envi_list(envi.get("fwhm"))
    if wl is None or wl.size != n:
        per_band = [src.tags(b).get("wavelength") for b in range(1, n + 1)]
        if all(per_band):
            wl = np.array([float(_NUMBER.findall(v)[0]) for v in per_band])
            units = units or src.tags(1).get("wavelength_units")
            fws = [src.tags(b).get("fwhm") for b in range(1, n + 1)]
            fw = np.array([float(v) for v in fws]) if all(fws) else None
        elif all(d and _NUMBER.match(d) for d in src.descriptions):
            wl = np.array([float(_NUMBER.findall(d)[0]) for d in src.descriptions])
            units = units or src.descriptions[0]
            units = "nanometers" if "nanomet" in units.lower() else units
        else:
            imagery = [src.tags(b, ns="IMAGERY") for b in range(1, n + 1)]
            if all("CENTRAL_WAVELENGTH_UM" in t for t in imagery):
                wl = np.array([float(t["CENTRAL_WAVELENGTH_UM"]) for t in imagery])
                units = "um"
                if all("FWHM_UM" in t for t in imagery):
                    fw = np.array([float(t["FWHM_UM"]) for t in imagery])
            else:
                return None, None
    if fw is not None and fw.size != wl.size:
        fw = None
    scale = _nm_per_unit(wl, units)
    return wl * scale, None if fw is None else fw * scale


def read_wavelengths(path: str | Path) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Channel centres and FWHM in nm of a raster file, or ``(None, None)``."""
    try:
        with rasterio.open(path) as src:
            return wavelengths_from_dataset(src)
    except RasterioIOError as exc:
        raise InputFileError(f"{path}: not a readable raster ({exc})") from None


def check_holds_what_it_claims(src: rasterio.io.DatasetReader, path: Path) -> None:
    """Refuse an ENVI file smaller than its header says: GDAL would read zeros past its end (a
    12 KB file whose header claims 5000 x 5000 pixels was computed for minutes)."""
    if src.driver != "ENVI":
        return
    need = src.width * src.height * src.count * np.dtype(src.dtypes[0]).itemsize
    have = path.stat().st_size
    if have < need:
        raise InputFileError(f"{path}: holds {have} bytes but its header describes {need} "
                             f"({src.width} x {src.height} x {src.count} {src.dtypes[0]}); truncated or a wrong header")
