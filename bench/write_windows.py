"""Cost of writing one 128x128 window of a 224-band int16 ENVI raster, by raster width.

Usage: python bench/write_windows.py [WIDTH ...] [--interleave bil] [--workdir DIR]

Compares rasterio/GDAL window writes (GDAL_CACHEMAX=64, as in synthesis) with
``OutputRaster.write``, over four rows of windows. A cost that grows with the width makes the
whole synthesis grow faster than the pixel count.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import rasterio
from rasterio.errors import NotGeoreferencedWarning
from rasterio.windows import Window

from inss_geo.raster_io import OutputRaster

BANDS, WINDOW, ROWS = 224, 128, 4


def per_window_ms(write, width: int) -> float:
    data = np.ones((BANDS, WINDOW, WINDOW), np.int16)
    start, n = time.perf_counter(), 0
    for row in range(0, ROWS * WINDOW, WINDOW):
        for col in range(0, width, WINDOW):
            write(data, row, col)
            n += 1
    return 1000 * (time.perf_counter() - start) / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("widths", nargs="*", type=int, default=[2048, 8192])
    ap.add_argument("--interleave", default="bil", choices=["bsq", "bil", "bip"])
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()))
    args = ap.parse_args()
    warnings.simplefilter("ignore", NotGeoreferencedWarning)
    results = []
    for width in args.widths:
        profile = {"width": width, "height": ROWS * WINDOW, "count": BANDS, "dtype": "int16"}
        with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
            with rasterio.Env(GDAL_CACHEMAX=64), rasterio.open(Path(tmp) / "gdal.envi", "w", driver="ENVI",
                                                               interleave=args.interleave, **profile) as ds:
                gdal = per_window_ms(lambda d, r, c: ds.write(d, window=Window(c, r, WINDOW, WINDOW)), width)
            raster = OutputRaster(Path(tmp) / "direct.envi", "ENVI", profile | {"crs": None, "transform": None},
                                  [f"b{b}" for b in range(BANDS)], interleave=args.interleave)
            direct = per_window_ms(raster.write, width)
            raster.abort()
        results.append({"width": width, "gdal_ms": round(gdal, 1), "inss_geo_ms": round(direct, 1)})
        print(json.dumps(results[-1]), flush=True)


if __name__ == "__main__":
    main()
