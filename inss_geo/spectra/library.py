"""Spectral libraries: the endmember matrix R of the mixing model, on a sensor's channels.

The bundled default is the paper's 345 USGS splib07 spectra (chapters A, C, L, S, V) convolved
by USGS to AVIRIS-Classic 2014. The oversampled splib07b spectra of the same materials are
bundled too, so the library can be convolved to any sensor with Gaussian spectral response
functions (:func:`convolve_gaussian`). ENVI spectral libraries (.sli/.hdr) and CSV load too.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import ConfigError, InputFileError, SensorMismatchError
from .sensors import Sensor, aviris_classic

#: Fraction of a Gaussian response that must fall on measured samples for a channel to count.
MIN_COVERAGE = 0.5
_FWHM_TO_SIGMA = 1.0 / (2.0 * np.sqrt(2.0 * np.log(2.0)))


@dataclass(frozen=True)
class SpectralLibrary:
    """Reflectance spectra on a sensor's channels.

    Attributes:
        spectra: Reflectance (N, C): N spectra on the C channels of ``sensor``.
        names: Spectrum names (N,).
        chapters: USGS chapter of each spectrum (N,), or "" when unknown.
        sensor: The channels the spectra are sampled on.
    """

    spectra: np.ndarray
    names: tuple[str, ...]
    chapters: tuple[str, ...]
    sensor: Sensor

    def __post_init__(self) -> None:
        n, c = self.spectra.shape
        if c != self.sensor.n_channels:
            raise SensorMismatchError(
                f"library has {c} channels but sensor {self.sensor.name!r} has "
                f"{self.sensor.n_channels}"
            )
        if len(self.names) != n or len(self.chapters) != n:
            raise ConfigError(f"library: {n} spectra but {len(self.names)} names")
        if not np.all(np.isfinite(self.spectra)):
            raise ConfigError("library: spectra contain missing or non-finite values")

    @property
    def n_spectra(self) -> int:
        """Number of spectra N_g."""
        return int(self.spectra.shape[0])

    def filter_chapters(self, chapters: list[str]) -> SpectralLibrary:
        """Only the spectra of the given USGS chapters (case-insensitive prefix match)."""
        want = [c.lower() for c in chapters]
        keep = [i for i, c in enumerate(self.chapters) if any(c.lower().startswith(w) for w in want)]
        if not keep:
            raise ConfigError(
                f"no spectra in chapters {chapters}; library has {sorted(set(self.chapters))}"
            )
        return SpectralLibrary(
            self.spectra[keep],
            tuple(self.names[i] for i in keep),
            tuple(self.chapters[i] for i in keep),
            self.sensor,
        )

    def summary(self) -> dict:
        """Counts per chapter and the sensor, for ``inss-geo library info``."""
        chapters, counts = np.unique(np.array(self.chapters), return_counts=True)
        return {
            "n_spectra": self.n_spectra,
            "sensor": self.sensor.name,
            "n_channels": self.sensor.n_channels,
            "wavelength_range_nm": [
                float(self.sensor.wavelengths_nm.min()),
                float(self.sensor.wavelengths_nm.max()),
            ],
            "chapters": {str(c): int(k) for c, k in zip(chapters, counts, strict=True)},
        }


def convolve_gaussian(
    wavelengths: np.ndarray, spectra: np.ndarray, centres: np.ndarray, fwhm: np.ndarray
) -> np.ndarray:
    """Resample finely sampled spectra to channels with Gaussian spectral responses.

    Args:
        wavelengths: Sample positions (S,), same unit as ``centres``/``fwhm``.
        spectra: Values (N, S); NaN marks missing samples, which are left out of each
            channel's weighted mean.
        centres: Channel centres (C,).
        fwhm: Channel full widths at half maximum (C,).

    Returns:
        (N, C) channel values; NaN where less than ``MIN_COVERAGE`` of a channel's response
        falls on measured samples.
    """
    srf = gaussian_srf(wavelengths, centres, fwhm)  # (C, S)
    step = np.gradient(wavelengths)  # non-uniform grids: weight by sample spacing
    srf = srf * step[None, :]
    full = srf.sum(axis=1)  # (C,)
    measured = np.isfinite(spectra)
    num = np.where(measured, spectra, 0.0) @ srf.T  # (N, C)
    den = measured.astype(srf.dtype) @ srf.T  # (N, C)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / den
    out[den < MIN_COVERAGE * full[None, :]] = np.nan
    return out


def gaussian_srf(wavelengths: np.ndarray, centres: np.ndarray, fwhm: np.ndarray) -> np.ndarray:
    """Gaussian spectral responses (C, S), peak 1, of channels (``centres``, ``fwhm``) at ``wavelengths``."""
    sigma = np.asarray(fwhm)[:, None] * _FWHM_TO_SIGMA
    return np.exp(-0.5 * ((np.asarray(wavelengths)[None, :] - np.asarray(centres)[:, None]) / sigma) ** 2)


def rgb_response(sensor: Sensor) -> np.ndarray:
    """Phi (3, K): how much of each sensor channel each RGB channel sees, rows summing to 1.

    The RGB channels are three of the sensor's own, so each row is that channel's Gaussian SRF
    sampled at every channel's centre: mostly the channel itself, a little of its neighbours."""
    rgb = list(sensor.rgb)
    phi = gaussian_srf(sensor.wavelengths_nm, np.asarray(sensor.wavelengths_nm)[rgb], np.asarray(sensor.fwhm_nm)[rgb])
    return (phi / phi.sum(axis=1, keepdims=True)).astype(np.float32)


