"""The K largest abundances of each pixel, for the compact abundance raster (``--abundance-top-k``)."""

from __future__ import annotations

import numpy as np
import torch

#: torch's CPU topk selects with a heap (``partial_sort``) when a row holds at least 64 k values
#: and with ``nth_element`` otherwise; for k = 8 of 345 spectra the heap is 1.6x faster even after
#: padding rows to 512 (``bench/top_k.py``). Up to 2.5x padding it pays (k = 12: 0.22 s against
#: 0.25 s per 384² block); at k = 16 (3x) the copy costs more than it saves.
_HEAP_ROW = 64
_MAX_PAD = 2.5
#: pixels per padded chunk: the padded copy stays in cache
_CHUNK_PIXELS = 2048


def top_k_block(abundance: np.ndarray, k: int) -> np.ndarray:
    """abundance (H, W, N) -> (2k, H, W) float32: the k largest fractions in decreasing order,
    then their 0-based library indices (as floats, exact up to 2^24).
    """
    h, w, n = abundance.shape
    a = torch.from_numpy(abundance)
    width = _HEAP_ROW * k
    if not n < width <= _MAX_PAD * n:
        frac, idx = a.topk(k, dim=2)
        return torch.cat([frac, idx.float()], dim=2).permute(2, 0, 1).contiguous().numpy()
    frac = torch.empty(h, w, k, dtype=a.dtype)
    idx = torch.empty(h, w, k, dtype=torch.long)
    rows = max(1, _CHUNK_PIXELS // w)
    # -inf padding is never selected: every row has n > k real values
    buf = torch.full((rows, w, width), float("-inf"), dtype=a.dtype)
    for y0 in range(0, h, rows):
        y1 = min(h, y0 + rows)
        part = buf[: y1 - y0]
        part[..., :n].copy_(a[y0:y1])
        torch.topk(part, k, dim=2, out=(frac[y0:y1], idx[y0:y1]))
    return torch.cat([frac, idx.float()], dim=2).permute(2, 0, 1).contiguous().numpy()
