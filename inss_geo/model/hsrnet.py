"""HSRNet: spectral-response-function-guided group reconstruction with optimisation steps.

J. He, J. Li, Q. Yuan, H. Shen, L. Zhang, "Spectral response function-guided deep
optimization-driven network for spectral super-resolution", IEEE TNNLS 2021 (the paper's
[57]). The camera's spectral response functions (SRFs) Phi (3 x K) say which hyperspectral
channels each RGB channel sees. HSRNet (1) reconstructs the channels in groups, each group by
its own sub-network guided by the RGB channel whose SRF is nearest, and (2) refines the result
by unrolled optimisation of ||Phi S - rgb||^2: a gradient step with a learned step size, then a
learned prior (a small CNN), repeated.

Here the RGB channels are three of the sensor's own channels, so Phi is each of them's Gaussian
SRF (from the sensor's centres and FWHM, :func:`spectra.library.rgb_response`) sampled at every
channel. The visible channels are grouped by the nearest RGB centre; the near infrared
(700-1300 nm) and the two short-wave infrared windows (1300-1900, 1900-2510 nm), which no RGB
SRF reaches, are a group each. Sized for about 100k training pixels: a 3-layer, 48-channel
shared feature extractor, a 2-layer head per group and two unrolled steps (0.65 M weights,
most of them in the two priors).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..spectra.library import rgb_response
from ..spectra.sensors import Sensor
from .direct import DirectNetwork, conv, quiet
from .inss import Synthesis

#: Group edges beyond the visible (nm): NIR, SWIR-1, SWIR-2.
INFRARED_EDGES = (700.0, 1300.0, 1900.0)


def srf_groups(sensor: Sensor) -> list[np.ndarray]:
    """Channel indices of each group: one per RGB channel (visible channels nearest to it),
    then one per infrared window; empty groups are dropped."""
    wl = np.asarray(sensor.wavelengths_nm)
    centres = wl[list(sensor.rgb)]
    visible = wl < INFRARED_EDGES[0]
    nearest = np.abs(wl[:, None] - centres[None]).argmin(axis=1)
    groups = [np.flatnonzero(visible & (nearest == i)) for i in range(3)]
    edges = (*INFRARED_EDGES, np.inf)
    groups += [np.flatnonzero((wl >= lo) & (wl < hi)) for lo, hi in zip(edges[:-1], edges[1:])]
    return [g for g in groups if g.size]


class HSRNet(DirectNetwork):
    """Shared features -> per-group heads (each given its guiding RGB channel) -> unrolled
    SRF-consistency steps with learned priors."""

    def __init__(self, sensor: Sensor, width: int = 48, steps: int = 2) -> None:
        super().__init__()
        k = sensor.n_channels
        self.register_buffer("srf", torch.from_numpy(rgb_response(sensor)).float())  # Phi (3, K)
        groups = srf_groups(sensor)
        centres = np.asarray(sensor.wavelengths_nm)[list(sensor.rgb)]
        # the guiding RGB channel of each group: nearest centre to the group's mean wavelength
        self.guides = [int(np.abs(centres - np.asarray(sensor.wavelengths_nm)[g].mean()).argmin()) for g in groups]
        for i, g in enumerate(groups):
            self.register_buffer(f"group_{i}", torch.from_numpy(g).long())
        self.features = nn.Sequential(conv(3, width), nn.ReLU(inplace=True), conv(width, width), nn.ReLU(inplace=True),
                                      conv(width, width), nn.ReLU(inplace=True))
        self.heads = nn.ModuleList(nn.Sequential(conv(width + 1, width), nn.ReLU(inplace=True), conv(width, len(g)))
                                   for g in groups)
        self.step_sizes = nn.Parameter(torch.full((steps,), 0.5))
        self.priors = nn.ModuleList(nn.Sequential(conv(k, width), nn.ReLU(inplace=True), conv(width, k))
                                    for _ in range(steps))
        self.n_channels = k

    @torch.no_grad()
    def start_at(self, mean: torch.Tensor) -> None:
        """Each group head's last bias at the mean spectrum of its channels, and the heads' and
        priors' last weights shrunk (see the base class)."""
        for i, head in enumerate(self.heads):
            head[-1].bias.copy_(mean[getattr(self, f"group_{i}")])
            quiet(head[-1])
        for prior in self.priors:
            prior[-1].bias.zero_()
            quiet(prior[-1])

    def forward(self, rgb: torch.Tensor) -> Synthesis:
        """rgb: (B, 3, H, W) normalised data units (the data term needs them unstandardised)."""
        x = self.standardise(rgb)
        f = self.features(x)
        s = rgb.new_zeros(rgb.shape[0], self.n_channels, *rgb.shape[2:])
        for i, head in enumerate(self.heads):
            s = s.index_copy(1, getattr(self, f"group_{i}"), head(torch.cat([f, x[:, self.guides[i] : self.guides[i] + 1]], 1)))
        for eta, prior in zip(self.step_sizes, self.priors):
            error = torch.einsum("ck,bkhw->bchw", self.srf, s) - rgb  # Phi S - rgb
            s = s - eta * torch.einsum("ck,bchw->bkhw", self.srf, error)  # gradient step on the data term
            s = s + prior(s)
        return Synthesis(s, s, None, None, [])