def _data_file(name: str):
    return resources.files("inss_geo.data") / name


def default_library() -> SpectralLibrary:
    """The paper's 345 USGS splib07 spectra on AVIRIS-Classic 2014 (USGS convolution)."""
    with _data_file("usgs_inss345_aviris2014.npz").open("rb") as fh:
        d = np.load(fh)
        return SpectralLibrary(
            d["spectra"].astype(np.float32),
            tuple(str(n) for n in d["names"]),
            tuple(str(c) for c in d["chapters"]),
            aviris_classic(),
        )


def library_for_sensor(sensor: Sensor) -> SpectralLibrary:
    """The 345 bundled materials convolved from their oversampled spectra to ``sensor``.

    For AVIRIS-Classic 2014 this returns the USGS convolution itself. Channels that a
    spectrum's measurement does not cover (e.g. beyond 2.5 um) are filled from the nearest
    covered channel so the endmember matrix stays finite.
    """
    base = default_library()
    if sensor.same_channels(base.sensor):
        return base
    out = np.full((base.n_spectra, sensor.n_channels), np.nan)
    with _data_file("usgs_inss345_oversampled.npz").open("rb") as fh:
        d = np.load(fh)
        deleted = float(d["deleted_value"])
        for key in d.files:
            if not key.endswith("_library_index"):
                continue
            grid = key[: -len("_library_index")]
            spectra = d[f"{grid}_spectra"].astype(np.float64)
            spectra[spectra <= deleted / 10] = np.nan
            out[d[key]] = convolve_gaussian(
                d[f"{grid}_wavelengths_um"] * 1000.0, spectra, sensor.wavelengths_nm, sensor.fwhm_nm
            )
    if np.all(np.isnan(out)):
        raise SensorMismatchError(
            f"sensor {sensor.name!r} ({sensor.wavelengths_nm.min():.0f}-"
            f"{sensor.wavelengths_nm.max():.0f} nm) lies outside the library's 0.2-3.0 um range"
        )
    return SpectralLibrary(
        _fill_nearest(out, sensor.wavelengths_nm).astype(np.float32),
        base.names,
        base.chapters,
        sensor,
    )


def _fill_nearest(spectra: np.ndarray, wavelengths: np.ndarray) -> np.ndarray:
    order = np.argsort(wavelengths)
    filled = spectra.copy()
    for row in filled:
        ok = np.isfinite(row[order])
        if ok.any():
            row[order] = np.interp(wavelengths[order], wavelengths[order][ok], row[order][ok])
    return filled


