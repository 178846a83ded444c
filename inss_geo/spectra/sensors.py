"""Sensors: channel centres, FWHM, channels excluded from losses, and the RGB channels.

A sensor is what a model's output channels mean. The default is AVIRIS-Classic with the 2014
calibration (the calibration of the paper's 345-spectrum USGS library). Other sensors come from
an ENVI header, GDAL band metadata, or a CSV of ``wavelength_nm[,fwhm_nm]``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import ConfigError, InputFileError

#: Wavelengths (nm) that approximate true-colour red, green and blue.
RGB_TARGET_NM = (650.0, 550.0, 460.0)

#: AVIRIS water-absorption channels (1-based, inclusive), excluded from losses and metrics.
AVIRIS_WATER_CHANNELS = ((104, 114), (152, 168))

#: The paper's RGB channels of AVIRIS (0-based: bands 35, 18, 8 as red, green, blue).
AVIRIS_RGB = (35, 18, 8)


@dataclass(frozen=True)
class Sensor:
    """A sensor's channels.

    Attributes:
        name: Short name stored in checkpoints.
        wavelengths_nm: Channel centres (C,).
        fwhm_nm: Channel full widths at half maximum (C,).
        kept: Channels used by losses and metrics (C,), False for water-absorption channels.
        rgb: 0-based channel indices used as red, green, blue.
    """

    name: str
    wavelengths_nm: np.ndarray
    fwhm_nm: np.ndarray
    kept: np.ndarray = field(repr=False)
    rgb: tuple[int, int, int]

    @property
    def n_channels(self) -> int:
        """Number of channels."""
        return int(self.wavelengths_nm.shape[0])

    def to_config(self) -> dict:
        """JSON-able description stored in checkpoints."""
        return {
            "name": self.name,
            "wavelengths_nm": [round(float(v), 4) for v in self.wavelengths_nm],
            "fwhm_nm": [round(float(v), 4) for v in self.fwhm_nm],
            "kept": [bool(v) for v in self.kept],
            "rgb": list(self.rgb),
            "rgb_wavelengths_nm": [round(float(self.wavelengths_nm[i]), 4) for i in self.rgb],
        }

    @classmethod
    def from_config(cls, cfg: dict) -> Sensor:
        """Inverse of :meth:`to_config`."""
        return cls(
            name=cfg["name"],
            wavelengths_nm=np.asarray(cfg["wavelengths_nm"], dtype=np.float64),
            fwhm_nm=np.asarray(cfg["fwhm_nm"], dtype=np.float64),
            kept=np.asarray(cfg["kept"], dtype=bool),
            rgb=tuple(int(i) for i in cfg["rgb"]),  # type: ignore[arg-type]
        )

    def same_channels(self, other: Sensor, tol_nm: float = 0.5) -> bool:
        """True when both sensors have the same channel centres within ``tol_nm``."""
        return self.n_channels == other.n_channels and bool(
            np.all(np.abs(self.wavelengths_nm - other.wavelengths_nm) <= tol_nm)
        )


def aviris_classic() -> Sensor:
    """AVIRIS-Classic, 224 channels, 2014 calibration; 196 channels kept, RGB = 35/18/8."""
    rows = _read_csv_rows(resources.files("inss_geo.data") / "aviris_classic_2014.csv")
    wl = np.array([float(r["wavelength_nm"]) for r in rows])
    fw = np.array([float(r["fwhm_nm"]) for r in rows])
    kept = np.ones(len(wl), dtype=bool)
    for lo, hi in AVIRIS_WATER_CHANNELS:
        kept[lo - 1 : hi] = False
    return Sensor("aviris-classic-2014", wl, fw, kept, AVIRIS_RGB)


def from_wavelengths(
    name: str, wavelengths_nm: np.ndarray, fwhm_nm: np.ndarray | None = None
) -> Sensor:
    """A sensor from channel centres; FWHM defaults to the channel spacing.

    Channels inside the 1.35-1.42 and 1.80-1.95 um water-absorption bands are not kept; RGB
    channels are those nearest 650/550/460 nm.
    """
    wl = np.asarray(wavelengths_nm, dtype=np.float64)
    if wl.ndim != 1 or wl.size < 3 or not np.all(np.isfinite(wl)):
        raise ConfigError(f"sensor {name!r}: need at least 3 finite wavelengths")
    if fwhm_nm is None:
        fwhm_nm = np.gradient(np.sort(wl))[np.argsort(np.argsort(wl))]
    fw = np.asarray(fwhm_nm, dtype=np.float64)
    if fw.shape != wl.shape:
        raise ConfigError(f"sensor {name!r}: {wl.size} wavelengths but {fw.size} FWHM values")
    kept = ~(((wl >= 1350) & (wl <= 1420)) | ((wl >= 1800) & (wl <= 1950)))
    rgb = tuple(int(np.argmin(np.abs(wl - t))) for t in RGB_TARGET_NM)
    return Sensor(name, wl, fw, kept, rgb)  # type: ignore[arg-type]


def from_csv(path: str | Path) -> Sensor:
    """A sensor from a CSV with a ``wavelength_nm`` column and optionally ``fwhm_nm``."""
    rows = _read_csv_rows(Path(path))
    try:
        wl = np.array([float(r["wavelength_nm"]) for r in rows])
        fw = np.array([float(r["fwhm_nm"]) for r in rows]) if "fwhm_nm" in rows[0] else None
    except (KeyError, ValueError, IndexError) as exc:
        raise InputFileError(
            f"{path}: sensor CSV needs a numeric 'wavelength_nm' column ({exc})"
        ) from None
    return from_wavelengths(Path(path).stem, wl, fw)


#: Built-in sensors by name.
BUILTIN = {"aviris-classic": aviris_classic, "aviris-classic-2014": aviris_classic}


def get_sensor(spec: str) -> Sensor:
    """A built-in sensor by name, or one read from a CSV or a raster's wavelength metadata."""
    if spec in BUILTIN:
        return BUILTIN[spec]()
    path = Path(spec)
    if not path.exists():
        raise ConfigError(
            f"unknown sensor {spec!r}; choose from {', '.join(sorted(BUILTIN))} "
            "or give a CSV / raster file with wavelengths"
        )
    if path.suffix.lower() == ".csv":
        return from_csv(path)
    from ..io.raster_metadata import read_wavelengths

    wl, fw = read_wavelengths(path)
    if wl is None:
        raise InputFileError(f"{path}: no wavelength metadata to define a sensor")
    return from_wavelengths(path.stem, wl, fw)


def _read_csv_rows(path) -> list[dict[str, str]]:
    try:
        with path.open(newline="") if hasattr(path, "open") else open(path, newline="") as fh:
            return list(csv.DictReader(fh))
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read ({exc.strerror})") from None
