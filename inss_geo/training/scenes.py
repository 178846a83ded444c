"""Hyperspectral training/evaluation scenes and how their bands map to a sensor's channels.

Real scenes rarely carry every channel of a sensor: water bands are cut, first/last channels
dropped. Each scene therefore carries ``channel_index`` (sensor channel of each stored band);
losses and metrics use only the channels a scene has (:attr:`Scene.channel_mask`).

Readers: any GDAL raster through rasterio (ENVI, GeoTIFF, ...) with wavelengths from its
metadata, and MATLAB ``.mat`` / NumPy ``.npz`` cubes (H, W, B) whose bands are given by a
``wavelengths_nm`` array in the file, a channel-list CSV, or ``--sensor`` when the band
count equals the sensor's channel count.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputFileError, SensorMismatchError
from ..spectra.sensors import Sensor

#: A band matches a sensor channel when its centre is within this fraction of the FWHM.
MATCH_FWHM_FRACTION = 0.5
#: Scenes whose bands match fewer than this fraction of their bands are refused.
MIN_MATCHED_FRACTION = 0.5


@dataclass
class Scene:
    """A hyperspectral cube mapped onto a sensor.

    Attributes:
        name: File stem, used in logs and checkpoints.
        path: Source file.
        cube: Data in the file's units (B, H, W), float32; nodata pixels hold 0.
        channel_index: Sensor channel (0-based) of each stored band (B,).
        valid: Pixels with data in every band (H, W).
    """

    name: str
    path: str
    cube: np.ndarray
    channel_index: np.ndarray
    valid: np.ndarray

    def channel_mask(self, sensor: Sensor) -> np.ndarray:
        """Sensor channels present in this scene and kept for losses/metrics (C,)."""
        mask = np.zeros(sensor.n_channels, dtype=bool)
        mask[self.channel_index] = True
        return mask & sensor.kept

    def on_sensor(self, sensor: Sensor) -> np.ndarray:
        """The cube on all sensor channels (C, H, W); absent channels hold 0."""
        full = np.zeros((sensor.n_channels, *self.cube.shape[1:]), dtype=np.float32)
        full[self.channel_index] = self.cube
        return full


def read_channel_list(path: str | Path) -> dict[str, np.ndarray]:
    """Per-scene channel lists from a CSV with ``scene``, ``band_index_0based`` and
    ``aviris_channel_1based`` (or ``channel_1based``) columns."""
    try:
        with open(path, newline="") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read channel list ({exc.strerror})") from None
    out: dict[str, list[tuple[int, int]]] = {}
    try:
        for r in rows:
            ch = r.get("aviris_channel_1based") or r["channel_1based"]
            out.setdefault(r.get("scene", ""), []).append((int(r["band_index_0based"]), int(ch) - 1))
    except (KeyError, ValueError) as exc:
        raise InputFileError(
            f"{path}: channel list needs scene, band_index_0based, channel_1based columns ({exc})"
        ) from None
    return {s: np.array([c for _, c in sorted(v)]) for s, v in out.items()}


def match_channels(
    wavelengths_nm: np.ndarray, sensor: Sensor, name: str
) -> tuple[np.ndarray, np.ndarray]:
    """Map bands to sensor channels by centre wavelength.

    Returns:
        (band indices kept, their sensor channel indices).

    Raises:
        SensorMismatchError: fewer than half of the bands lie within half a FWHM of a channel.
    """
    dist = np.abs(wavelengths_nm[:, None] - sensor.wavelengths_nm[None, :])  # (B, C)
    nearest = dist.argmin(axis=1)
    ok = dist[np.arange(len(nearest)), nearest] <= MATCH_FWHM_FRACTION * sensor.fwhm_nm[nearest]
    # one band per channel: keep the closest when two bands fall on the same channel
    best: dict[int, int] = {}
    for b in np.flatnonzero(ok):
        c = int(nearest[b])
        if c not in best or dist[b, c] < dist[best[c], c]:
            best[c] = int(b)
    bands = np.array(sorted(best.values()), dtype=int)
    if bands.size < MIN_MATCHED_FRACTION * len(wavelengths_nm):
        raise SensorMismatchError(
            f"{name}: wavelengths ({wavelengths_nm.min():.0f}-{wavelengths_nm.max():.0f} nm, "
            f"{len(wavelengths_nm)} bands) do not match sensor {sensor.name!r}: only "
            f"{bands.size} bands lie within half a FWHM of its channels"
        )
    return bands, nearest[bands]


def _read_array_file(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """(cube (H, W, B), wavelengths in nm or None) from a .npz or .mat file."""
    if path.suffix.lower() == ".npz":
        try:
            d = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise InputFileError(f"{path}: not a readable .npz file ({exc})") from None
        arrays = {k: d[k] for k in d.files}
    else:
        arrays = _read_mat(path)
    cubes = {k: v for k, v in arrays.items() if getattr(v, "ndim", 0) == 3}
    if len(cubes) != 1:
        raise InputFileError(
            f"{path}: expected exactly one 3-D (rows, cols, bands) array, found {sorted(cubes) or 'none'}"
        )
    wl = next((arrays[k] for k in ("wavelengths_nm", "wavelengths", "wavelength") if k in arrays), None)
    if wl is not None:
        wl = np.asarray(wl, dtype=np.float64).ravel()
        wl = wl * 1000.0 if wl.max() < 100 else wl
    return next(iter(cubes.values())), wl


def _read_mat(path: Path) -> dict[str, np.ndarray]:
    import scipy.io

    try:
        return {k: v for k, v in scipy.io.loadmat(path).items() if not k.startswith("__")}
    except NotImplementedError:  # MATLAB v7.3 files are HDF5
        import h5py

        with h5py.File(path, "r") as f:  # h5py stores MATLAB arrays transposed
            return {k: np.asarray(v).T for k, v in f.items() if isinstance(v, h5py.Dataset)}
    except (OSError, ValueError, TypeError) as exc:
        raise InputFileError(f"{path}: not a readable .mat file ({exc})") from None


def load_scene(
    path: str | Path,
    sensor: Sensor,
    *,
    sensor_given: bool = False,
    channel_lists: dict[str, np.ndarray] | None = None,
) -> Scene:
    """Read a hyperspectral scene and map its bands onto ``sensor``.

    Args:
        path: ENVI / GeoTIFF / any GDAL raster, or a .mat / .npz cube.
        sensor: Channels to map onto.
        sensor_given: The user named the sensor, so a scene without wavelengths may take the
            sensor's channels in order when its band count matches.
        channel_lists: Per-scene channel lists (:func:`read_channel_list`), keyed by stem.

    Raises:
        InputFileError: missing or unreadable file.
        SensorMismatchError: no way to know which channels the bands are.
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: file not found")
    if not path.is_file():  # a FIFO or a device would block the read forever
        raise InputFileError(f"{path}: not a regular file")
    nodata = None
    if path.suffix.lower() in (".npz", ".mat"):
        hwb, wl = _read_array_file(path)
        cube = np.moveaxis(hwb, -1, 0)
    else:
        import rasterio  # here: .npz / .mat training needs no GDAL (a GPU machine may lack it)
        from rasterio.errors import RasterioIOError

        from ..io.raster_metadata import (
            check_holds_what_it_claims,
            wavelengths_from_dataset,
        )

        try:
            with rasterio.open(path) as src:
                check_holds_what_it_claims(src, path)
                cube = src.read()
                wl, _ = wavelengths_from_dataset(src)
                nodata = src.nodata
        except RasterioIOError as exc:
            raise InputFileError(f"{path}: not a readable raster ({exc})") from None
    n_bands = cube.shape[0]
    lists = channel_lists or {}
    if path.stem in lists:
        channels = lists[path.stem]
        if channels.size != n_bands:
            raise SensorMismatchError(
                f"{path}: channel list has {channels.size} entries but the scene has {n_bands} bands"
            )
        bands = np.arange(n_bands)
    elif wl is not None:
        bands, channels = match_channels(wl, sensor, path.name)
    elif sensor_given:
        if n_bands != sensor.n_channels:
            raise SensorMismatchError(
                f"{path}: scene has {n_bands} bands but sensor {sensor.name!r} has "
                f"{sensor.n_channels} channels; give a channel list (--channel-list)"
            )
        bands, channels = np.arange(n_bands), np.arange(n_bands)
    else:
        raise SensorMismatchError(
            f"{path}: no wavelengths in the file; name its sensor with --sensor "
            "or give a channel list (--channel-list)"
        )
    if np.any(channels < 0) or np.any(channels >= sensor.n_channels):
        raise SensorMismatchError(f"{path}: channel list points outside sensor {sensor.name!r}")
    cube = cube[bands].astype(np.float32)
    # bands that hold no data anywhere (zero-filled water bands) are absent, not dark
    has_data = np.any(np.isfinite(cube) & (cube != 0), axis=(1, 2))
    cube, channels = cube[has_data], np.asarray(channels)[has_data]
    if cube.shape[0] == 0:
        raise InputFileError(f"{path}: every band is empty")
    valid = np.all(np.isfinite(cube), axis=0)
    if nodata is not None:
        valid &= ~np.any(cube == np.float32(nodata), axis=0)
    cube[:, ~valid] = 0.0
    return Scene(path.stem, str(path), cube, np.asarray(channels, dtype=int), valid)
