"""Writer cost and bytes sent to disk for rows of 384² blocks of a 224-band int16 BIL ENVI raster.

Usage: python bench/write_back.py [WIDTH ...] [--rows 3] [--workdir DIR] [--gather]

Writes ``--rows`` rows of blocks through ``OutputRaster.write`` (as synthesis's writer thread
does: through the page cache, or with ``--gather`` each row gathered in memory and written with
O_DIRECT, as synthesis does where a row fits) and reports the milliseconds per block, wall and
CPU (the wall includes waiting for O_DIRECT writes, which takes no CPU), and the megabytes the
workdir's block device wrote meanwhile (``/sys/dev/block/MAJ:MIN/stat``; other processes' writes
count too), against the raster's own size. A ratio well above 1 means pages went to disk more
than once. The output is removed unfinished, so the last row of blocks is never written back.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from rasterio.errors import NotGeoreferencedWarning

from inss_geo.raster_io import OutputRaster

BANDS, BLOCK = 224, 384


def sectors_written(path: Path) -> int:
    """Sectors (512 bytes) the block device holding ``path`` has written since boot."""
    dev = os.stat(path).st_dev
    stat = Path(f"/sys/dev/block/{os.major(dev)}:{os.minor(dev)}/stat").read_text().split()
    return int(stat[6])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("widths", nargs="*", type=int, default=[2048, 8192])
    ap.add_argument("--rows", type=int, default=3)
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()))
    ap.add_argument("--gather", action="store_true", help="gather rows of blocks in memory (row_buffer.py)")
    args = ap.parse_args()
    warnings.simplefilter("ignore", NotGeoreferencedWarning)
    data = np.ones((BANDS, BLOCK, BLOCK), np.int16)
    for width in args.widths:
        profile = {"width": width, "height": args.rows * BLOCK, "count": BANDS, "dtype": "int16", "crs": None,
                   "transform": None}
        with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
            raster = OutputRaster(Path(tmp) / "hsi.envi", "ENVI", profile, [], interleave="bil",
                                  tallest_block=BLOCK if args.gather else 0)
            before, start, cpu, blocks = sectors_written(Path(tmp)), time.perf_counter(), time.process_time(), 0
            for row in range(0, args.rows * BLOCK, BLOCK):
                for col in range(0, width, BLOCK):
                    raster.write(data[:, :, : width - col], row, col)
                    blocks += 1
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            raster.abort()
            os.sync()
            written = (sectors_written(Path(tmp).parent) - before) * 512
        size = args.rows * BLOCK * width * BANDS * 2
        print(json.dumps({"width": width, "ms_per_block": round(1000 * seconds / blocks, 1),
                          "cpu_ms_per_block": round(1000 * cpu / blocks, 1),
                          "disk_mb": round(written / 2**20), "raster_mb": round(size / 2**20)}), flush=True)


if __name__ == "__main__":
    main()
