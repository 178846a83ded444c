"""Raster output: georeferenced ENVI / GeoTIFF / COG written window by window, atomically.

Every output is written into a hidden temporary directory beside its final path and moved into
place only when complete (ENVI: the header first, the data file last), so an interrupted run
never leaves a file that looks finished.
"""

from __future__ import annotations

import os
import queue
import shutil
import tempfile
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import rasterio
import rasterio.shutil
from rasterio.errors import NotGeoreferencedWarning
from rasterio.windows import Window

from ..errors import ConfigError, OutputError
from .atomic import temp_prefix
from .output_paths import raster_files

#: Output extensions -> GDAL driver (COG is written as GTiff, then copied by GDAL's COG driver).
FORMATS = {".envi": "ENVI", ".img": "ENVI", ".bsq": "ENVI", ".bil": "ENVI", ".bip": "ENVI", ".dat": "ENVI",
           ".tif": "GTiff", ".tiff": "GTiff"}


#: rows of a block written through one memory map: each touched page is mapped (and counted in
#: the process's memory) until the map is dropped, and in BIL or BSQ every row of every band
#: touches its own page, so a whole 384-row, 224-band block would map 350 MB
ROWS_PER_MAP = 16


#: GeoTIFF compression by default: ZSTD at its fastest level costs the writer thread little
#: (``bench/README.md``), and abundances, mostly near 0, shrink several-fold
GTIFF_OPTIONS = {"COMPRESS": "ZSTD", "ZSTD_LEVEL": "1"}
COG_OPTIONS = {"COMPRESS": "DEFLATE", "BIGTIFF": "IF_SAFER"}


def output_format(path: str | Path, fmt: str | None) -> str:
    """``ENVI``, ``GTiff`` or ``COG`` from ``--format`` or the file extension."""
    if fmt:
        choices = {"envi": "ENVI", "gtiff": "GTiff", "geotiff": "GTiff", "cog": "COG"}
        if fmt.lower() not in choices:
            raise ConfigError(f"unknown format {fmt!r}; choose from envi, gtiff, cog")
        return choices[fmt.lower()]
    ext = Path(path).suffix.lower()
    if ext not in FORMATS:
        raise ConfigError(f"{path}: cannot tell the format from {ext or 'no extension'!r}; use --format envi|gtiff|cog")
    return FORMATS[ext]


