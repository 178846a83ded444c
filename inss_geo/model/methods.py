"""The synthesis methods ``inss-geo train --method`` offers, and how each is built.

``inss`` and ``lmm`` are INSS models (:class:`INSS`; ``lmm`` is order 1, the linear mixture
model of the authors' predecessor PDASS, trained with its adversarial losses); ``ridge`` is the
closed-form baseline (:mod:`model.ridge`); the rest are the paper's comparison networks, RGB
straight to every channel (:class:`DirectNetwork`). A checkpoint names its method and
architecture, so every method loads, evaluates and synthesizes through the same contract.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import ConfigError
from ..spectra.sensors import Sensor
from .direct import DirectNetwork
from .fmnet import FMNet
from .hscnn import HSCNNPlus
from .hsrnet import HSRNet
from .r2hgan import R2HGANGenerator

#: Every method, in the order of the results page (``train --help`` describes each).
METHODS = ("inss", "lmm", "ridge", "hscnn", "hsrnet", "fmnet", "r2hgan")
#: Methods trained with the adversarial losses by default, and their weight (the paper's lambda_4).
ADVERSARIAL_DEFAULTS = {"lmm": 0.01, "r2hgan": 0.01}

_DIRECT: dict[str, tuple[Callable[..., DirectNetwork], dict]] = {
    "hscnn": (lambda sensor, **a: HSCNNPlus(sensor.n_channels, **a), {"width": 64, "blocks": 6}),
    "hsrnet": (lambda sensor, **a: HSRNet(sensor, **a), {"width": 48, "steps": 2}),
    "fmnet": (lambda sensor, **a: FMNet(sensor.n_channels, **a), {"width": 32, "blocks": 3, "kernels": [3, 5, 7]}),
    "r2hgan": (lambda sensor, **a: R2HGANGenerator(sensor.n_channels, **a), {"widths": [32, 64, 128, 128]}),
}
DIRECT_METHODS = tuple(_DIRECT)


def direct_architecture(method: str) -> dict:
    """The sizes a comparison network is built with (stored in its checkpoint)."""
    if method not in _DIRECT:
        raise ConfigError(f"unknown comparison network {method!r}; choose from: {', '.join(_DIRECT)}")
    return dict(_DIRECT[method][1])


def build_direct(method: str, architecture: dict, sensor: Sensor) -> DirectNetwork:
    """A comparison network for ``sensor``'s channels, with a checkpoint's ``architecture``."""
    direct_architecture(method)  # (refuses an unknown name)
    sizes = {k: tuple(v) if isinstance(v, list) else v for k, v in architecture.items()}
    try:
        return _DIRECT[method][0](sensor, **sizes)
    except TypeError as exc:
        raise ConfigError(f"{method}: architecture {architecture} does not fit ({exc})") from None
