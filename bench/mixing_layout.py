"""Time the mixing's products with the library R in both orientations, on chunk-sized inputs.

Usage: python bench/mixing_layout.py [--cells 16] [--repeats 200] [--threads N]

A synthesis chunk is ``cells`` cells of D x D pixels; each order multiplies its (pixels, N) hidden
output by R (K, N). Band-major is ``R @ x.T`` (K, pixels); pixel-major is ``x @ R.T`` (pixels, K),
by the transposed view of R or by a contiguous copy of R^T. Prints the minimum and median
milliseconds of each, interleaved, with the default model's R. Synthesis on the CPU runs the
mixing on single-threaded workers: ``--threads 1`` is its case.
"""

from __future__ import annotations

import argparse
import json

import torch

from inss_geo.checkpoint import load_checkpoint
from inss_geo.synthesis import default_model_path
from measure import interleaved_ms  # bench/ is on sys.path when this runs as a script


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=200)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    model, _ = load_checkpoint(default_model_path())
    library = model.library
    d = model.config.downscale
    x = torch.rand(args.cells * d * d, library.shape[1], generator=torch.Generator().manual_seed(0))
    library_t = library.T.contiguous()
    ways = {"band_major": lambda: library @ x.T, "pixel_major": lambda: x @ library.T,
            "pixel_major_contiguous": lambda: x @ library_t}
    flops = 2 * x.shape[0] * library.shape[0] * library.shape[1]
    times = interleaved_ms(ways, args.repeats)
    for t in times.values():
        t["gflops_at_median"] = round(flops / t["median_ms"] / 1e6, 1)
    print(json.dumps({"pixels": x.shape[0], "K": library.shape[0], "N": library.shape[1], "threads": torch.get_num_threads(),
                      **times}))

if __name__ == "__main__":
    main()
