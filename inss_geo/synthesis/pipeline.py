"""Tiled, georeferenced synthesis of scenes larger than memory (``inss-geo synthesize``).

The output is cut into blocks that do not overlap; the model reads each with a margin as wide
as its receptive radius (:mod:`tiling`), so the output is what one pass over the whole image
gives, up to float rounding, whatever the tile size. Per block, the U-Net F up to its head gives
the head's narrow input (16 channels for the default model) over the block and a one-pixel ring,
and the first layer of the feature transform T a per-cell feature whose affine image is the
mixing-parameter grid phi. F's head (a 3x3 convolution to one logit per library spectrum, most
of F's arithmetic) and its softmax then give the abundances A for the block's pixels only; T's
last layer builds phi; and the per-pixel neural mixing N turns the block into the hyperspectral
image. Because N is per pixel, the written HSI is exactly what the written abundance and phi
rasters produce. Nothing of this crosses cell rows, so on the CPU single-threaded workers
(:mod:`workers`) take a block's cell rows one at a time. Blocks are written as soon as they are
finished, so memory does not grow with the scene.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import json
import logging
import math
import shutil
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import rasterio
import torch
import torch.nn.functional as F
from affine import Affine
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError
from rasterio.windows import Window
from tqdm import tqdm

from ..checkpoint import load_checkpoint
from ..consistency import ConsistencyMeter, visible_bands
from ..errors import ConfigError, InputFileError, InssGeoError, OutputError
from ..io.array_io import OutputArray
from ..io.atomic import remove_abandoned, signals_deferred
from ..io.output_paths import check_outputs
from ..io.raster_io import BackgroundWriter, OutputRaster, output_format
from ..io.raster_metadata import check_holds_what_it_claims
from ..model import INSS
from ..model.mixing import CELLS_PER_CHUNK
from ..model.receptive_field import model_grid
from ..model.unet import fold_batch_norms
from ..spectra.sensors import Sensor
from .rgb_input import choose_rgb_bands, make_scaler, read_rgb_tile
from .tiling import TileGrid, make_grid
from .top_k import top_k_block, top_k_planes
from .workers import Workers

if TYPE_CHECKING:
    from .aoi import AreaOfInterest

log = logging.getLogger(__name__)

HSI_NODATA = {"float32": -9999.0, "int16": -32768}
#: int16 output stores round(normalised value * INT16_UNITS); the header's gain restores data units.
INT16_UNITS = 10000.0
ABUNDANCE_NODATA = {"float32": -1.0, "uint16": 65535}
ABUNDANCE_UINT16_UNITS = 10000.0
#: --precision -> the dtype of the model's matrix products (autocast for F and T, explicit in N)
PRODUCT_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass
class SynthesisOptions:
    """``inss-geo synthesize`` options (see the command's help)."""

    tile: int = 512
    batch_size: int = 1
    device: str = "cpu"
    precision: str = "fp32"
    input_scale: str = "auto"
    rgb_bands: tuple[int, int, int] | None = None
    from_hsi: bool = False
    fmt: str | None = None
    dtype: str = "float32"
    interleave: str = "bil"
    abundance: str | None = None
    abundance_dtype: str = "float32"
    abundance_top_k: int | None = None
    mixing: str | None = None
    rgb_residual: str | None = None
    aoi: str | None = None
    bbox: str | None = None
    aoi_crs: str | None = None
    creation_options: dict[str, str] = dataclasses.field(default_factory=dict)
    overwrite: bool = False
    progress: str = "bar"


def default_model_path() -> Path:
    """The shipped default model: ``models/default/model.pt`` of the source tree or install."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parents[1] / "models" / "default" / "model.pt",
                      Path(sys.prefix) / "share" / "inss-geo" / "models" / "default" / "model.pt"):
        if candidate.is_file():
            return candidate
    raise InputFileError("the default model is not installed; give --model PATH")


def parameters_path(mixing: str | Path) -> Path:
    """The full mixing-parameter grid written beside the ``--mixing`` raster: ``<stem>_params.npy``."""
    p = Path(mixing)
    return p.with_name(f"{p.stem}_params.npy")


def _open_input(path: str | Path) -> rasterio.io.DatasetReader:
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"{p}: file not found")
    if not p.is_file():  # a FIFO or a device would block the reads forever
        raise InputFileError(f"{p}: not a regular file")
    try:
        with warnings.catch_warnings():  # a missing CRS is reported below, once
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            src = rasterio.open(p)
    except RasterioIOError as exc:
        raise InputFileError(f"{p}: not a readable raster ({str(exc).splitlines()[0]})") from None
    if src.width == 0 or src.height == 0:
        src.close()
        raise InputFileError(f"{p}: raster has no pixels")
    try:
        check_holds_what_it_claims(src, p)
    except InputFileError:
        src.close()
        raise
    if src.crs is None:
        log.warning("%s has no CRS; outputs will not be georeferenced either", p)
    return src


@dataclass(frozen=True)
class _Frame:
    """The part of the input that is synthesized: the whole raster, or the window of an AOI.

    Tile coordinates are relative to the frame; reads add its offset, so context beyond the
    frame's edge comes from the real raster where there is one.
    """

    window: Window
    transform: Affine
    crs: object
    area: AreaOfInterest | None

    @property
    def height(self) -> int:
        return int(self.window.height)

    @property
    def width(self) -> int:
        return int(self.window.width)

    def inside(self, src, y0: int, x0: int, h: int, w: int) -> np.ndarray | None:
        """Which pixels of a frame-relative tile lie in the AOI (None: no AOI, all of them)."""
        if self.area is None:
            return None
        win = Window(self.window.col_off + x0, self.window.row_off + y0, w, h)
        return self.area.mask(src.window_transform(win), (h, w))


def _frame(src, opts: SynthesisOptions) -> _Frame:
    """The whole raster, or the window covering ``--aoi`` / ``--bbox`` with the area's mask."""
    if opts.aoi and opts.bbox:
        raise ConfigError("give either --aoi or --bbox, not both")
    if not (opts.aoi or opts.bbox):
        return _Frame(Window(0, 0, src.width, src.height), src.transform, src.crs, None)
    from .aoi import (  # pyproj and shapely: 0.1 s, only when asked for
        parse_bbox,
        parse_crs,
        read_geometry,
        to_raster,
    )

    geometry, named = read_geometry(opts.aoi) if opts.aoi else (parse_bbox(opts.bbox), None)
    if src.crs is None:
        raise ConfigError("the input has no CRS, so an area of interest cannot be placed on it")
    if named:
        crs = parse_crs(named, "--aoi (its crs member)")
    elif opts.aoi_crs:
        crs = parse_crs(opts.aoi_crs, "--aoi-crs" if opts.aoi else "--bbox-crs")
    elif opts.aoi and Path(opts.aoi).is_file():  # GeoJSON (RFC 7946) is in longitude, latitude
        crs = parse_crs("OGC:CRS84", "--aoi")
    else:  # a WKT polygon or --bbox: the raster's own CRS, as rio's --bounds and gdal_translate -projwin
        crs = parse_crs(src.crs.to_wkt(), "the input's CRS")
    area = to_raster(geometry, crs, src.crs, src.transform, src.width, src.height)
    return _Frame(area.window, src.window_transform(area.window), src.crs, area)


def _hsi_metadata(sensor: Sensor, dtype: str, data_scale: float, contract: dict, scaler_note: str) -> dict:
    wl = ", ".join(f"{v:.4f}" for v in sensor.wavelengths_nm)
    fw = ", ".join(f"{v:.4f}" for v in sensor.fwhm_nm)
    bbl = ", ".join("1" if k else "0" for k in sensor.kept)
    return {
        "envi_header": {"wavelength": f"{{{wl}}}", "fwhm": f"{{{fw}}}", "wavelength_units": "Nanometers",
                        "bbl": f"{{{bbl}}}"},
        "band_tags": [{"wavelength": f"{w:.4f}", "fwhm": f"{f:.4f}", "wavelength_units": "Nanometers",
                       "bad_band": str(int(not k))}
                      for w, f, k in zip(sensor.wavelengths_nm, sensor.fwhm_nm, sensor.kept, strict=True)],
        "band_names": [f"{w:.2f} nm" for w in sensor.wavelengths_nm],
        "tags": {"inss_domain": contract["data"]["domain"], "inss_sensor": sensor.name,
                 "inss_units": f"data units of the model (normalised x {data_scale:g})",
                 "inss_input_scaling": scaler_note},
        "scales": [data_scale / INT16_UNITS if dtype == "int16" else 1.0] * sensor.n_channels,
    }


class _Outputs:
    """The rasters being written and how a finished block goes into each."""

    def __init__(self, src: _Frame, out: Path, model: INSS, contract: dict, opts: SynthesisOptions, scaler_note: str,
                 device: torch.device, clock: StageClock) -> None:
        self.clock = clock
        self.rasters: list[OutputRaster | OutputArray] = []
        self.written: list[Path] | None = None  #: the final paths, once every output is in place
        self.writer: BackgroundWriter | None = None
        self.workers: Workers | None = None
        try:
            self._open_all(src, out, model, contract, opts, scaler_note)
            self.writer = BackgroundWriter()
            if self.inss and device.type == "cpu" and torch.get_num_threads() > 1:  # (a GPU runs a whole block at once)
                self.workers = Workers(torch.get_num_threads())
        except BaseException:
            self.abort()  # remove the temporaries of outputs opened before the failure
            raise

    def _open_all(self, src: _Frame, out: Path, model: INSS, contract: dict, opts: SynthesisOptions, scaler_note: str) -> None:
        self.opts, self.model = opts, model
        self.inss = isinstance(model, INSS)  # else a comparison network or ridge: the HSI only
        self.to_params = model.transform.frozen_to_params() if self.inss and model.transform is not None else None
        self.sensor = Sensor.from_config(contract["sensor"])
        self.scale = float(contract["data"]["scale"])
        self.names = contract["library"]["names"]
        base = {"width": src.width, "height": src.height, "crs": src.crs, "transform": src.transform}
        meta = _hsi_metadata(self.sensor, opts.dtype, self.scale, contract, scaler_note)
        self.hsi = self._open(out, opts.fmt, {**base, "count": self.sensor.n_channels, "dtype": opts.dtype,
                                                 "nodata": HSI_NODATA[opts.dtype]}, meta["band_names"],
                              envi_header=meta["envi_header"], band_tags=meta["band_tags"], tags=meta["tags"],
                              scales=meta["scales"])
        self.abundance = None
        if opts.abundance:
            if opts.abundance_top_k:
                k = opts.abundance_top_k
                if k > len(self.names):
                    raise ConfigError(f"--abundance-top-k {k}: the model's library has only {len(self.names)} spectra")
                names = [f"fraction_{i + 1}" for i in range(k)] + [f"index_{i + 1}" for i in range(k)]
                prof = {**base, "count": 2 * k, "dtype": "float32", "nodata": -1.0}
                tags = {"inss_library_names": json.dumps(self.names),
                        "inss_layout": "bands 1..K: the K largest fractions; K+1..2K: their 0-based library indices"}
                self.abundance = self._open(opts.abundance, None, prof, names, tags=tags)
            else:
                dt = opts.abundance_dtype
                prof = {**base, "count": len(self.names), "dtype": dt, "nodata": ABUNDANCE_NODATA[dt]}
                scales = [1 / ABUNDANCE_UINT16_UNITS if dt == "uint16" else 1.0] * len(self.names)
                self.abundance = self._open(opts.abundance, None, prof, list(self.names), scales=scales,
                                            tags={"inss_layout": "one band per library spectrum; fractions sum to 1"})
        self.residual = None
        if opts.rgb_residual:
            self.residual = self._open(opts.rgb_residual, None, {**base, "count": 3, "dtype": "float32", "nodata": -9999.0},
                                       ["red residual", "green residual", "blue residual"],
                                       tags={"inss_layout": "input R, G, B minus the model's HSI at its RGB channels "
                                                            "before the consistency step, in the HSI's data units",
                                             "inss_rgb_channels_nm": json.dumps(
                                                 [round(float(self.sensor.wavelengths_nm[i]), 2) for i in self.sensor.rgb])})
        self.meter = ConsistencyMeter(self.sensor.rgb, visible_bands(self.sensor.wavelengths_nm, self.sensor.kept))
        self.phi = self.orders = None
        if opts.mixing:
            if model.config.order == 1:
                raise ConfigError("--mixing: an order-1 (linear mixture) model has no mixing parameters")
            d, order = model.config.downscale, model.config.order
            t = base["transform"]
            grid = (math.ceil(src.height / d), math.ceil(src.width / d), model.mixing.n_params)
            self.phi = OutputArray(parameters_path(opts.mixing), grid)
            self.rasters.append(self.phi)
            about = {"parameters_file": parameters_path(opts.mixing).name, "parameters_shape": list(grid),
                     "parameters_transform": list((t * t.scale(d, d))[:6]), "downscale": d, "order": order,
                     "mlp_hidden": model.config.mlp_hidden, "n_in": model.mixing.n_in,
                     "parameters_layout": "cell (row, col) of the D-pixel grid at [row, col]; per order k=2..K: "
                                          "W1 (n_in x hidden, row-major), b1, W2 (hidden x N_g), b2",
                     "output_scale": model.config.output_scale, "t": _rounded(model.signature()),
                     "path_radiance": _rounded(model.path())}
            names = [f"order_{k}_rel_norm" for k in range(2, order + 1)] + ["nonlinear_rel_norm"]
            self.orders = self._open(opts.mixing, None, {**base, "count": order, "dtype": "float32", "nodata": -1.0},
                                     names, tags={"inss_mixing": json.dumps(about),
                                                  "inss_layout": "band k-1: ||e^k|| / ||l|| per pixel (k = 2..order); "
                                                                 "last band: ||s - l|| / ||l||, the whole nonlinear part"})

    def _open(self, path, fmt, profile, names, **kw) -> OutputRaster:
        kw.setdefault("block", self.opts.tile)  # the blocks synthesis writes
        kw.setdefault("creation_options", self.opts.creation_options)
        raster = OutputRaster(path, output_format(path, fmt), profile, names, interleave=kw.pop("interleave", self.opts.interleave), **kw)
        self.rasters.append(raster)
        return raster

    @torch.no_grad()
    def abundances(self, ringed: np.ndarray, h: int, w: int, device: torch.device) -> torch.Tensor:
        """F's head and softmax on a block of the head's input with its one-pixel ring
        (H + 2, W + 2, C) -> abundances (h', w', N) on ``device``, channels last, for the whole
        cells that cover the block's (h, w) part in the raster.

        The softmax overwrites the logits a few thousand pixels at a time, in place: one fused
        pass per chunk, in cache.
        """
        head = self.model.unet.head
        d = self.model.config.downscale
        rows, cols = math.ceil(h / d) * d, math.ceil(w / d) * d
        x = torch.from_numpy(ringed[: rows + 2, : cols + 2]).to(device).permute(2, 0, 1)[None]  # channels last
        with _autocast(device, self.opts.precision):
            logits = F.conv2d(x, head.weight, head.bias)  # no padding: the ring is the padding
        a = logits.float().permute(0, 2, 3, 1)[0].contiguous()  # no copy: the head runs channels last
        for pixels in a.view(-1, a.shape[2]).split(4096):
            torch.softmax(pixels, dim=1, out=pixels)  # 1.66 ms per chunk against 2.05 through a copy
        return a

    def compute(self, h: int, w: int, ringed: np.ndarray | None, t_hidden: np.ndarray | None, rgb: torch.Tensor,
                valid: np.ndarray, device: torch.device) -> dict[str, np.ndarray]:
        """Every output's part of a finished block, cropped to the raster's (h, w).

        ``ringed`` is the head input over the block and a one-pixel ring (see :meth:`abundances`),
        None when no pixel of the block is valid; ``t_hidden`` (H/D, W/D, C), T's hidden layer, is
        channels last; ``rgb`` (3, >= H, >= W) is the scaled input from the block's
        origin on, for the consistency step. The workers take the block's cell rows one at a time, as
        each finishes its last, and the last rows in halves (:func:`_row_parts`); all at once
        on CUDA, or on one thread.

        One row per task, not one equal share per worker: with shares, a worker that lost time
        to the writer thread left the other idle until the block was done (one worker running
        in 10% of a 2048² run's samples, against 3% now); and a row's intermediates (8.5 MB of
        abundances at 384 pixels wide) are a share's 1/12, so peak RSS fell from 1.78-1.89 GB
        to 0.81-0.87 GB. A part's head reads the ring around it, but computes only the part's
        own pixels, as a share's did.
        """
        d = self.model.config.downscale
        gh, gw = math.ceil(h / d), math.ceil(w / d)  # whole cells up to the raster's edge
        out = self._empty(h, w, gh, gw)
        parts = [(0, gh, 0, gw)] if self.workers is None else _row_parts(gh, gw, self.workers.n)

        needs_rgb = self.model.projection is not None or self.residual is not None
        rgb = rgb[:, : gh * d, : gw * d].permute(1, 2, 0) if needs_rgb else None

        def part(cells: tuple[int, int, int, int]) -> None:
            self._part(*cells, h, w, ringed, t_hidden, rgb, valid, device, out)

        if len(parts) > 1:
            self.workers.map(part, parts)
        else:
            part(parts[0])
        return out

    def direct(self, h: int, w: int, hsi: np.ndarray | None, valid: np.ndarray) -> dict[str, np.ndarray]:
        """A comparison network's block: its HSI (K, >= h, >= w) in normalised units, or None
        when no pixel is valid, encoded in the raster's dtype, nodata where not ``valid``."""
        out = self._empty(h, w, 0, 0)
        if hsi is None:
            out["hsi"][:] = self.hsi.nodata
            return out
        with self.clock.cpu("encoding"):
            if self.opts.dtype == "int16":  # as the mixing encodes: rounded, clamped short of nodata
                out["hsi"][:] = np.clip(np.rint(hsi[:, :h, :w] * INT16_UNITS), -32767, 32767)
            else:
                np.multiply(hsi[:, :h, :w], self.scale, out=out["hsi"])
            out["hsi"][:, ~valid] = self.hsi.nodata
        return out

    def queue(self, out: dict[str, np.ndarray], y0: int, x0: int) -> None:
        """Hand a block's outputs (:meth:`compute`) at (y0, x0) to the writer thread."""
        self.writer.put(self.hsi, out["hsi"], y0, x0)
        if self.abundance is not None:
            self.writer.put(self.abundance, out["abundance"], y0, x0)
        if self.residual is not None:
            self.writer.put(self.residual, out["rgb_residual"], y0, x0)
        if self.phi is not None:
            d = self.model.config.downscale
            self.writer.put(self.phi, out["phi"], y0 // d, x0 // d)
            self.writer.put(self.orders, out["orders"], y0, x0)

    def _empty(self, h: int, w: int, gh: int, gw: int) -> dict[str, np.ndarray]:
        """Uninitialised arrays for a block's outputs, (bands, h, w) or, for phi, (gh, gw, P)."""
        out = {"hsi": np.empty((self.sensor.n_channels, h, w), self.opts.dtype)}
        if self.abundance is not None:
            k = self.opts.abundance_top_k
            out["abundance"] = (np.empty((2 * k, h, w), np.float32) if k else
                                np.empty((len(self.names), h, w), self.opts.abundance_dtype))
        if self.residual is not None:
            out["rgb_residual"] = np.empty((3, h, w), np.float32)
        if self.phi is not None:
            out["phi"] = np.empty((gh, gw, self.model.mixing.n_params), np.float32)
            out["orders"] = np.empty((self.model.config.order, h, w), np.float32)
        return out

    @torch.no_grad()
    def _part(self, g0: int, g1: int, c0: int, c1: int, h: int, w: int, ringed: np.ndarray | None,
              t_hidden: np.ndarray | None, rgb: torch.Tensor | None, valid: np.ndarray, device: torch.device,
              out: dict[str, np.ndarray]) -> None:
        """Fill cells g0..g1 x c0..c1 of a block's outputs: F's head, T's last layer, the mixing
        and consistency step, the HSI's and abundance's encodings, nodata where a pixel is not
        valid. ``rgb`` (whole cells, channels last) is the block's scaled input, or None
        when neither the consistency step nor the RGB residual needs it."""
        m = self.model
        d = m.config.downscale
        ya, yb = g0 * d, min(g1 * d, h)  # the part's pixel rows and columns in the block
        xa, xb = c0 * d, min(c1 * d, w)
        valid = valid[ya:yb, xa:xb]
        mix = ringed is not None and bool(valid.any())  # else all nodata or outside the AOI: nothing to mix
        phi = None
        if t_hidden is not None and (mix or self.phi is not None):
            with self.clock.cpu("T"), _autocast(device, self.opts.precision):  # T's last layer, once per cell
                phi = self.to_params(torch.from_numpy(t_hidden[g0:g1, c0:c1]).to(device))
                if self.phi is not None:
                    out["phi"][g0:g1, c0:c1] = phi.float().cpu().numpy()
        elif self.phi is not None:  # a block with no valid pixel: the model did not run
            out["phi"][g0:g1, c0:c1] = np.nan
        rows = {name: a[:, ya:yb, xa:xb] for name, a in out.items() if name != "phi"}
        if not mix:
            for name, a in rows.items():
                a[:] = self._nodata(name)
            return
        with self.clock.cpu("head and softmax"):
            abundance = self.abundances(ringed[ya:, xa:], yb - ya, xb - xa, device)
        # s is linear in t and L_path (l = t * R A_p, e^k = e^(k-1) * M^k): scaling both gives s in
        # output units
        int16 = self.opts.dtype == "int16"
        units = INT16_UNITS if int16 else self.scale
        t = m.signature().detach() * units
        path = m.path()
        path = None if path is None else path.detach() * units
        if rgb is not None:
            rgb = rgb[ya : ya + abundance.shape[0], xa : xa + abundance.shape[1]].to(device) * units
        target = torch.from_numpy(rows["hsi"])
        # the mixing encodes s straight into the output's rows, or, where the raster's edge cuts
        # cells or the block is on a GPU, into whole cells on the device, cropped by one copy
        direct = device.type == "cpu" and target.shape[1:] == abundance.shape[:2]
        residual = None
        if "rgb_residual" in rows:
            residual = (torch.from_numpy(rows["rgb_residual"]) if direct else
                        abundance.new_empty((3, *abundance.shape[:2]), dtype=torch.float32))
        with self.clock.cpu("mixing"):
            # on a GPU a chunk is a whole cell row: the cache limit is the CPU's, the launches the GPU's
            hsi, rel = m.mixing.mix_block(abundance, phi, t, m.library, orders="orders" in rows,
                                          cells_per_chunk=CELLS_PER_CHUNK if device.type == "cpu" else c1 - c0,
                                          dtype=PRODUCT_DTYPES[self.opts.precision], path=path, rgb=rgb,
                                          projection=m.projection, rgb_channels=self.sensor.rgb, residual=residual,
                                          out=target if direct else abundance.new_empty(
                                              (len(target), *abundance.shape[:2]), dtype=target.dtype))
            if not direct:
                target.copy_(hsi[:, : yb - ya, : xb - xa])
                if residual is not None:
                    rows["rgb_residual"][:] = residual[:, : yb - ya, : xb - xa].cpu().numpy()
            if residual is not None and int16:  # in the HSI's data units, as the HSI's gain gives them
                rows["rgb_residual"] *= self.scale / units
        if rel is not None:
            with self.clock.cpu("orders encoding"):
                rows["orders"][:] = rel[:, : yb - ya, : xb - xa].float().cpu().numpy()
        if "abundance" in rows:
            self._abundance_rows(abundance[: yb - ya, : xb - xa], rows["abundance"])
        invalid = ~valid
        if invalid.any():
            for name, a in rows.items():
                a[:, invalid] = self._nodata(name)

    def _abundance_rows(self, abundance: torch.Tensor, target: np.ndarray) -> None:
        """A part's abundances (h, w, N) into the abundance raster's (bands, h, w) ``target``: the
        top-k fractions and indices, or every fraction in the raster's dtype."""
        with self.clock.cpu("abundance encoding (top-k)" if self.opts.abundance_top_k else "abundance encoding"):
            if self.opts.abundance_top_k and abundance.device.type != "cpu":
                torch.from_numpy(target).copy_(top_k_planes(abundance, self.opts.abundance_top_k))
                return
            ab = abundance.cpu().numpy()
            if self.opts.abundance_top_k:
                top_k_block(ab, self.opts.abundance_top_k, target)
            elif self.opts.abundance_dtype == "uint16":
                target[:] = np.clip(np.rint(ab * ABUNDANCE_UINT16_UNITS), 0, 65534).transpose(2, 0, 1)
            else:
                target[:] = ab.transpose(2, 0, 1)

    def _nodata(self, name: str) -> float:
        """The nodata value of a block output (see :meth:`_empty`), as its raster declares it."""
        return {"hsi": self.hsi, "abundance": self.abundance, "orders": self.orders,
                "rgb_residual": self.residual}[name].nodata

    def commit(self) -> list[Path]:
        """Finish every raster, then move them all into place with signals held: a run's outputs
        appear together or not at all, as far as a sequence of renames allows."""
        if self.workers is not None:
            self.workers.close()
        self.writer.close()
        for r in self.rasters:
            r.finish()
        with signals_deferred(reraise=False):  # the run is complete: a late signal stops nothing
            self.written = [r.commit() for r in self.rasters]
        return self.written

    def abort(self) -> None:
        """Remove every temporary, with signals held so a second Ctrl-C cannot leave some behind."""
        with signals_deferred():
            if self.workers is not None:
                self.workers.close()
            if self.writer is not None:
                with contextlib.suppress(KeyboardInterrupt):  # (it still waits for the thread)
                    self.writer.close(discard=True)
            for r in self.rasters:
                r.abort()


def _row_parts(gh: int, gw: int, workers: int) -> list[tuple[int, int, int, int]]:
    """A block's gh x gw cells as the workers' tasks (g0, g1, c0, c1): a cell row each, but the
    last ``workers`` rows in halves. The first worker to run out of rows waits for the others'
    last task, which is then half as long: in a 2048² run one core stood idle at the ends of
    blocks for 0.59 s in all, against 0.87 s with whole rows to the end."""
    split = max(0, gh - workers) if gw > 1 else gh
    half = gw // 2
    return [(g, g + 1, 0, gw) for g in range(split)] + [
        (g, g + 1, c0, c1) for g in range(split, gh) for c0, c1 in ((0, half), (half, gw))]


def synthesize(input_path: str | Path, output: str | Path, model_path: str | Path | None, opts: SynthesisOptions,
               progress: Callable[[float], None] | None = None, clock: StageClock | None = None,
               summary: dict | None = None) -> list[Path]:
    """Synthesize ``output`` (and the optional abundance / mixing / RGB-residual rasters) from
    ``input_path``.

    Returns the written paths. On any failure or interrupt nothing is left at the output paths.
    ``clock``, if given, collects the seconds spent per stage; ``summary``, if given, receives
    the consistency of the output with the input (:mod:`consistency`).
    """
    clock = clock or StageClock()
    named = {"-o": output, "--abundance": opts.abundance, "--rgb-residual": opts.rgb_residual, "--mixing": opts.mixing}
    targets = {what: (path, output_format(path, opts.fmt if what == "-o" else None))
               for what, path in named.items() if path}
    if opts.mixing:
        targets["--mixing's parameter grid"] = (parameters_path(opts.mixing), "NPY")
    model_file = model_path or default_model_path()
    inputs = [input_path, model_file, *([opts.aoi] if opts.aoi and Path(opts.aoi).is_file() else [])]
    check_outputs(targets, inputs, opts.overwrite)
    for path, _ in targets.values():
        remove_abandoned(path)  # what a killed run left (kill -9): never a complete output
    if opts.abundance_top_k is not None and not 1 <= opts.abundance_top_k:
        raise ConfigError("--abundance-top-k must be at least 1")
    device = torch.device(opts.device)
    if opts.precision == "fp16" and device.type == "cpu":  # no fp16 arithmetic units: 36x slower than fp32 here
        raise ConfigError("--precision fp16 is for GPUs; on the CPU use bf16 or fp32")
    model, contract = load_checkpoint(model_file, device)
    inss = isinstance(model, INSS)
    if inss:
        fold_batch_norms(model.unet)
    else:
        asked = [flag for flag in ("--abundance", "--mixing", "--rgb-residual") if named[flag]]
        if asked:
            raise ConfigError(f"{', '.join(asked)}: a {contract.get('method')} model synthesizes the HSI alone; "
                              "abundances and mixing come from INSS models")
    # channels last: the convolutions run faster, and the abundance softmax and
    # the mixing all want each pixel's channels contiguous
    model.to(memory_format=torch.channels_last)
    sensor = Sensor.from_config(contract["sensor"])
    with rasterio.Env(GDAL_CACHEMAX=64), _open_input(input_path) as src:
        bands = choose_rgb_bands(src, opts.rgb_bands, opts.from_hsi, sensor)
        dtypes = {src.dtypes[b - 1] for b in bands}
        if not all(np.issubdtype(np.dtype(d), np.integer) or np.issubdtype(np.dtype(d), np.floating) for d in dtypes):
            raise InputFileError(f"{input_path}: RGB bands of type {', '.join(sorted(dtypes))}; "
                                 "integer or real values are needed")
        scaler = make_scaler(src, bands, opts.input_scale, contract, opts.from_hsi)
        frame = _frame(src, opts)
        m, margin = model_grid(model)
        rows, cols = make_grid(frame.height, opts.tile, margin, m), make_grid(frame.width, opts.tile, margin, m)
        outputs = None
        try:
            outputs = _Outputs(frame, Path(output), model, contract, opts, scaler.describe(), device, clock)
            _run_tiles(src, frame, bands, scaler, model, rows, cols, outputs, opts, device, progress, clock)
            if summary is not None:
                summary.update(outputs.meter.summary())
            with clock("write (not hidden)"):
                written = outputs.commit()
            clock.seconds["write (background thread)"] = outputs.writer.busy_seconds
            return written
        except BaseException as exc:
            if outputs is not None and outputs.written is not None and isinstance(exc, KeyboardInterrupt):
                return outputs.written  # a signal after the commit: the run is complete, nothing to undo
            why = _write_failure(exc, Path(output).parent)  # before the clean-up frees the space
            if outputs is not None:  # (_Outputs cleans up after itself when opening fails)
                outputs.abort()
            if why:
                raise OutputError(f"{output}: writing failed, nothing was written ({why})") from None
            raise


#: free space below which a failed write is reported as a full disk
DISK_FULL_BYTES = 64 << 20


def _write_failure(exc: BaseException, directory: Path) -> str | None:
    """Why writing failed, in words a user can act on; None when ``exc`` is no write failure.

    GDAL reports a full disk in a GeoTIFF as "Write failed. See previous exception", so the free
    space is looked at too."""
    if isinstance(exc, MemoryError):
        return "out of memory; try a smaller --tile"
    if not isinstance(exc, OSError) or isinstance(exc, InssGeoError):  # (reads are InputFileErrors)
        return None
    try:
        free = shutil.disk_usage(directory if str(directory) else ".").free
    except OSError:
        free = None
    if exc.errno == errno.ENOSPC or (free is not None and free < DISK_FULL_BYTES):
        return f"disk full: {free / 2**20:.1f} MB free in {directory}" if free is not None else "disk full"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


class StageClock:
    """Seconds spent per stage of synthesis, for ``bench/``: the main thread's wall time per stage
    (read, model, block, queue) and, within the block stage, the CPU time all the threads
    that compute blocks spent on each part of it (``block cpu: ...``), which says where the cores
    went while the main thread waited for them."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._lock = threading.Lock()  # the block workers add to it concurrently

    def __call__(self, stage: str) -> contextlib.AbstractContextManager[None]:
        """Add the wall time spent in the ``with`` block to ``stage``."""
        return self._timed(stage, time.perf_counter)

    def cpu(self, part: str) -> contextlib.AbstractContextManager[None]:
        """Add the calling thread's CPU time in the block's ``part`` to ``block cpu: <part>``."""
        return self._timed(f"block cpu: {part}", time.thread_time)

    @contextlib.contextmanager
    def _timed(self, stage: str, clock: Callable[[], float]) -> Iterator[None]:
        start = clock()
        try:
            yield
        finally:
            elapsed = clock() - start
            with self._lock:
                self.seconds[stage] = self.seconds.get(stage, 0.0) + elapsed


def _read_batch(src, frame: _Frame, bands, scaler, rows, cols, batch, pin: bool) -> tuple[torch.Tensor, list[np.ndarray]]:
    """Scaled RGB of a batch of tile windows (B, 3, window, window) and each block's validity
    mask (tile, tile)."""
    inputs, masks = [], []
    for i, j in batch:
        y0, x0 = rows.origin(i), cols.origin(j)
        rgb, mask = read_rgb_tile(src, bands, int(frame.window.row_off) + y0 - rows.margin,
                                  int(frame.window.col_off) + x0 - cols.margin, rows.window, cols.window)
        mask = mask[rows.margin : rows.margin + rows.tile, cols.margin : cols.margin + cols.tile]
        inside = frame.inside(src, y0, x0, rows.tile, cols.tile)
        inputs.append(scaler(rgb))
        masks.append(mask if inside is None else mask & inside)
    x = torch.from_numpy(np.stack(inputs)).contiguous(memory_format=torch.channels_last)
    return (x.pin_memory() if pin else x), masks


def _run_tiles(src, frame: _Frame, bands, scaler, model: INSS, rows, cols, outputs: _Outputs, opts: SynthesisOptions,
               device: torch.device, progress: Callable[[float], None] | None, clock: StageClock) -> None:
    """Tiles in row-major order: the next batch is read on a second thread while this one runs.

    Blocks with no valid pixel (nodata, outside the AOI) skip the model: they are all nodata.

    On the CPU the next read starts after the U-Net, beside the block workers: the U-Net's
    threads meet after every operation, so a core the reader takes stalls both of them, while
    a block worker just takes fewer rows. A GPU's U-Net leaves the host's cores free, so there
    it reads ahead at once.
    """
    order = [(i, j) for i in range(rows.count) for j in range(cols.count)]
    batches = [order[k : k + opts.batch_size] for k in range(0, len(order), opts.batch_size)]
    bar = tqdm(total=len(order), unit="tile", desc="synthesize", disable=opts.progress != "bar")
    autocast = _autocast(device, opts.precision)
    cpu = device.type == "cpu"
    def read(batch):
        with rasterio.Env():  # GDAL's error handling is per thread
            return _read_batch(src, frame, bands, scaler, rows, cols, batch, device.type == "cuda")

    done = 0
    with ThreadPoolExecutor(1, thread_name_prefix="inss-geo-reader") as reader:
        pending = reader.submit(read, batches[0])
        for b, batch in enumerate(batches):
            with clock("read (not hidden)"):
                x, masks = pending.result()
            if b + 1 < len(batches) and not cpu:
                pending = reader.submit(read, batches[b + 1])
            live = [n for n, mask in enumerate(masks) if mask.any()]
            tiles: list[dict[str, np.ndarray] | None] = [None] * len(batch)
            if live:
                with clock("model"), autocast:
                    predicted = _predict(model, x if len(live) == len(batch) else x[live], rows, cols, device)
                    for slot, tile in enumerate(predicted):
                        tiles[live[slot]] = tile
            if b + 1 < len(batches) and cpu:
                pending = reader.submit(read, batches[b + 1])
            core = _core(rows), _core(cols)
            for n, (i, j) in enumerate(batch):
                _write_block(rows, cols, i, j, tiles[n], x[n][:, core[0], core[1]], masks[n], outputs, device, clock)
                tiles[n] = None  # a block's arrays must not outlive it
                done += 1
                bar.update(1)
                if progress:
                    progress(100.0 * done / len(order))
    bar.close()


def _core(grid: TileGrid, ring: int = 0, step: int = 1) -> slice:
    """Where a block lies in its window along one axis, with ``ring`` more elements on each
    side, in elements of ``step`` pixels."""
    return slice(grid.margin // step - ring, (grid.margin + grid.tile) // step + ring)


@torch.no_grad()
def _predict(model: INSS, x: torch.Tensor, rows: TileGrid, cols: TileGrid, device: torch.device) -> list[dict[str, np.ndarray]]:
    """For each window of a batch, F's head input over the block and a one-pixel ring
    (tile + 2, tile + 2, C) and T's hidden layer over the block's cells (tile/D, tile/D, C_T),
    channels last; for a comparison network or ridge, the block's HSI (K, tile, tile)."""
    if not isinstance(model, INSS):
        out = model(x.to(device, non_blocking=True))
        hsi = (out if isinstance(out, torch.Tensor) else out.hsi)[:, :, _core(rows), _core(cols)].float().cpu().numpy()
        return [{"hsi": block} for block in hsi]
    head_input, feature = model.unet.decode(x.to(device, non_blocking=True))
    g = _channels_last(head_input[:, :, _core(rows, 1), _core(cols, 1)].float().permute(0, 2, 3, 1))
    hidden = None
    if model.transform is not None:
        d = model.config.downscale
        hidden = _channels_last(model.transform.hidden(feature)[:, _core(rows, step=d), _core(cols, step=d)].float())
    return [{"head_input": g[n], **({"t_hidden": hidden[n]} if hidden is not None else {})} for n in range(len(x))]


def _write_block(rows, cols, i: int, j: int, tile: dict[str, np.ndarray] | None, block_rgb: torch.Tensor,
                 block_valid: np.ndarray, outputs: _Outputs, device: torch.device, clock: StageClock) -> None:
    """Compute block (i, j)'s outputs, cropped to the raster, and queue them for writing.

    ``tile`` is what :func:`_predict` gave, None when no pixel of the block is valid;
    ``block_rgb`` (3, tile, tile) is the block's scaled input, for the consistency step.
    """
    h, w = rows.length(i), cols.length(j)
    valid = block_valid[:h, :w]
    if not outputs.inss:
        with clock("block (encoding)"):
            out = outputs.direct(h, w, None if tile is None else tile["hsi"], valid)
        with clock("consistency"):
            outputs.meter.add(block_rgb[:, :h, :w].numpy(), out["hsi"], valid)
        with clock("queue"):
            outputs.queue(out, rows.origin(i), cols.origin(j))
        return
    ringed = tile["head_input"] if tile is not None else None
    t_hidden = tile.get("t_hidden") if tile is not None else None
    with clock("block (head, T, mixing, encoding)"):
        out = outputs.compute(h, w, ringed, t_hidden, block_rgb, valid, device)
    with clock("consistency"):
        outputs.meter.add(block_rgb[:, :h, :w].numpy(), out["hsi"], valid)
    with clock("queue"):
        outputs.queue(out, rows.origin(i), cols.origin(j))


def _autocast(device: torch.device, precision: str) -> torch.autocast:
    """``--precision`` for F and T (off in fp32); the mixing takes the dtype explicitly."""
    return torch.autocast(device.type, dtype=PRODUCT_DTYPES[precision], enabled=precision != "fp32")


def _rounded(x: torch.Tensor | None) -> list[float] | None:
    """A model's per-channel latent (t, L_path) for a raster's metadata, or None."""
    return None if x is None else [round(float(v), 6) for v in x.detach().cpu()]


def _channels_last(x: torch.Tensor) -> np.ndarray:
    """(B, H, W, C) on any device -> a C-contiguous numpy array (no copy when it already is)."""
    return x.cpu().contiguous().numpy()
