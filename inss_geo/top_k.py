"""The k largest abundance fractions of each pixel and their library indices (``--abundance-top-k``).

torch's CPU topk keeps a heap of the k largest when k <= n / 64, which is fast, and otherwise
partitions every whole row (nth_element), about 1.6 us per row of 345 fractions at one thread
(``aten/src/ATen/native/TopKImpl.h``). For that case each row is first cut into ``n // GROUP``
groups whose maxima one vectorised reduction finds. The k largest values can only lie in the k
groups with the largest maxima (or among the few values left over when ``n`` is not a multiple
of ``GROUP``), so torch's topk then runs on the group maxima and on those few candidates. The
result is exact: the same values as ``torch.topk``; indices differ only between equal
fractions, where either is right.
"""

from __future__ import annotations

import numpy as np
import torch

#: values per group; a group's values are strided (j, j + n // GROUP, ...), so the maxima
#: reduce over an outer axis, which vectorises
GROUP = 5
#: pixels selected from at a time: the candidates of a chunk stay in cache
CHUNK_PIXELS = 8192


def largest(x: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The k largest values along x's last axis (n values), in decreasing order, and their indices.

    x may be any strided view (a block cropped at the raster's edge): nothing is copied whole.
    """
    n = x.shape[-1]
    groups = n // GROUP
    if k * 64 <= n or groups < 5 * k:  # torch's heap path, or too few groups for the cut to pay (bench/top_k.py)
        return x.topk(k, dim=-1)
    grid = x[..., : GROUP * groups].unflatten(-1, (GROUP, groups))  # (..., GROUP, groups), a view
    best = grid.amax(-2).topk(k, dim=-1, sorted=False).indices  # (..., k) groups holding the k largest
    picked = grid.gather(-1, best.unsqueeze(-2).expand(*best.shape[:-1], GROUP, k)).flatten(-2)
    values, pos = torch.cat([picked, x[..., GROUP * groups :]], dim=-1).topk(k, dim=-1)
    # candidate p < GROUP k is value p // k of group best[p % k]; the rest are the leftovers
    in_group = (pos // k) * groups + best.gather(-1, pos % k)
    return values, torch.where(pos < GROUP * k, in_group, pos - GROUP * k + GROUP * groups)


def top_k_block(abundance: np.ndarray, k: int) -> np.ndarray:
    """abundance (H, W, N) -> (2k, H, W) float32: the k largest fractions in decreasing order,
    then their 0-based library indices (as floats, exact up to 2^24)."""
    h, w, _ = abundance.shape
    a = torch.from_numpy(abundance)
    out = torch.empty(h, w, 2 * k, dtype=torch.float32)
    rows = max(1, CHUNK_PIXELS // w)
    for y0 in range(0, h, rows):
        values, idx = largest(a[y0 : y0 + rows], k)
        out[y0 : y0 + rows, :, :k] = values
        out[y0 : y0 + rows, :, k:] = idx
    return out.permute(2, 0, 1).contiguous().numpy()
