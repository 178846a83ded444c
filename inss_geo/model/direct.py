"""What the comparison networks share: RGB in, every sensor channel out, no library or mixing.

HSCNN+, HSRNet, FMNet and R2HGAN's generator (paper Table I) map RGB straight to the
hyperspectral image. Each is a :class:`DirectNetwork`: it standardises its input with the
training RGB's statistics (as INSS's U-Net does) and returns a :class:`Synthesis` whose linear
part is the output itself, so training, validation, evaluation and tiled synthesis take them as
they take INSS, and the losses that need a mixture (the nonlinear residual) are zero for them.
"""

from __future__ import annotations

import torch
from torch import nn

from .inss import Synthesis


class DirectNetwork(nn.Module):
    """Base of the RGB -> HSI networks: standardisation and the :class:`Synthesis` wrapper.

    Subclasses set ``multiple`` (input sizes must be multiples of it) and implement
    :meth:`body` on the standardised input.
    """

    multiple: int = 1

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("rgb_mean", torch.zeros(3))
        self.register_buffer("rgb_std", torch.ones(3))

    def body(self, x: torch.Tensor) -> torch.Tensor:
        """Standardised RGB (B, 3, H, W) -> HSI (B, K, H, W) in normalised data units."""
        raise NotImplementedError

    @torch.no_grad()
    def start_at(self, mean: torch.Tensor) -> None:
        """Start the output at the training data's mean spectrum (K,): the last layer's bias
        is the mean and its weights are shrunk a hundredfold (:func:`quiet`). With the default
        initialisation the networks start as noise of about unit size, far from radiance
        (0.1-0.3 in normalised units), and spend much of a short budget getting there; INSS
        starts at t times a mixture of the library."""
        self.tail.bias.copy_(mean)
        quiet(self.tail)

    def standardise(self, rgb: torch.Tensor) -> torch.Tensor:
        """Normalised RGB (B, 3, H, W) -> standardised with the training RGB's statistics."""
        return (rgb - self.rgb_mean[:, None, None]) / self.rgb_std[:, None, None]

    def forward(self, rgb: torch.Tensor) -> Synthesis:
        """rgb: (B, 3, H, W) normalised data units, H and W multiples of ``multiple``."""
        hsi = self.body(self.standardise(rgb))
        return Synthesis(hsi, hsi, None, None, [])


def quiet(layer: nn.Conv2d, factor: float = 0.01) -> None:
    """Shrink a layer's weights so that its output starts near its bias (gradients still flow)."""
    with torch.no_grad():
        layer.weight.mul_(factor)


def conv(c_in: int, c_out: int, kernel: int = 3) -> nn.Conv2d:
    """A 'same' convolution (zero padding), the building block of every comparison network."""
    return nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2)
