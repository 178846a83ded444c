"""Time the store of a mixing chunk's sum into an int16 band-major block, two ways.

Usage: python bench/store_layout.py [--cells 12] [--repeats 300]

The sum of a chunk is pixel-major by cell, (cells * D*D, K) float32; the block is (K, D, cells, D)
int16. ``cast_in_copy`` casts while it copies through the permuted view; ``cast_then_copy``
(``mixing._store``) casts in the sum's own order first, so the strided copy moves int16. Both
round and clamp first. One thread, as synthesis's workers run; the minimum and median
milliseconds of each, interleaved.
"""

from __future__ import annotations

import argparse
import json
import torch

from inss_geo.model.mixing import _store
from measure import interleaved_ms  # bench/ is on sys.path when this runs as a script

D, K = 16, 224


def cast_in_copy(target: torch.Tensor, x: torch.Tensor) -> None:
    x = x.round_().clamp_(-32767, 32767)
    target.copy_(x.view(target.shape[2], D, D, -1).permute(3, 1, 0, 2))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=12)
    ap.add_argument("--repeats", type=int, default=300)
    args = ap.parse_args()
    torch.set_num_threads(1)
    x = torch.rand(args.cells * D * D, K, generator=torch.Generator().manual_seed(0)) * 14000
    block = torch.empty(K, D, 2 * args.cells, D, dtype=torch.int16)  # a row of two chunks
    target = block[:, :, : args.cells]
    ways = {"cast_in_copy": lambda: cast_in_copy(target, x.clone()), "cast_then_copy": lambda: _store(target, x.clone(), D)}
    print(json.dumps({"cells": args.cells, **interleaved_ms(ways, args.repeats)}))

if __name__ == "__main__":
    main()
