"""Time T's last layer (the mixing parameters phi of a cell row) as training runs it and as
synthesis does.

Usage: python bench/transform_layout.py [--cells 24] [--repeats 200] [--threads 1]

Synthesis computes phi one cell row at a time on single-threaded workers: ``cells`` cells (24 for
a 384-pixel block at D = 16), each a hidden vector of T's width, times T's 1x1 weights (P x width,
P = 45,938 for the default model). ``to_params`` is F.linear on those weights, which MKL reads
through a transposed view; ``frozen_to_params`` multiplies by a contiguous (width, P) copy made
once. Prints the minimum and median milliseconds of each, interleaved, with the default model.
"""

from __future__ import annotations

import argparse
import functools
import json

import torch

from inss_geo.checkpoint import load_checkpoint
from inss_geo.synthesis import default_model_path
from measure import interleaved_ms  # bench/ is on sys.path when this runs as a script


@torch.no_grad()
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=24)
    ap.add_argument("--repeats", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model, _ = load_checkpoint(default_model_path())
    transform = model.transform
    hidden = torch.rand(1, args.cells, transform.out.in_channels, generator=torch.Generator().manual_seed(0))
    ways = {"to_params": transform.to_params, "frozen_to_params": transform.frozen_to_params()}
    print(json.dumps({"cells": args.cells, "width": transform.out.in_channels, "P": transform.out.out_channels,
                      "threads": torch.get_num_threads(),
                      **interleaved_ms({name: functools.partial(fn, hidden) for name, fn in ways.items()}, args.repeats)}))

if __name__ == "__main__":
    main()
