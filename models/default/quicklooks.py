"""The model card's quicklooks of the bundled example: the input RGB and the per-pixel order-2
contribution ||e^2|| / ||l|| that ``inss-geo synthesize --mixing`` writes.

Run from the repository root: ``python models/default/quicklooks.py`` (writes
``models/default/example_rgb.png`` and ``models/default/example_order2.png``).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import rasterio

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parents[1] / "inss_geo" / "data" / "example_naip_rgb.tif"


def stretched(x: np.ndarray) -> np.ndarray:
    """2-98% linear stretch to uint8, per band (bands first)."""
    lo, hi = np.percentile(x, 2, axis=(-2, -1), keepdims=True), np.percentile(x, 98, axis=(-2, -1), keepdims=True)
    return (np.clip((x - lo) / np.maximum(hi - lo, 1e-12), 0, 1) * 255).astype(np.uint8)


def write_png(path: Path, bands: np.ndarray) -> None:
    with rasterio.open(path, "w", driver="PNG", width=bands.shape[2], height=bands.shape[1], count=len(bands),
                       dtype="uint8") as dst:
        dst.write(bands)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out, mix = Path(tmp) / "hsi.envi", Path(tmp) / "mix.envi"
        subprocess.run([sys.executable, "-m", "inss_geo", "synthesize", str(EXAMPLE), "-o", str(out), "--mixing",
                        str(mix), "-q"], check=True)
        with rasterio.open(mix) as orders:  # band 1: order 2
            order2 = orders.read(1)
    with rasterio.open(EXAMPLE) as src:
        write_png(HERE / "example_rgb.png", stretched(src.read([1, 2, 3]).astype(np.float64)))
    write_png(HERE / "example_order2.png", stretched(order2[None]))
    print(f"order 2: mean {order2.mean():.4f}, std {order2.std():.4f}, CV {order2.std() / order2.mean():.3f}, "
          f"2-98% {np.percentile(order2, 2):.4f}-{np.percentile(order2, 98):.4f}")


if __name__ == "__main__":
    main()
