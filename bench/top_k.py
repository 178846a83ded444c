"""Time ``--abundance-top-k``'s selection (``inss_geo.top_k``) against a plain ``torch.topk``.

Usage: python bench/top_k.py [--model PATH] [--k 1 4 6 8 12 16]

Input: the abundances the model predicts for the bundled 384 x 384 NAIP example (a block of the
size synthesis mixes at its default tile and overlap), not random data: how peaked the fractions
are decides how much the group cut saves. Prints, per k, the best of 7 runs of each, in seconds,
and whether the fractions are identical.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from example import predict_example  # bench/ is on sys.path when this runs as a script
from inss_geo.checkpoint import load_checkpoint
from inss_geo.synthesis import default_model_path
from inss_geo.top_k import top_k_block


def plain(abundance: np.ndarray, k: int) -> np.ndarray:
    frac, idx = torch.from_numpy(abundance).topk(k, dim=2)
    return torch.cat([frac, idx.float()], dim=2).permute(2, 0, 1).contiguous().numpy()


def best_of(fn, *args, runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--k", type=int, nargs="+", default=[1, 4, 6, 8, 12, 16])
    args = ap.parse_args()
    model, _ = load_checkpoint(args.model or default_model_path())
    abundance = predict_example(model)[0].numpy()
    for k in args.k:
        out = np.empty((2 * k, *abundance.shape[:2]), np.float32)
        top_k_block(abundance, k, out)
        same = np.array_equal(plain(abundance, k)[:k], out[:k])
        print(json.dumps({"k": k, "pixels": abundance.shape[0] * abundance.shape[1], "spectra": abundance.shape[2],
                          "threads": torch.get_num_threads(), "torch_topk_s": round(best_of(plain, abundance, k), 4),
                          "top_k_block_s": round(best_of(top_k_block, abundance, k, out), 4), "same_fractions": same}))


if __name__ == "__main__":
    main()
