"""Every output of synthesis on one device against another's, on the bundled example.

Usage: python bench/devices.py [--device cuda] [--reference-device cpu] [--workdir DIR]

For a GPU, whose code path the tests run only on the CPU. Two cases, each run on both devices
in fp32 with float32 rasters:

- whole: the example with every output (HSI, all abundances, the mixing contributions and the
  parameter grid), four tiles per batch;
- aoi: a window whose offset and size are no multiple of the cells or tiles (the path a
  raster's edge takes), with the top-8 abundances.

Reports, per raster: the largest |difference| and mean |difference| / mean |reference| over the
pixels both call valid, whether the nodata masks agree, and for top-k rasters the share of
index bands that agree (near-equal fractions may swap places).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import rasterio
from example import (  # bench/ is on sys.path when this runs as a script
    EXAMPLE,
    synthesize_example,
)
from rasterio.windows import Window, bounds

TOP_K = 8


def cases() -> dict[str, list[str]]:
    """Each case's outputs (names relative to a run's folder) and options."""
    with rasterio.open(EXAMPLE) as src:
        box = bounds(Window(37, 59, 301, 213), src.transform)
        crs = src.crs.to_string()
    return {
        "whole": ["-o", "hsi.envi", "--abundance", "ab.tif", "--mixing", "mix.envi", "--batch-size", "4"],
        "aoi": ["-o", "hsi.envi", "--abundance", "ab.tif", "--abundance-top-k", str(TOP_K), "--mixing", "mix.envi",
                "--bbox", ",".join(map(str, box)), "--bbox-crs", crs],
    }


def read(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A raster's values (bands, pixels) and validity (pixels,); the parameter grid (.npy) as
    (parameters, cells), valid where written."""
    if path.suffix == ".npy":
        grid = np.load(path, mmap_mode="r")
        grid = grid.reshape(-1, grid.shape[-1]).T
        return grid, np.isfinite(grid[0])
    with rasterio.open(path) as src:
        return src.read().reshape(src.count, -1), src.dataset_mask().reshape(-1) > 0


def compare(ref: Path, other: Path, top_k: int | None) -> dict:
    (x, valid_x), (y, valid_y) = read(ref), read(other)
    both = valid_x & valid_y
    values = slice(0, top_k) if top_k else slice(None)
    diff = np.abs(x[values][:, both].astype(np.float64) - y[values][:, both])
    report = {"masks_agree": bool((valid_x == valid_y).all()), "max_abs_diff": float(diff.max()),
              "mean_rel_diff": float(diff.mean() / np.abs(x[values][:, both]).astype(np.float64).mean())}
    if top_k:
        report["index_agreement"] = float((x[top_k:, both] == y[top_k:, both]).mean())
    return report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--reference-device", default="cpu")
    ap.add_argument("--workdir", type=Path, default=Path("bench_out"))
    args = ap.parse_args()
    results = {}
    for name, options in cases().items():
        folders = {d: args.workdir / f"devices_{name}_{d.replace(':', '_')}" for d in (args.reference_device, args.device)}
        for device, folder in folders.items():
            folder.mkdir(parents=True, exist_ok=True)
            synthesize_example(*[str(folder / o) if o.endswith((".envi", ".tif")) else o for o in options], "--device", device)
        ref, other = folders[args.reference_device], folders[args.device]
        top_k = TOP_K if "--abundance-top-k" in options else None
        results[name] = {f: compare(ref / f, other / f, top_k if f == "ab.tif" else None)
                         for f in ("hsi.envi", "ab.tif", "mix.envi", "mix_params.npy")}
    print(json.dumps({"device": args.device, "reference_device": args.reference_device, "results": results}, indent=2))


if __name__ == "__main__":
    main()
