"""Feature transform T and the implicit neural spectral mixing model N (paper Eq. 3-7).

Every pixel p has its own mixing model: the MLP weights come from its cell's parameter
vector phi (one per D x D cell, predicted by T) and its input is its own abundance A_p plus a
sinusoidal encoding of its offset from the cell centre. Nothing here mixes pixels: the output
at p depends only on (A_p, phi of p's cell, p's offset, t, R). That locality is what makes
tiled synthesis seam-free, and a test checks it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator

import torch
import torch.nn.functional as F
from torch import nn

from .rgb_projection import RGBProjection

#: cells of one row :meth:`NeuralMixing.mix_block` mixes at a time on the CPU: their intermediates
#: stay in cache
CELLS_PER_CHUNK = 16


class FeatureTransform(nn.Module):
    """T: decoder feature (B, C_f, h, w) -> MLP parameter grid phi (B, P, h, w).

    A reflection-padded 3x3 convolution (64 channels) and a 1x1 convolution. The 1x1 layer
    starts at N(0, 0.002) weights and zero bias, as in the authors' code: every mixing MLP
    starts near zero, so z = R h2 / N is near 0, the orders' tanh is in its linear range and
    the model starts as the linear mixture model with live gradients. (A full MLP
    initialisation in the bias put z in tanh's flat tails from step 0, and the orders never
    learned.)
    """

    #: standard deviation of the 1x1 layer's initial weights
    INIT_STD = 0.002

    def __init__(self, c_in: int, width: int, n_params: int) -> None:
        super().__init__()
        self.conv = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(c_in, width, 3), nn.LeakyReLU(0.2))
        self.out = nn.Conv2d(width, n_params, 1)
        nn.init.normal_(self.out.weight, std=self.INIT_STD)
        nn.init.zeros_(self.out.bias)

    def forward(self, feature: torch.Tensor) -> torch.Tensor:
        """feature: (B, C_f, h, w) -> phi: (B, P, h, w), a channels-last view."""
        return self.to_params(self.hidden(feature)).permute(0, 3, 1, 2)

    def hidden(self, feature: torch.Tensor) -> torch.Tensor:
        """feature: (B, C_f, h, w) -> the 3x3 layer's output (B, h, w, width), channels last.

        phi is an affine function of it: synthesis keeps this narrow layer per block and builds
        phi from it cell row by cell row (:meth:`frozen_to_params`).
        """
        return self.conv(feature).permute(0, 2, 3, 1)

    def to_params(self, hidden: torch.Tensor) -> torch.Tensor:
        """hidden (..., width) -> phi (..., P): the 1x1 convolution as one matrix product over
        cells, which writes each cell's P parameters contiguously, the layout the mixing reads."""
        return F.linear(hidden, self.out.weight.flatten(1), self.out.bias)

    def frozen_to_params(self) -> Callable[[torch.Tensor], torch.Tensor]:
        """:meth:`to_params` for inference, where T's weights stay as they are: the 1x1 weights
        transposed once to (width, P), contiguous: MKL multiplies a cell row by that matrix about
        10% faster than by the transposed view F.linear passes it."""
        weight, bias = self.out.weight.detach().flatten(1).T.contiguous(), self.out.bias.detach()
        return functools.partial(_affine, weight=weight, bias=bias)


