"""Where the mixing's time goes: torch's profiler on ``mix_block`` over real cell rows, one thread.

Usage: python bench/mixing_steps.py [--repeats 3] [--flush-denormal]

Input: the default model's abundances and mixing parameters for the bundled 384 x 384 NAIP
example, mixed one cell row at a time into an int16 block, as synthesis's workers do (no
per-order terms). Prints the milliseconds per row and the rate of the mixing's FLOPs without the
profiler, then each operator's share of the profiled CPU time and the share of the matrix
products (mm, bmm, baddbmm): what the rest costs bounds what any speed-up outside them can give.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
from torch.profiler import profile
from torch.utils.flop_counter import FlopCounterMode

from example import predict_example  # bench/ is on sys.path when this runs as a script
from inss_geo.checkpoint import load_checkpoint
from inss_geo.synthesis import INT16_UNITS, default_model_path

PRODUCTS = {"aten::mm", "aten::bmm", "aten::baddbmm"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--flush-denormal", action="store_true", help="as inss-geo synthesize runs (FTZ/DAZ)")
    args = ap.parse_args()
    torch.set_flush_denormal(args.flush_denormal)
    model, _ = load_checkpoint(default_model_path())
    d = model.config.downscale
    abundance, phi = predict_example(model)
    torch.set_num_threads(1)  # as on synthesis's workers
    t = model.signature().detach() * INT16_UNITS
    rows = [(abundance[g * d : (g + 1) * d].contiguous(), phi[g : g + 1].contiguous()) for g in range(phi.shape[0])]
    out = torch.empty(model.library.shape[0], d, abundance.shape[1], dtype=torch.int16)

    def mix_rows() -> None:
        for a, p in rows:
            model.mixing.mix_block(a, p, t, model.library, orders=False, out=out)

    mix_rows()
    seconds = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        mix_rows()
        seconds.append((time.perf_counter() - start) / len(rows))
    with FlopCounterMode(display=False) as fc:
        model.mixing.mix_block(*rows[0], t, model.library, orders=False, out=out)
    with profile() as prof:
        mix_rows()
    ops = {e.key: e.self_cpu_time_total for e in prof.key_averages()}
    total = sum(ops.values())
    shares = {k: round(100 * v / total, 1) for k, v in sorted(ops.items(), key=lambda kv: -kv[1]) if v / total >= 0.005}
    per_row = statistics.median(seconds)
    print(json.dumps({"rows": len(rows), "pixels_per_row": d * abundance.shape[1], "ms_per_row": round(per_row * 1e3, 2),
                      "gflops": round(fc.get_total_flops() / per_row / 1e9, 1),
                      "matrix_products_percent": round(100 * sum(ops.get(k, 0) for k in PRODUCTS) / total, 1),
                      "percent_by_operator": shares}))


if __name__ == "__main__":
    main()
