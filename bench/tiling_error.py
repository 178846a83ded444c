"""How far tiled synthesis is from one whole-image forward pass, per tile size.

Usage: python bench/tiling_error.py RGB.tif [--size 704x896] [--rgb-bands 1,2,3] [--tiles 256 512 ...]

A top-left window of RGB is synthesized once whole, in memory, and once per ``--tile`` by
``inss-geo synthesize``; both scale the input by 1/255. Reported per tile size: mean |diff| /
mean |whole| and max |diff| (output units), seconds and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import rasterio
import torch
from measure import run_measured  # bench/ is on sys.path when this runs as a script
from rasterio.windows import Window

from inss_geo.checkpoint import load_checkpoint
from inss_geo.synthesis.inference import synthesize_rgb
from inss_geo.synthesis.pipeline import default_model_path


def crop(src_path: str, bands: list[int], height: int, width: int, dst: Path) -> np.ndarray:
    with rasterio.open(src_path) as src:
        data = src.read(bands, window=Window(0, 0, width, height))
        profile = src.profile | {"count": 3, "height": height, "width": width, "photometric": "RGB",
                                 "transform": src.window_transform(Window(0, 0, width, height))}
    with rasterio.open(dst, "w", **profile) as out:
        out.write(data)
    return data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rgb")
    ap.add_argument("--size", default="704x896", help="HEIGHTxWIDTH")
    ap.add_argument("--rgb-bands", default="1,2,3")
    ap.add_argument("--tiles", nargs="+", default=["128", "256", "512"])
    args = ap.parse_args()
    height, width = (int(v) for v in args.size.split("x"))
    bands = [int(b) for b in args.rgb_bands.split(",")]
    report = {"input": args.rgb, "size": [height, width], "results": []}
    with tempfile.TemporaryDirectory() as tmp:
        rgb = Path(tmp) / "crop.tif"
        data = crop(args.rgb, bands, height, width, rgb)
        model, contract = load_checkpoint(default_model_path())
        with torch.no_grad():
            whole = synthesize_rgb(model, torch.from_numpy(data.astype(np.float32) / 255)[None]).hsi[0].numpy()
        whole *= contract["data"]["scale"]
        for tile in args.tiles:
            out = Path(tmp) / f"tiled_{tile}.tif"
            cmd = [sys.executable, "-m", "inss_geo", "synthesize", str(rgb), "-o", str(out), "--tile", tile,
                   "--input-scale", "255", "-q"]
            status, seconds, peak_mb, _ = run_measured(cmd)
            if status:
                raise SystemExit(f"synthesize failed for --tile {tile}")
            with rasterio.open(out) as r:
                diff = np.abs(r.read() - whole)
            report["results"].append({"tile": int(tile), "seconds": round(seconds, 1),
                                      "peak_rss_mb": round(peak_mb),
                                      "mean_rel_diff": float(f"{diff.mean() / np.abs(whole).mean():.2e}"),
                                      "max_abs_diff": round(float(diff.max()), 3)})
            print(json.dumps(report["results"][-1]), file=sys.stderr, flush=True)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
