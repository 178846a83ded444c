"""The bundled 384 x 384 NAIP example and what a model predicts for it, for the benchmarks that
time one part of synthesis on real data rather than random numbers."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import rasterio
import torch

from inss_geo.inference import synthesize_rgb
from inss_geo.model import INSS
from measure import run_measured

EXAMPLE = Path(__file__).resolve().parent.parent / "inss_geo" / "data" / "example_naip_rgb.tif"


@torch.no_grad()
def predict_example(model: INSS) -> tuple[torch.Tensor, torch.Tensor]:
    """The example's abundances (H, W, N) and mixing parameters (H/D, W/D, P), channels last
    and contiguous, from one whole-image pass of ``model``."""
    with rasterio.open(EXAMPLE) as src:
        rgb = torch.from_numpy(src.read().astype(np.float32) / 255)[None]
    out = synthesize_rgb(model, rgb)
    return out.abundance[0].permute(1, 2, 0).contiguous(), out.phi[0].permute(1, 2, 0).contiguous()


def synthesize_example(*options: str) -> float:
    """Seconds of ``inss-geo synthesize`` on the example with ``options`` (outputs overwritten, no
    progress); a failed run stops the benchmark with the command's error."""
    cmd = [sys.executable, "-m", "inss_geo", "synthesize", str(EXAMPLE), *options, "--overwrite", "-q"]
    status, seconds, _, stderr = run_measured(cmd)
    if status:
        raise SystemExit(f"synthesize {' '.join(options)} failed: {stderr.strip()}")
    return seconds
