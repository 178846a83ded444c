"""The k largest abundance fractions of each pixel and their library indices (``--abundance-top-k``).

torch's CPU topk keeps a heap of the k largest when k <= n / 64, which is fast, and otherwise
copies every row into (value, index) pairs and partitions them (nth_element), about 1.6 us per
row of 345 fractions at one thread (``aten/src/ATen/native/TopKImpl.h``). For that case each row
is first cut into ``n // GROUP`` groups whose maxima one vectorised reduction finds. The k
largest values can only lie in the k groups with the largest maxima (or among the few values
left over when ``n`` is not a multiple of ``GROUP``). Both selections, of those groups and then
of the k largest among their values, are k rounds of a vectorised maximum over keys that carry
each value's column (``_keyed``), so no pairs are built and nothing is partitioned: about half
the time of torch's topk alone on the bundled example at k = 8. The result is exact: the same values as ``torch.topk``; indices differ only between
equal fractions, where either is right.
"""

from __future__ import annotations

import math

import numpy as np
import torch

#: values per group; a group's values are strided (j, j + n // GROUP, ...), so the maxima
#: reduce over an outer axis, which vectorises
GROUP = 5
#: pixels selected from at a time: the candidates of a chunk stay in cache
CHUNK_PIXELS = 8192
#: the low mantissa bits of a float32 widened to float64, which are zero (see ``_keyed``)
COLUMN_MASK = 2**29 - 1
#: the smallest normal float64, 2^-1022
SMALLEST_NORMAL = float(torch.finfo(torch.float64).tiny)


def largest(x: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The k largest values along x's last axis (n finite values), in decreasing order, and
    their indices.

    x may be any strided view (a block cropped at the raster's edge): nothing is copied whole.
    """
    n = x.shape[-1]
    groups = n // GROUP
    # torch's topk for keys without free bits (_keyed), for its fast heap path, and where too few
    # groups would be cut for the cut to pay
    if x.dtype != torch.float32 or k * 64 <= n or groups < 5 * k:
        return x.topk(k, dim=-1)
    grid = x[..., : GROUP * groups].unflatten(-1, (GROUP, groups))  # (..., GROUP, groups), a view
    best = _extract(_keyed(grid.amax(-2)), k)  # (..., k) groups holding the k largest
    # the columns of their values (group j's are j, j + groups, ...) and of the leftovers
    steps = torch.arange(0, GROUP * groups, groups, device=x.device).unsqueeze(-1)
    leftovers = torch.arange(GROUP * groups, n, device=x.device).expand(*best.shape[:-1], -1)
    columns = torch.cat([(best.unsqueeze(-2) + steps).flatten(-2), leftovers], dim=-1)
    candidates = x.gather(-1, columns)
    pos = _extract(_keyed(candidates), k)
    return candidates.gather(-1, pos), columns.gather(-1, pos)


def _keyed(x: torch.Tensor) -> torch.Tensor:
    """x (..., m) as float64 keys that order as x's values and carry their column in the low bits.

    A float32 widened to float64 has its low 29 mantissa bits zero, and setting them moves the
    value by less than a float32 step, so distinct values keep their order (equal ones are
    ordered by column): one max of the keys gives a row's largest value and where it is.

    A zero's key would be its column alone, a float64 denormal, which a thread that treats
    denormal inputs as zero (DAZ: ``inss-geo synthesize`` sets it) compares as 0, column lost:
    adding the smallest normal float64 first makes zeros that and leaves every other widened
    float32 as it was (far below half its last place).
    """
    columns = torch.arange(x.shape[-1], dtype=torch.int64, device=x.device)
    widened = x.to(torch.float64).add_(SMALLEST_NORMAL)
    return widened.view(torch.int64).bitwise_or_(columns).view(torch.float64)


def _extract(keys: torch.Tensor, k: int) -> torch.Tensor:
    """Columns of the k largest keys of each row, in decreasing order; ``keys`` is used up.

    k vectorised maxima, each followed by removing the one found: for k much smaller than the
    row this beats torch's partition of each row into (value, index) pairs.
    """
    columns = torch.empty(*keys.shape[:-1], k, dtype=torch.int64, device=keys.device)
    for r in range(k):
        column = columns[..., r : r + 1]
        torch.bitwise_and(keys.amax(-1, keepdim=True).view(torch.int64), COLUMN_MASK, out=column)
        keys.scatter_(-1, column, -math.inf)
    return columns


def top_k_block(abundance: np.ndarray, k: int, out: np.ndarray) -> None:
    """abundance (H, W, N) -> ``out`` (2k, H, W) float32: the k largest fractions in decreasing
    order, then their 0-based library indices (as floats, exact up to 2^24)."""
    h, w, _ = abundance.shape
    a, o = torch.from_numpy(abundance), torch.from_numpy(out)
    rows = max(1, CHUNK_PIXELS // w)
    for y0 in range(0, h, rows):
        values, idx = largest(a[y0 : y0 + rows], k)
        o[:k, y0 : y0 + rows] = values.permute(2, 0, 1)
        o[k:, y0 : y0 + rows] = idx.permute(2, 0, 1)


def top_k_planes(abundance: torch.Tensor, k: int) -> torch.Tensor:
    """abundance (H, W, N) -> (2k, H, W) float32 on abundance's device, laid out as
    :func:`top_k_block`'s ``out``.

    For a block on a GPU: there torch's topk is one kernel (no partition to work around), and
    only 2k of each pixel's N values then cross to the host, not all of them.
    """
    values, idx = abundance.topk(k, dim=-1)
    return torch.cat([values.float(), idx.float()], dim=-1).permute(2, 0, 1)
