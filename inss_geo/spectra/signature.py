"""Physical starting value of t, the solar-atmospheric signature with sensor quantisation.

For AVIRIS-Classic the bundled start is the INSS authors' t (224 channels, for data divided by
4095). Other sensors get that signature resampled by wavelength: it carries the solar
irradiance shape and the atmospheric absorption features, which is what the prior is for.
Training refines t for the actual sensor and data scale.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

from .library import convolve_gaussian
from .sensors import Sensor, aviris_classic


def aviris_signature() -> np.ndarray:
    """The authors' initial t on AVIRIS-Classic (224,), for data / 4095."""
    with (resources.files("inss_geo.data") / "inss_t_init_aviris224.npz").open("rb") as fh:
        return np.load(fh)["t_init"].astype(np.float32)


def signature_prior(sensor: Sensor, data_scale: float = 4095.0) -> np.ndarray:
    """Initial t (C,) for ``sensor`` and data normalised by ``data_scale``."""
    base = aviris_classic()
    t = aviris_signature().astype(np.float64)
    if not sensor.same_channels(base):
        order = np.argsort(base.wavelengths_nm)
        fine_wl = np.arange(base.wavelengths_nm.min(), base.wavelengths_nm.max(), 1.0)
        fine = np.interp(fine_wl, base.wavelengths_nm[order], t[order])
        t = convolve_gaussian(fine_wl, fine[None], sensor.wavelengths_nm, sensor.fwhm_nm)[0]
        ok = np.isfinite(t)  # beyond AVIRIS's range: hold the nearest value
        t = np.interp(sensor.wavelengths_nm, sensor.wavelengths_nm[ok], t[ok])
    return (t * 4095.0 / data_scale).astype(np.float32)
