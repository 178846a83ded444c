"""Benchmark ``inss-geo synthesize``: Mpx/s, fraction of the roofline, time per stage, peak RSS.

Usage: python bench/synthesize.py [SIZE ...] [--workdir DIR] [--model PATH] [--mixing] [--tile N] [--default-options]
                                  [--precision fp32|bf16|fp16] [--device cpu|cuda[:N]] [--batch-size N]

Each input is the bundled NAIP example mirrored out to SIZE x SIZE (written window by window);
the run writes the HSI (int16) and the top-8 abundance raster, or with ``--default-options``
the HSI alone with synthesize's defaults (float32). Peak RSS is that of the
``inss-geo`` process alone (its ``VmHWM``; see ``measure.py``).

Roofline: the model's FLOPs per output pixel are counted by torch's FlopCounterMode on one
tile (U-Net + T) and one block (mixing) of the architecture, i.e. one pass per pixel without
the margin each tile's U-Net also reads (``unet_passes_per_pixel`` says how much that adds); the machine's rate is a 4096² ``torch.mm`` timed here with the same threads, in
the run's ``--precision`` (bf16 runs are measured against the bf16 rate, not flattered by the
fp32 one). Fraction = achieved pixels/s x FLOPs per pixel / matmul rate (the higher of the
rates measured before and after the run). On a GPU the rate is the GPU's, and the device memory
the command's allocator peaked at (``torch.cuda.max_memory_reserved``) is reported beside RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import rasterio
from example import EXAMPLE  # bench/ is on sys.path when this runs as a script
from measure import run_measured
from rasterio.windows import Window


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


def flops_per_pixel(model_path: str | None) -> dict[str, float]:
    """FLOPs per pixel of F (U-Net), T and N (mixing, with its linear part), one pass each."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from inss_geo.checkpoint import load_checkpoint
    from inss_geo.synthesis.pipeline import default_model_path

    model, _ = load_checkpoint(model_path or default_model_path())
    px = 256 * 256
    counts = {}
    with torch.no_grad():
        with FlopCounterMode(display=False) as fc:
            logits, feature = model.unet(torch.rand(1, 3, 256, 256))
        counts["unet"] = fc.get_total_flops() / px
        phi = None
        if model.transform is not None:
            with FlopCounterMode(display=False) as fc:
                phi = model.transform(feature)
            counts["transform"] = fc.get_total_flops() / px
        with FlopCounterMode(display=False) as fc:
            model.mixing(torch.softmax(logits, 1), phi, model.t, model.library)
        counts["mixing"] = fc.get_total_flops() / px
    counts["total"] = sum(counts.values())
    return counts


def matmul_gflops(precision: str, device: str, size: int = 4096, repeats: int = 5) -> float:
    """GFLOP/s of a large square matrix product in ``precision`` on ``device``, best of ``repeats``."""
    import torch

    from inss_geo.synthesis.pipeline import PRODUCT_DTYPES

    a, b = (torch.rand(size, size, dtype=PRODUCT_DTYPES[precision], device=device) for _ in range(2))
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    a @ b
    sync()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        sync()
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9


def unet_passes(size: int, tile: int | None, model_path: str | None) -> tuple[int, float]:
    """Tiles for a SIZE x SIZE input (synthesize's default tile where not given) and the U-Net
    passes per pixel they make, each tile's window being its block and the model's margin."""
    from inss_geo.checkpoint import load_checkpoint
    from inss_geo.model.receptive_field import tile_margin
    from inss_geo.synthesis.pipeline import SynthesisOptions, default_model_path
    from inss_geo.synthesis.tiling import make_grid

    model, _ = load_checkpoint(model_path or default_model_path())
    grid = make_grid(size, tile or SynthesisOptions().tile, tile_margin(model.config), model.config.multiple)
    return grid.count**2, grid.count**2 * grid.window**2 / size**2


