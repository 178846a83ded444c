"""How far mixed precision moves the synthesized HSI from fp32, on the bundled example.

Usage: python bench/precision.py [--device cpu|cuda] [--reference-device cpu|cuda] [--precisions bf16 fp16 ...]
                                  [--workdir DIR]

Runs ``inss-geo synthesize`` once per precision (same tiles, float32 output) and reports, over
valid pixels: mean |diff| / mean |fp32| and the largest |diff| in the output's radiance units.
The fp32 reference runs on ``--reference-device`` (default: ``--device``), so ``--device cuda
--reference-device cpu --precisions fp32 bf16`` also says how far the GPU's fp32 is from the CPU's.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import rasterio
from example import (
    synthesize_example,  # bench/ is on sys.path when this runs as a script
)


def synthesize(out: Path, device: str, precision: str) -> tuple[np.ndarray, np.ndarray, float]:
    seconds = synthesize_example("-o", str(out), "--device", device, "--precision", precision)
    with rasterio.open(out) as r:
        return r.read(), r.dataset_mask() > 0, seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--reference-device", default=None)
    ap.add_argument("--precisions", nargs="+", default=["bf16"])
    ap.add_argument("--workdir", type=Path, default=Path("bench_out"))
    args = ap.parse_args()
    args.workdir.mkdir(exist_ok=True)
    reference = args.reference_device or args.device
    ref, valid, ref_s = synthesize(args.workdir / "reference.tif", reference, "fp32")
    report = {"device": args.device, "reference_device": reference, "fp32_seconds": round(ref_s, 1), "results": []}
    for p in args.precisions:
        cube, _, s = synthesize(args.workdir / f"{p}.tif", args.device, p)
        diff = np.abs(cube - ref)[:, valid]
        report["results"].append({"precision": p, "seconds": round(s, 1),
                                  "mean_rel_diff": float(diff.mean() / np.abs(ref[:, valid]).mean()),
                                  "max_abs_diff": float(diff.max()), "fp32_mean": float(np.abs(ref[:, valid]).mean())})
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