class OutputRaster:
    """A raster being written block by block into a temporary directory.

    Args:
        path: Final path.
        fmt: ``ENVI``, ``GTiff`` or ``COG``.
        profile: rasterio profile (width, height, count, dtype, crs, transform, nodata).
        band_names: One description per band.
        interleave: ENVI interleave (bsq, bil, bip).
        envi_header: Extra ENVI header fields (wavelength, fwhm, bbl, ...), ENVI only.
        band_tags: Per-band metadata (e.g. wavelength), one dict per band.
        tags: Dataset metadata.
        scales: Per-band gain (physical = stored * gain).
        block: GeoTIFF tile size; best the size of the windows that will be written.
        creation_options: GDAL creation options (``--co``) for a GeoTIFF or COG; they override
            ``GTIFF_OPTIONS`` or ``COG_OPTIONS``. An ENVI file takes none.
    """

    def __init__(
        self,
        path: str | Path,
        fmt: str,
        profile: dict,
        band_names: list[str],
        *,
        interleave: str = "bil",
        envi_header: dict[str, str] | None = None,
        band_tags: list[dict[str, str]] | None = None,
        tags: dict[str, str] | None = None,
        scales: list[float] | None = None,
        block: int = 256,
        creation_options: dict[str, str] | None = None,
    ) -> None:
        self.final = Path(path)
        self.nodata = profile.get("nodata")  #: what marks a pixel with no value, as the profile declares
        self.fmt = fmt
        self._tmpdir = Path(tempfile.mkdtemp(prefix=temp_prefix(self.final), suffix=".part", dir=self.final.parent or "."))
        self.tmp = self._tmpdir / self.final.name
        self._released = 0  # the row above which the page cache was last released
        self._done: Path | None = None  # the finished file, once :meth:`finish` has run
        try:
            opts = dict(profile)
            self._co = dict(creation_options or {})
            if fmt == "ENVI":  # the header is <name>.hdr (SUFFIX=ADD), as SPy's open_image expects
                opts.update(driver="ENVI", interleave=interleave, SUFFIX="ADD")
            else:  # blocks the size of the windows written (each write fills whole tiles), but no
                # larger than the raster: a 384-px raster in 4096-px blocks was a 15 GB file
                fit = [min(block, -(-n // 16) * 16) for n in (profile["width"], profile["height"])]
                opts.update(driver="GTiff", tiled=True, blockxsize=fit[0], blockysize=fit[1], BIGTIFF="IF_SAFER",
                            interleave="pixel" if profile["count"] < 1000 else "band")
                if fmt == "GTiff":  # (a COG is compressed when copied)
                    opts.update({**GTIFF_OPTIONS, **self._co})
            self._raw = None
            try:
                with warnings.catch_warnings():  # an input without CRS was already reported
                    warnings.simplefilter("ignore", NotGeoreferencedWarning)
                    self.ds = rasterio.open(self.tmp, "w", **opts)
            except rasterio.errors.RasterioIOError as exc:
                raise OutputError(f"{self.final}: cannot create ({exc})") from None
            for b, name in enumerate(band_names, start=1):
                self.ds.set_band_description(b, name)
            if envi_header and fmt == "ENVI":
                self.ds.update_tags(ns="ENVI", **envi_header)
            for b, t in enumerate(band_tags or [], start=1):
                self.ds.update_tags(b, **t)
            if tags:
                self.ds.update_tags(**tags)
            if scales is not None:
                self.ds.scales = scales
                self.ds.offsets = [0.0] * len(scales)
            if fmt == "ENVI":  # GDAL has written the header; the data go straight into the file
                self.ds.close()
                h, w, c = profile["height"], profile["width"], profile["count"]
                self._interleave = interleave
                self._layout = {"bsq": (c, h, w), "bil": (h, c, w), "bip": (h, w, c)}[interleave]
                self._dtype = np.dtype(profile["dtype"]).newbyteorder("<")
                self._raw = open(self.tmp, "r+b")
                size = h * w * c * self._dtype.itemsize
                if hasattr(os, "posix_fallocate"):  # reserve the space: a full disk fails here, not in a mapped write
                    os.posix_fallocate(self._raw.fileno(), 0, size)
                else:  # macOS, Windows: a sparse file
                    self._raw.truncate(size)
        except BaseException:
            self.abort()  # nothing of a half-opened output stays behind
            raise

    def write(self, data: np.ndarray, row: int, col: int) -> None:
        """Write (bands, h, w) at pixel (row, col) through the page cache.

        The first write of each new row of blocks first releases the cached pages of the rows
        above it (``_release_cache``), so the memory those pages free is what this row's new
        pages then reuse (see there).
        """
        if row > self._released:
            self._released = row
            self._release_cache(row)
        if self._raw is None:
            self.ds.write(data, window=Window(col, row, data.shape[2], data.shape[1]))
        else:
            self._write_raw(data, row, col)

    def _write_raw(self, data: np.ndarray, row: int, col: int) -> None:
        """Write into the ENVI file through a short-lived memory map of it.

        GDAL's raw driver rewrites whole scanlines through its block cache for each window, which
        costs time in proportion to the raster's width (565 ms per 128x128 224-band window at
        8192 wide, 168 ms at 2048); here a window touches only its own bytes. The map is dropped
        after every ``ROWS_PER_MAP`` rows so that few of its pages count in this process's memory.
        """
        w = data.shape[2]
        for r0 in range(0, data.shape[1], ROWS_PER_MAP):
            part = data[:, r0 : r0 + ROWS_PER_MAP]
            y0, y1 = row + r0, row + r0 + part.shape[1]
            mapped = np.memmap(self._raw, dtype=self._dtype, mode="r+", shape=self._layout)
            if self._interleave == "bsq":
                mapped[:, y0:y1, col : col + w] = part
            elif self._interleave == "bil":
                mapped[y0:y1, :, col : col + w] = part.transpose(1, 0, 2)
            else:
                mapped[y0:y1, col : col + w, :] = part.transpose(1, 2, 0)
            del mapped

    def _release_cache(self, row: int) -> None:
        """Start writing back the OS's cached pages of this file that no later write touches,
        and drop those already written.

        Outputs larger than memory would otherwise fill the page cache and push out what the
        run still reads (the input). Writes come in rows of
        blocks, so in an ENVI file the bytes above ``row`` are final; pages still to be
        written are kept, or each would be read back from disk. On Linux ``POSIX_FADV_DONTNEED``
        starts the write-back of the range's dirty pages and drops its clean ones, so the pages
        it starts writing go at the next call: at the start of row n of blocks, row n-2's.
        Not ``fdatasync`` mid-row: that also wrote back the pages of the row of blocks still
        being filled, which the next blocks dirty again, so each went to disk several times (at
        8192 wide, 20.9 GB written for 4.0 GB of data); at a row's start, to drop row n-1's pages
        as well, it gained nothing (2048², three interleaved pairs).

        Called once per row of blocks, just before its first write, because memory this VM has
        not touched for a while is slow to get (freed pages go back to the host after about
        2 s): the row's new pages, which the kernel zero-fills, then reuse the pages just
        dropped. Released instead after every 256 MB written, mid-row and seconds before the
        next row needed them, the run spent more system time (2048², ``inss-geo synthesize``
        under ``/usr/bin/time``, four interleaved pairs: 2.4-3.2 s against 3.7-5.1 s; 32.1-33.0 s
        against 32.5-34.9 s in all).
        """
        if not hasattr(os, "posix_fadvise"):
            return
        fd = self._raw.fileno() if self._raw is not None else os.open(self.tmp, os.O_RDONLY)
        try:
            for offset, length in self._final_ranges(row):
                os.posix_fadvise(fd, offset, length, os.POSIX_FADV_DONTNEED)
        finally:
            if self._raw is None:
                os.close(fd)

    def _final_ranges(self, row: int) -> list[tuple[int, int]]:
        """(offset, length) byte ranges written for good; the whole file where unknown (GDAL's)."""
        if self._raw is None:
            return [(0, 0)]
        item = self._dtype.itemsize
        if self._interleave == "bsq":
            bands, height, width = self._layout
            return [(b * height * width * item, row * width * item) for b in range(bands)]
        line = int(np.prod(self._layout[1:])) * item
        return [(0, row * line)] if row else []

    def finish(self) -> None:
        """Close and convert to COG if asked: all the work that can fail, before :meth:`commit`."""
        self.ds.close()
        if self._raw is not None:
            self._raw.close()
        src = self.tmp
        if self.fmt == "COG":
            cog = self._tmpdir / f"cog{self.final.suffix or '.tif'}"
            rasterio.shutil.copy(self.tmp, cog, driver="COG", **{**COG_OPTIONS, **self._co})
            src = cog
        header = Path(f"{src}.hdr")
        if header.exists():  # GDAL's ENVI description is the file name it wrote: the temporary one
            header.write_text(header.read_text().replace(str(self.tmp), str(self.final.resolve()), 1))
        self._done = src

    def commit(self) -> Path:
        """Move the finished files into place (after :meth:`finish`): renames only. An output
        being replaced (``--overwrite``) loses its own files first, and only those
        (:func:`output_paths.raster_files`)."""
        if self._done is None:
            self.finish()
        src = self._done
        for old in raster_files(self.final, self.fmt):
            old.unlink(missing_ok=True)
        header = Path(f"{src}.hdr")
        if header.exists():
            os.replace(header, Path(f"{self.final}.hdr"))
        aux = Path(f"{src}.aux.xml")
        if aux.exists():
            os.replace(aux, Path(f"{self.final}.aux.xml"))
        os.replace(src, self.final)  # the data file last: only now does the output look complete
        shutil.rmtree(self._tmpdir, ignore_errors=True)
        return self.final

    def abort(self) -> None:
        """Remove everything written so far."""
        ds = getattr(self, "ds", None)
        if ds is not None and not ds.closed:
            ds.close()
        if getattr(self, "_raw", None) is not None:
            self._raw.close()
        shutil.rmtree(self._tmpdir, ignore_errors=True)


class BackgroundWriter:
    """Writes blocks on one background thread, so GDAL's encoding and the disk overlap the model.

    At most ``depth`` blocks wait in the queue, which bounds the memory they hold (a 512² float32
    block of 224 bands is 235 MB); the thread was busy 2.6 s of a 30 s 2048² run, so two are
    enough to hide it. A write error is raised in the caller at its next :meth:`put` or at
    :meth:`close`.

    The thread runs at the process's priority. At nice +10 it wrote only in the gaps the model
    left, which at 8192² were too few: the queue filled and the run waited on it for 61-62 s
    (622.4 and 639.6 s in all, against 578.7 and 613.7 s with 9-12 s of waiting now). The
    lower priority had paid while the model's threads met after every operation and all
    waited for the one the writer descheduled; the block workers take rows as they free up,
    so a worker the writer slows just takes fewer.
    """

    def __init__(self, depth: int = 2) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._discard = False
        #: seconds the thread spent writing (the I/O that the model's time hides)
        self.busy_seconds = 0.0
        self._thread = threading.Thread(target=self._run, name="inss-geo-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with rasterio.Env():  # GDAL's error handling is per thread: route this one's to rasterio too
            self._write_all()

    def _write_all(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is None and not self._discard:
                raster, data, row, col = item
                start = time.perf_counter()
                try:
                    raster.write(data, row, col)
                except BaseException as exc:  # noqa: BLE001 - handed to the caller
                    self._error = exc
                self.busy_seconds += time.perf_counter() - start

    def put(self, raster: OutputRaster, data: np.ndarray, row: int, col: int) -> None:
        """Queue ``raster.write(data, row, col)``; blocks while the queue is full."""
        self._check()
        self._queue.put((raster, data, row, col))

    def close(self, discard: bool = False) -> None:
        """Finish (or with ``discard``, drop) the queued writes and stop the thread.

        Returns only once the thread has stopped, even when a signal interrupts the wait (the
        interrupt is raised after): the caller then closes the datasets the thread writes, and
        closing one under a write crashed GDAL (segfaults on Ctrl-C in the final write-out).
        """
        self._discard = discard
        if self._thread.is_alive():
            self._queue.put(None)
        interrupted = False
        while self._thread.is_alive():
            try:
                self._thread.join()
            except KeyboardInterrupt:
                interrupted, self._discard = True, True
        if interrupted:
            raise KeyboardInterrupt
        if not discard:
            self._check()

    def _check(self) -> None:
        if self._error is not None:
            raise self._error