def load_library(path: str | Path, sensor: Sensor) -> SpectralLibrary:
    """A user's spectral library (ENVI .sli/.hdr or CSV), on ``sensor``'s channels.

    CSV: first column ``name``, optional ``chapter`` column, then one numeric column per
    channel. ENVI: ``spectra names`` and ``wavelength`` in the header; if its wavelengths
    differ from the sensor's, the spectra are Gaussian-convolved onto the sensor.
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: spectral library not found")
    if path.suffix.lower() == ".csv":
        return _load_csv(path, sensor)
    return _load_envi(path, sensor)


def _load_csv(path: Path, sensor: Sensor) -> SpectralLibrary:
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    if len(rows) < 2:
        raise InputFileError(f"{path}: CSV library needs a header and at least one spectrum")
    header = [h.strip().lower() for h in rows[0]]
    has_chapter = len(header) > 1 and header[1] == "chapter"
    first = 2 if has_chapter else 1
    try:
        spectra = np.array([[float(v) for v in r[first:]] for r in rows[1:]])
    except ValueError as exc:
        raise InputFileError(f"{path}: non-numeric reflectance ({exc})") from None
    if spectra.shape[1] != sensor.n_channels:
        raise SensorMismatchError(
            f"{path}: library has {spectra.shape[1]} channels but sensor {sensor.name!r} "
            f"has {sensor.n_channels}"
        )
    names = tuple(r[0] for r in rows[1:])
    chapters = tuple(r[1] for r in rows[1:]) if has_chapter else ("",) * len(names)
    return SpectralLibrary(spectra.astype(np.float32), names, chapters, sensor)


def _load_envi(path: Path, sensor: Sensor) -> SpectralLibrary:
    import spectral.io.envi as envi  # optional reader for ENVI spectral libraries

    hdr = path.with_suffix(".hdr") if path.suffix.lower() != ".hdr" else path
    try:
        lib = envi.open(str(hdr))
    except Exception as exc:  # noqa: BLE001 - any parse failure is a bad user file
        raise InputFileError(f"{path}: not an ENVI spectral library ({exc})") from None
    spectra = np.asarray(lib.spectra, dtype=np.float64)
    spectra[spectra < -1e30] = np.nan
    names = tuple(lib.names or [f"spectrum_{i}" for i in range(spectra.shape[0])])
    wl = np.asarray(lib.bands.centers, dtype=np.float64) if lib.bands.centers else None
    if wl is None:
        if spectra.shape[1] != sensor.n_channels:
            raise SensorMismatchError(
                f"{path}: library has {spectra.shape[1]} channels but sensor "
                f"{sensor.name!r} has {sensor.n_channels}"
            )
    else:
        wl = wl * (1000.0 if wl.max() < 100 else 1.0)
        if not (wl.size == sensor.n_channels and np.allclose(wl, sensor.wavelengths_nm, atol=0.5)):
            spectra = convolve_gaussian(wl, spectra, sensor.wavelengths_nm, sensor.fwhm_nm)
    good = np.isfinite(spectra).mean(axis=1) >= 0.9
    if not good.any():
        raise InputFileError(f"{path}: no spectrum covers the sensor's channels")
    spectra = _fill_nearest(spectra[good], sensor.wavelengths_nm)
    names = tuple(n for n, g in zip(names, good, strict=True) if g)
    return SpectralLibrary(spectra.astype(np.float32), names, ("",) * len(names), sensor)


def export_library(lib: SpectralLibrary, path: str | Path) -> Path:
    """Write a library as CSV (name, chapter, one column per channel in nm) or ENVI .sli."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        with path.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["name", "chapter", *[f"{v:.4f}" for v in lib.sensor.wavelengths_nm]])
            for name, chapter, row in zip(lib.names, lib.chapters, lib.spectra, strict=True):
                w.writerow([name, chapter, *[f"{v:.6g}" for v in row]])
        return path
    if path.suffix.lower() in (".sli", ".hdr"):
        import spectral.io.envi as envi

        hdr = path.with_suffix(".hdr")
        envi.SpectralLibrary(
            lib.spectra.astype(np.float32),
            {
                "spectra names": list(lib.names),
                "wavelength": [float(v) for v in lib.sensor.wavelengths_nm],
                "fwhm": [float(v) for v in lib.sensor.fwhm_nm],
                "wavelength units": "Nanometers",
            },
            {},
        ).save(str(hdr.with_suffix("")))
        return path.with_suffix(".sli")
    raise ConfigError(f"cannot export to {path.suffix!r}; use .csv or .sli")
