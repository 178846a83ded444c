"""Time the top-k abundance block (``inss_geo.top_k``) against a plain ``torch.topk``.

Usage: python bench/top_k.py [--size 384] [--spectra 345] [--k 4 5 6 8 10 12 16]

Input: one block of softmax abundances (random logits), float32, the layout synthesis stitches.
Prints, per k, the best of 5 runs of each way in seconds and whether they agree.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from inss_geo.top_k import top_k_block


def plain(abundance: np.ndarray, k: int) -> np.ndarray:
    frac, idx = torch.from_numpy(abundance).topk(k, dim=2)
    return torch.cat([frac, idx.float()], dim=2).permute(2, 0, 1).contiguous().numpy()


def best_of(fn, *args, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=384)
    ap.add_argument("--spectra", type=int, default=345)
    ap.add_argument("--k", type=int, nargs="+", default=[4, 5, 6, 8, 10, 12, 16])
    args = ap.parse_args()
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(args.size, args.size, args.spectra, generator=g) * 3
    abundance = torch.softmax(logits, dim=2).numpy()
    for k in args.k:
        same = np.array_equal(plain(abundance, k)[:k], top_k_block(abundance, k)[:k])
        print(json.dumps({"k": k, "threads": torch.get_num_threads(), "plain_s": round(best_of(plain, abundance, k), 3),
                          "top_k_block_s": round(best_of(top_k_block, abundance, k), 3), "same_fractions": same}))


if __name__ == "__main__":
    main()
