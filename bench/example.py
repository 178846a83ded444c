"""The bundled 384 x 384 NAIP example and a timed ``inss-geo synthesize`` of it, for the
benchmarks that run on real data rather than random numbers."""

from __future__ import annotations

import sys
from pathlib import Path

from measure import run_measured

EXAMPLE = Path(__file__).resolve().parent.parent / "inss_geo" / "data" / "example_naip_rgb.tif"


def synthesize_example(*options: str) -> float:
    """Seconds of ``inss-geo synthesize`` on the example with ``options`` (outputs overwritten, no
    progress); a failed run stops the benchmark with the command's error."""
    cmd = [sys.executable, "-m", "inss_geo", "synthesize", str(EXAMPLE), *options, "--overwrite", "-q"]
    status, seconds, _, stderr = run_measured(cmd)
    if status:
        raise SystemExit(f"synthesize {' '.join(options)} failed: {stderr.strip()}")
    return seconds
