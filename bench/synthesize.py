"""Benchmark ``inss-geo synthesize``: Mpx/s and peak RSS for square scenes of given sizes.

Usage: python bench/synthesize.py [SIZE ...] [--workdir DIR] [--model PATH] [--mixing]

Each input is the bundled NAIP example mirrored out to SIZE x SIZE (written window by window);
the run writes the HSI (int16) and the top-8 abundance raster. Peak RSS is that of the
``inss-geo`` process alone (``os.wait4``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import rasterio
from rasterio.windows import Window

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "inss_geo" / "data" / "example_naip_rgb.tif"


def make_input(path: Path, size: int) -> None:
    """SIZE x SIZE RGB GeoTIFF: the example mirrored in both directions, written by blocks."""
    with rasterio.open(EXAMPLE) as src:
        tile = src.read()
        profile = src.profile | {"width": size, "height": size}
    n = tile.shape[1]
    mirrored = np.concatenate([tile, tile[:, ::-1]], axis=1)
    mirrored = np.concatenate([mirrored, mirrored[:, :, ::-1]], axis=2)  # period 2n in both axes
    with rasterio.open(path, "w", **profile) as dst:
        for y in range(0, size, 2 * n):
            for x in range(0, size, 2 * n):
                h, w = min(2 * n, size - y), min(2 * n, size - x)
                dst.write(mirrored[:, :h, :w], window=Window(x, y, w, h))


def run(size: int, workdir: Path, model: str | None, mixing: bool) -> dict:
    inp = workdir / f"in_{size}.tif"
    make_input(inp, size)
    out = workdir / f"hsi_{size}.envi"
    cmd = [shutil.which("inss-geo") or "inss-geo", "synthesize", str(inp), "-o", str(out), "--dtype", "int16",
           "--abundance", str(workdir / f"ab_{size}.tif"), "--abundance-top-k", "8", "--input-scale", "255",
           "--overwrite", "-q"]
    if model:
        cmd += ["--model", model]
    if mixing:
        cmd += ["--mixing", str(workdir / f"mix_{size}.envi")]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"synthesize failed for {size}: status {status}")
    for f in workdir.glob(f"*_{size}*"):
        f.unlink()
    return {"size": size, "seconds": round(seconds, 1), "mpx_per_s": round(size * size / seconds / 1e6, 4),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sizes", nargs="*", type=int, default=[2048, 8192])
    ap.add_argument("--workdir", type=Path, default=Path("bench_out"))
    ap.add_argument("--model", default=None)
    ap.add_argument("--mixing", action="store_true")
    args = ap.parse_args()
    args.workdir.mkdir(exist_ok=True)
    results = [run(s, args.workdir, args.model, args.mixing) for s in args.sizes]
    print(json.dumps({"cpu_count": os.cpu_count(), "python": sys.version.split()[0], "results": results}, indent=2))


if __name__ == "__main__":
    main()
