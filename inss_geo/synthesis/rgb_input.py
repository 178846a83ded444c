"""The RGB input contract: which bands are red/green/blue, validity, and scaling to model units.

The model was trained on RGB channels of hyperspectral scenes divided by the checkpoint's data
scale. Imagery from other sensors (uint8 aerial photos, uint16 satellite RGB, float) is mapped
onto that range: ``percentile`` (default) maps each band's 2nd-98th percentile onto the
training RGB's 2nd-98th percentile; a number divides by it; ``--from-hsi`` reads the sensor's
RGB channels from a hyperspectral input and uses the checkpoint's data scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import rasterio
from rasterio.enums import ColorInterp
from rasterio.errors import RasterioIOError
from rasterio.windows import Window

from ..errors import ConfigError, InputFileError
from ..io.raster_metadata import wavelengths_from_dataset
from ..spectra.sensors import Sensor
from .tiling import reflect_index

#: Longest side of the decimated read used to estimate percentiles.
STATS_SIZE = 1024


def choose_rgb_bands(src: rasterio.io.DatasetReader, rgb_bands: tuple[int, int, int] | None, from_hsi: bool,
                     sensor: Sensor) -> tuple[int, int, int]:
    """1-based band numbers of red, green, blue."""
    if rgb_bands:
        if any(not 1 <= b <= src.count for b in rgb_bands):
            raise ConfigError(f"--rgb-bands {rgb_bands}: the input has bands 1..{src.count}")
        return rgb_bands
    if from_hsi:
        wl, _ = wavelengths_from_dataset(src)
        if wl is None:
            raise ConfigError(f"{src.name}: --from-hsi needs wavelength metadata in the input")
        picks = []
        for c in sensor.rgb:
            target, tol = sensor.wavelengths_nm[c], sensor.fwhm_nm[c]
            b = int(np.argmin(np.abs(wl - target)))
            if abs(wl[b] - target) > tol:
                raise ConfigError(f"{src.name}: no band within {tol:.1f} nm of the model's {target:.1f} nm RGB channel")
            picks.append(b + 1)
        return tuple(picks)  # type: ignore[return-value]
    ci = list(src.colorinterp)
    if all(c in ci for c in (ColorInterp.red, ColorInterp.green, ColorInterp.blue)):
        return tuple(ci.index(c) + 1 for c in (ColorInterp.red, ColorInterp.green, ColorInterp.blue))  # type: ignore[return-value]
    if src.count == 3:
        return (1, 2, 3)
    raise ConfigError(
        f"{src.name}: {src.count}-band input without red/green/blue colour interpretation; "
        "say which bands are red, green, blue with --rgb-bands R,G,B (or --from-hsi)"
    )


@dataclass(frozen=True)
class InputScaler:
    """value_model = (value - offset) * gain + base, per RGB band."""

    offset: np.ndarray
    gain: np.ndarray
    base: np.ndarray

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        """(3, H, W) raw -> (3, H, W) float32 in model units."""
        return ((rgb - self.offset[:, None, None]) * self.gain[:, None, None] + self.base[:, None, None]).astype(np.float32)

    def describe(self) -> str:
        """For the output's metadata: how input values became model units."""
        return "; ".join(f"({o:g} offset, {g:.6g} gain, {b:.6g} base)" for o, g, b in zip(self.offset, self.gain, self.base, strict=True))


def make_scaler(src: rasterio.io.DatasetReader, bands: tuple[int, int, int], input_scale: str, contract: dict,
                from_hsi: bool) -> InputScaler:
    """Scaler from ``--input-scale`` (``auto``, ``percentile`` or a number) and the contract."""
    zeros, ones = np.zeros(3), np.ones(3)
    data_scale = float(contract["data"]["scale"])
    if input_scale == "auto":
        input_scale = str(data_scale) if from_hsi else "percentile"
    if input_scale != "percentile":
        try:
            factor = float(input_scale)
        except ValueError:
            raise ConfigError(f"--input-scale {input_scale!r}: use auto, percentile or a positive number") from None
        if not factor > 0:
            raise ConfigError("--input-scale must be positive")
        return InputScaler(zeros, ones / factor, zeros)
    stats = contract["data"].get("rgb_statistics") or {}
    if not stats:
        raise ConfigError("this checkpoint has no RGB statistics; give --input-scale as a number")
    lo_in, hi_in = input_percentiles(src, bands)
    lo_t, hi_t = np.array(stats["p2"]), np.array(stats["p98"])
    return InputScaler(lo_in, (hi_t - lo_t) / np.maximum(hi_in - lo_in, 1e-12), lo_t)


def input_percentiles(src: rasterio.io.DatasetReader, bands: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """2nd and 98th percentile of each band from a decimated read (bounded memory)."""
    f = max(1, int(np.ceil(max(src.height, src.width) / STATS_SIZE)))
    shape = (3, max(1, src.height // f), max(1, src.width // f))
    try:
        data = src.read(list(bands), out_shape=shape, masked=True).astype(np.float64)
    except RasterioIOError as exc:
        raise InputFileError(f"{src.name}: cannot be read (truncated or corrupt? {exc})") from None
    valid = ~np.ma.getmaskarray(data).any(axis=0) & np.isfinite(data.filled(np.nan)).all(axis=0)
    if not valid.any():
        raise InputFileError(f"{src.name}: every pixel is nodata")
    vals = data.filled(0)[:, valid]
    return np.percentile(vals, 2, axis=1), np.percentile(vals, 98, axis=1)


def read_rgb_tile(src: rasterio.io.DatasetReader, bands: tuple[int, int, int], y0: int, x0: int, h: int,
                  w: int) -> tuple[np.ndarray, np.ndarray]:
    """RGB (3, h, w) float64 and validity (h, w) of a tile; beyond the edge, the raster reflected.

    Only the window of source pixels the tile needs is read.
    """
    rows = reflect_index(np.arange(y0, y0 + h), src.height)
    cols = reflect_index(np.arange(x0, x0 + w), src.width)
    r0, r1, c0, c1 = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    win = Window(c0, r0, c1 - c0, r1 - r0)
    try:
        data = src.read(list(bands), window=win).astype(np.float64)
        mask = src.read_masks(list(bands), window=win).min(axis=0) > 0
    except RasterioIOError as exc:
        raise InputFileError(f"{src.name}: rows {r0}-{r1}, columns {c0}-{c1} cannot be read (truncated or corrupt? {exc})") from None
    data = data[:, rows - r0][:, :, cols - c0]
    mask = mask[rows - r0][:, cols - c0] & np.isfinite(data).all(axis=0)
    data[:, ~mask] = 0.0
    return data, mask