def positional_encoding(downscale: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """Eq. 7 for every offset in a D x D cell: (D*D, 4 log2 D), row-major over (y, x).

    Offsets are relative to the cell centre, e.g. -7.5 .. 7.5 for D = 16.
    """
    offsets = torch.arange(downscale, device=device, dtype=dtype) + 0.5 - downscale / 2
    py, px = torch.meshgrid(offsets, offsets, indexing="ij")  # (D, D) each
    freqs = 2 * math.pi / 2 ** torch.arange(1, int(math.log2(downscale)) + 1, device=device, dtype=dtype)
    parts = []
    for p in (px, py):
        angle = p.reshape(-1, 1) * freqs  # (D*D, log2 D)
        parts += [torch.sin(angle), torch.cos(angle)]
    return torch.cat(parts, dim=1)  # (D*D, 4 log2 D)


class NeuralMixing(nn.Module):
    """N: per-pixel nonlinear mixing on top of the linear mixture (Eq. 4-5).

    For order k >= 2, M^k_p = scale * tanh(R h2 / N), h2 = lrelu(W2 h1 + b2),
    h1 = lrelu(W1 [A_p, E_p] + b1), with (W1, b1, W2, b2) taken from phi at p's cell; R is the
    library matrix (fixed, K x N). e^1 = l = t * (R A_p), e^k = e^{k-1} * M^k_p, s = sum_k e^k.

    Deviation from the paper (Eq. 5 has tanh(R h2)): R h2 sums N all-positive library
    columns, so its scale grows with the library size and, for the 345-spectrum library, put
    the tanh in saturation where its gradient is 0. Dividing by N makes z a mean over the
    library, whatever its size.
    """

    def __init__(self, n_spectra: int, downscale: int, order: int, hidden: int, output_scale: float) -> None:
        super().__init__()
        self.n_spectra = n_spectra
        self.downscale = downscale
        self.order = order
        self.hidden = hidden
        self.output_scale = output_scale
        self.n_in = n_spectra + 4 * int(math.log2(downscale))
        #: parameter shapes of one order's MLP, in the order they are laid out in phi
        self.shapes = [(self.n_in, hidden), (hidden,), (hidden, n_spectra), (n_spectra,)]
        self.params_per_order = sum(math.prod(s) for s in self.shapes)

    @property
    def n_params(self) -> int:
        """Length of phi: parameters of the order-2..k MLPs."""
        return self.params_per_order * (self.order - 1)

    def forward(
        self, abundance: torch.Tensor, phi: torch.Tensor | None, t: torch.Tensor, library: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
        """Mix.

        Args:
            abundance: A (B, N_g, H, W), H and W multiples of D.
            phi: Parameter grid (B, P, H/D, W/D); None for order 1.
            t: Solar-atmospheric signature (K,).
            library: R (K, N_g).

        Returns:
            (s (B, K, H, W), linear part l (B, K, H, W), [e^2, ..., e^k] each (B, K, H, W)).
        """
        b, _, h, w = abundance.shape
        gh, gw = h // self.downscale, w // self.downscale
        params = None if phi is None else phi.permute(0, 2, 3, 1).reshape(-1, phi.shape[1])
        out, linear, orders = self.mix_cells(self.to_cells(abundance.permute(0, 2, 3, 1)), params, t, library)
        return self._unfold(out, b, gh, gw), self._unfold(linear, b, gh, gw), [
            self._unfold(o, b, gh, gw) for o in orders
        ]

    def to_cells(self, x: torch.Tensor) -> torch.Tensor:
        """Channels-last (B, H, W, C) -> (B * H/D * W/D, D*D, C): pixels grouped by cell, row-major
        inside. Each pixel's C values stay one contiguous run, so the copy is cheap."""
        b, h, w, c = x.shape
        d = self.downscale
        return x.reshape(b, h // d, d, w // d, d, c).permute(0, 1, 3, 2, 4, 5).reshape(-1, d * d, c)

    def mix_cells(
        self, a: torch.Tensor, params: torch.Tensor | None, t: torch.Tensor, library: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
        """Mix pixels grouped by cell: a (cells, D*D, N), params (cells, P) -> (cells * D*D, K) each.

        Returns (s, l, [e^2, ..., e^k]). The per-cell MLPs run as batched matmuls over cells; the
        products with R, most of the work, are single large matmuls x R^T, pixel-major: the
        orientation MKL runs faster here (by about a quarter). Any subset of cells can be mixed on its own, which is how
        synthesis mixes a block in cache-sized chunks.
        """
        return self._terms(a, params, *_products_library(library, t, a.dtype))

    def _terms(self, a: torch.Tensor, params: torch.Tensor | None, scaled: torch.Tensor, library_t: torch.Tensor
               ) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
        """:meth:`mix_cells` with ``(t * R)^T`` and R^T / N already in a's dtype (:func:`_products_library`)."""
        linear = self._linear(a, scaled)
        out, e, orders = linear, linear, []
        for k, z in enumerate(self._products(a, params, library_t)):
            e = torch.mul(e, _tanh(z)).mul_(self.output_scale)
            orders.append(e)
            out = out + e if k == 0 else out.add_(e)
        return out, linear, orders

    def _linear(self, a: torch.Tensor, scaled: torch.Tensor) -> torch.Tensor:
        """l = t * (R A_p), (cells * D*D, K), at least float32; ``scaled`` is (t * R)^T (N, K) in a's dtype."""
        return _widened(a.reshape(-1, a.shape[2]) @ scaled)

    def _products(self, a: torch.Tensor, params: torch.Tensor | None, library_t: torch.Tensor) -> Iterator[torch.Tensor]:
        """R h2 / N of each order k = 2..K, (cells * D*D, K) each, at least float32: tanh of it is
        M^k_p / scale. ``library_t`` is R^T / N (N, K), or a multiple of it.

        The matrix products run in a's dtype (params and library_t must share it); what the
        caller does with them in float32 or wider. Yielded one order at a time, so the caller
        may consume (overwrite) each before the next.
        """
        if self.order == 1:
            return
        pe = positional_encoding(self.downscale, a.device, _wide(a.dtype)).to(a.dtype)  # (D*D, 4 log2 D)
        pe1 = torch.cat([pe, pe.new_ones(len(pe), 1)], dim=1)  # [E_p, 1]: b1 rides in the product
        ones = a.new_ones(*a.shape[:2], 1)  # [h1, 1]: so does b2
        for k in range(self.order - 1):
            w1_a, w1_e, w2 = self._unpack(params, k)
            # W1 [A_p, E_p] + b1 = W1_A A_p + (W1_E E_p + b1): the second term is per cell, not per pixel
            # (in place where autograd allows it: fresh tensors cost page faults on every chunk)
            h1 = F.leaky_relu_(torch.baddbmm(torch.matmul(pe1, w1_e), a, w1_a), 0.2)  # (cells, D*D, hidden)
            h2 = F.leaky_relu_(torch.bmm(torch.cat([h1, ones], dim=2), w2), 0.2)  # (cells, D*D, N)
            yield _widened(h2.reshape(-1, self.n_spectra) @ library_t)

    def _sum_into(self, a: torch.Tensor, params: torch.Tensor | None, scaled: torch.Tensor, doubled: torch.Tensor,
                  target: torch.Tensor, finish: Callable[[torch.Tensor], torch.Tensor]) -> None:
        """Write s of the cells in ``a`` into ``target``, a (K, D, cells, D) view of the block;
        ``scaled`` is as for :meth:`_terms`, ``doubled`` is 2 R^T / N; ``finish`` adds what
        follows the mixing (:meth:`mix_block`), in place.

        The terms are not kept, so this takes the fewest passes. tanh(x) = 2 (sigmoid(2x) - 1/2),
        so with z_k = 2 R h2 (the 2 rides in the library) and c = 2 scale, e^k = c^(k-1) v_k where
        v_k = (sigmoid(z_k) - 1/2) v_(k-1) and v_1 = l: each order builds v_k in place in z_k and
        adds it to s in a fused pass. The last order's v_k is needed only in s, as
        c^(k-1) sigmoid(z_k) v_(k-1) - c^(k-1)/2 v_(k-1): one fused multiply-add, its second part
        riding in order k-1's add (from order 3 on; at order 2, v_(k-1) is l, whose storage s
        is). At order 3 that is two passes fewer: 57.9 against 58.4 ms per cell row of the
        bundled example on two workers (200 rows each), with 0.004% of int16 values one unit
        apart. The sum is turned band-major by one copy into the block (:func:`_store`): doing
        arithmetic while writing through that strided view is slower than the arithmetic and the
        copy apart (2.5 ms against 0.7 ms for a 16-cell chunk's last order).
        """
        c = 2 * self.output_scale
        s = v = self._linear(a, scaled)  # s is l's storage: l itself is not needed once v_2 is built
        for k, z in enumerate(self._products(a, params, doubled), start=2):
            sig = torch.sigmoid_(z)
            if k == self.order and k > 2:
                s.addcmul_(sig, v, value=c ** (k - 1))
            else:
                v = sig.sub_(0.5).mul_(v)
                s.add_(v, alpha=c ** (k - 1) - (c**k / 2 if k + 1 == self.order else 0))
        _store(target, finish(s), self.downscale)

    @torch.no_grad()
    def mix_block(
        self, abundance: torch.Tensor, phi: torch.Tensor | None, t: torch.Tensor, library: torch.Tensor,
        cells_per_chunk: int = CELLS_PER_CHUNK, orders: bool = True, dtype: torch.dtype | None = None,
        out: torch.Tensor | None = None, path: torch.Tensor | None = None, rgb: torch.Tensor | None = None,
        projection: RGBProjection | None = None, rgb_channels: tuple[int, int, int] | None = None,
        residual: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Inference on one block, channels-last: A (H, W, N) and phi (H/D, W/D, P) -> s (K, H, W)
        and, if ``orders``, ||e^k|| / ||l|| for k = 2..order then ||s - l|| / ||l|| (the whole
        nonlinear part, before the path radiance and consistency step) (order, H, W), else None,
        at least float32.

        ``out`` (K, H, W), if given, receives s and is returned: a float one as it is, an integer
        one (an encoded raster's block) rounded and clamped to its dtype's range less the
        minimum, which stays free for nodata. ``path`` (K,), the path radiance in the units of
        t, is added to s (not to l, which the order ratios divide by); then ``projection``, the
        consistency step, if given, corrects s with the input ``rgb`` (H, W, 3), in t's units
        too. ``residual`` (3, H, W), if given, receives the input ``rgb`` minus s at
        ``rgb_channels`` before that step: where the model alone does not reproduce its input.
        Each chunk is encoded while it is in cache, so the block is never held in float32
        nor passed over again.

        ``dtype`` (default: A's) is what the matrix products take and give; bf16 or fp16 make them
        mixed precision (they accumulate in float32), while the tanh, the products of orders and
        the sum stay float32.

        Mixed at most ``cells_per_chunk`` cells of one cell row at a time so the intermediates
        stay in cache (the mixing is per pixel, so chunks are independent); each chunk's results
        go straight into their place in the band-major outputs. A row is cut into chunks of
        equal size: a short last chunk makes every matmul of it smaller and slower per pixel.
        """
        h, w, n = abundance.shape
        d = self.downscale
        gh, gw = h // d, w // d
        dtype = dtype or abundance.dtype
        scaled, lib = _products_library(library, t, dtype)  # once per block, not per chunk
        path = None if path is None else path.to(_wide(abundance.dtype))
        doubled = lib * 2 if not orders else None
        params = None if phi is None else phi.reshape(gh * gw, -1).to(dtype)
        wide = {"dtype": _wide(abundance.dtype), "device": abundance.device}
        s = torch.empty(library.shape[0], h, w, **wide) if out is None else out
        cells_s = s.view(-1, gh, d, gw, d)
        rel = torch.empty(self.order, gh, d, gw, d, **wide) if orders else None
        cells = abundance.reshape(gh, d, gw, d, n)
        if (projection is not None or residual is not None) and rgb is None:
            raise ValueError("the consistency step and the RGB residual need the input RGB")
        cells_rgb = None if rgb is None else rgb.reshape(gh, d, gw, d, 3)
        cells_res = None if residual is None else residual.view(3, gh, d, gw, d)
        # the consistency step's P^T (3, K), once per block
        spread = None if projection is None else projection.matrix().detach().T.to(wide["dtype"]).contiguous()
        if rgb is None:
            channels = None
        else:
            channels = projection.rgb_index.tolist() if projection is not None else list(rgb_channels)
        chunks = -(-gw // cells_per_chunk)
        edges = [gw * i // chunks for i in range(chunks + 1)]
        for gy in range(gh):
            for c0, c1 in zip(edges, edges[1:]):
                a = cells[gy, :, c0:c1].transpose(0, 1).to(dtype).reshape(c1 - c0, d * d, n)
                part = None if params is None else params[gy * gw + c0 : gy * gw + c1]
                chunk_rgb = None if cells_rgb is None else cells_rgb[gy, :, c0:c1].transpose(0, 1).reshape(-1, 3)
                finish = functools.partial(_finish, path=path, rgb=chunk_rgb, channels=channels, spread=spread, d=d,
                                           residual=None if cells_res is None else cells_res[:, gy, :, c0:c1])
                if rel is None:
                    self._sum_into(a, part, scaled, doubled, cells_s[:, gy, :, c0:c1], finish)
                    continue
                total, linear, terms = self._terms(a, part, scaled, lib)
                lnorm = torch.linalg.vector_norm(linear, dim=1).clamp_min_(1e-12)
                for k, e in enumerate([*terms, total - linear]):
                    ratio = torch.linalg.vector_norm(e, dim=1).div_(lnorm)
                    rel[k, gy, :, c0:c1] = ratio.view(c1 - c0, d, d).transpose(0, 1)
                _store(cells_s[:, gy, :, c0:c1], finish(total), d)  # last: for order 1, total is linear
        return s, None if rel is None else rel.reshape(-1, h, w)

    def _unpack(self, params: torch.Tensor, k: int) -> list[torch.Tensor]:
        """Order k's MLP from phi, shaped for batched matmul over cells: W1's rows for A
        (cells, N, hidden), [W1's rows for E; b1] (cells, 4 log2 D + 1, hidden) and [W2; b2]
        (cells, hidden + 1, N).

        phi stores each bias right after its weight matrix, so a 1 appended to the layer's input
        brings the bias into the product: no pass over the output to add it. The matrices are
        views of phi (one cell's after another's, P apart), which the batched products take as
        they are: copying them out first was slower (a cell row of the bundled example, two
        workers: 58.5 against 59.2 ms mean over 200 rows each).
        """
        n, hidden = self.n_spectra, self.hidden
        start = k * self.params_per_order
        ends = [start + n * hidden, start + (self.n_in + 1) * hidden, start + self.params_per_order]
        rows = [n, self.n_in - n + 1, hidden + 1]
        return [params[:, a:b].unflatten(1, (r, -1)) for a, b, r in zip([start, *ends], ends, rows)]

    def _unfold(self, x: torch.Tensor, b: int, gh: int, gw: int) -> torch.Tensor:
        """(cells * D*D, K) -> (B, K, H, W)."""
        d = self.downscale
        k = x.shape[1]
        return x.reshape(b, gh, gw, d, d, k).permute(0, 5, 1, 3, 2, 4).reshape(b, k, gh * d, gw * d)


def _finish(s: torch.Tensor, path: torch.Tensor | None, rgb: torch.Tensor | None, channels: list[int] | None,
            spread: torch.Tensor | None, d: int, residual: torch.Tensor | None) -> torch.Tensor:
    """What follows the mixing, in place on s (pixels, K): + L_path; then the colour error
    rgb - s at the RGB ``channels`` goes into ``residual`` (3, D, cells, D), and the consistency
    step spreads it by P^T (``spread``, 3 x K) and floors s at 0, as :class:`RGBProjection` does."""
    if path is not None:
        s.add_(path)
    if rgb is None:
        return s
    error = rgb.to(s.dtype) - s[:, channels]
    if residual is not None:
        _store(residual, error, d)
    if spread is not None:
        s.addmm_(error, spread).clamp_min_(0)
    return s


def _affine(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """x (..., n) @ weight (n, m) + bias (m,) -> (..., m), as one matrix product."""
    return torch.addmm(bias, x.flatten(0, -2), weight).unflatten(0, x.shape[:-1])


def _tanh(x: torch.Tensor) -> torch.Tensor:
    """tanh(x) = 2 sigmoid(2x) - 1; x is overwritten (with sigmoid(2x)). On the CPU torch's tanh
    is MKL's high-accuracy vsTanh, 4x slower than this (1.23 ms against 0.31 ms for a 16-cell
    chunk's (4096, 224)); the two differ by at most 2e-7 (float32 rounding near +-1).
    Autograd-safe: sigmoid's output, which its backward needs, is not overwritten."""
    return torch.sigmoid_(x.mul_(2)).mul(2).sub_(1)


def _wide(dtype: torch.dtype) -> torch.dtype:
    """float32, or dtype when it is wider: where reduced precision ends."""
    return torch.promote_types(dtype, torch.float32)


def _widened(x: torch.Tensor) -> torch.Tensor:
    """x in :func:`_wide` of its dtype (x itself when it already is)."""
    return x.to(_wide(x.dtype))


def _products_library(library: torch.Tensor, t: torch.Tensor, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """(t * R)^T (N, K), for l (t scales R's rows: one pass fewer), and R^T / N, for the orders'
    z (:class:`NeuralMixing`), contiguous (MKL's fastest layout for them), in the dtype the
    products run in."""
    return (library * t[:, None]).T.to(dtype).contiguous(), (library.T / library.shape[1]).to(dtype).contiguous()


def _store(target: torch.Tensor, x: torch.Tensor, d: int) -> None:
    """Copy a chunk's x (cells * D*D, K), pixel-major by cell, into ``target`` (K, D, cells, D), a
    stretch of a band-major block, through a permuted view of x; into an integer target x is
    rounded and clamped first (in place: x is used up), then cast in its own order, so the
    strided copy moves the narrower integers."""
    if not target.is_floating_point():
        info = torch.iinfo(target.dtype)
        x = x.round_().clamp_(info.min + 1, info.max).to(target.dtype)
    target.copy_(x.view(target.shape[2], d, d, -1).permute(3, 1, 0, 2))