def run(size: int, workdir: Path, model: str | None, mixing: bool, extra: list[str], defaults: bool) -> dict:
    inp = workdir / f"in_{size}.tif"
    make_input(inp, size)
    out = workdir / f"hsi_{size}.envi"
    outputs = [] if defaults else ["--dtype", "int16", "--abundance", str(workdir / f"ab_{size}.tif"),
                                   "--abundance-top-k", "8"]
    cmd = [sys.executable, "-m", "inss_geo", "synthesize", str(inp), "-o", str(out), *outputs, "--input-scale", "255",
           "--overwrite", "--progress", "json", *extra]
    if model:
        cmd += ["--model", model]
    if mixing:
        cmd += ["--mixing", str(workdir / f"mix_{size}.envi")]
    status, seconds, peak_mb, stderr = run_measured(cmd)
    stages = next((json.loads(line)["stages_s"] for line in stderr.splitlines() if '"stages_s"' in line), {})
    gpu = next((json.loads(line)["device_memory_mb"] for line in stderr.splitlines() if '"device_memory_mb"' in line), None)
    if status != 0:
        raise SystemExit(f"synthesize failed for {size}: status {status}")
    for f in workdir.glob(f"*_{size}*"):
        f.unlink()
    return {"size": size, "seconds": round(seconds, 1), "mpx_per_s": round(size * size / seconds / 1e6, 4),
            "peak_rss_mb": round(peak_mb, 1), **({"device_memory_mb": gpu} if gpu else {}), "stages_s": stages}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sizes", nargs="*", type=int, default=[2048, 8192])
    ap.add_argument("--workdir", type=Path, default=Path("bench_out"))
    ap.add_argument("--model", default=None)
    ap.add_argument("--mixing", action="store_true")
    ap.add_argument("--default-options", action="store_true", help="the HSI alone, in synthesize's default dtype")
    ap.add_argument("--tile", type=int, default=None)
    ap.add_argument("--precision", choices=["fp32", "bf16", "fp16"], default="fp32")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--batch-size", type=int, default=None)
    args = ap.parse_args()
    args.workdir.mkdir(exist_ok=True)
    extra = [*(["--tile", str(args.tile)] if args.tile else []),
             *(["--precision", args.precision] if args.precision != "fp32" else []), "--device", args.device,
             *(["--batch-size", str(args.batch_size)] if args.batch_size else [])]
    flops = flops_per_pixel(args.model)
    rate = f"matmul_{args.precision}_gflops"
    peak = matmul_gflops(args.precision, args.device)
    results = []
    for s in args.sizes:
        r = run(s, args.workdir, args.model, args.mixing, extra, args.default_options)
        # the machine's rate drifts on a shared host: measured again after each run, and the
        # higher of the two is the roofline (a slow moment must not flatter the fraction)
        after = matmul_gflops(args.precision, args.device)
        r[f"{rate}_after"] = round(after, 1)
        r["roofline_fraction"] = round(r["mpx_per_s"] * 1e6 * flops["total"] / (max(peak, after) * 1e9), 4)
        r["tiles"], passes = unet_passes(s, args.tile, args.model)
        r["unet_passes_per_pixel"] = round(passes, 3)
        results.append(r)
        print(json.dumps(r), file=sys.stderr, flush=True)
    # linear cost: time ratio / pixel ratio between consecutive sizes (1.0 = exactly linear), and the
    # same per U-Net pass (tile), which the edges do not favour
    scaling = [{"sizes": [a["size"], b["size"]],
                "time_ratio_per_pixel_ratio": round(b["seconds"] / a["seconds"] / (b["size"] / a["size"]) ** 2, 3),
                "time_ratio_per_tile_ratio": round(b["seconds"] / a["seconds"] / (b["tiles"] / a["tiles"]), 3)}
               for a, b in zip(results, results[1:])]
    print(json.dumps({"cpu_count": os.cpu_count(), "device": args.device, "python": sys.version.split()[0], "options": extra, "default_options": args.default_options,
                      "flops_per_pixel": {k: round(v) for k, v in flops.items()},
                      rate: round(peak, 1), "results": results, "scaling": scaling}, indent=2))


if __name__ == "__main__":
    main()
