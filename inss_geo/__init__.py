"""inss-geo: synthesize georeferenced hyperspectral images from RGB with INSS (Liu, Zou, Shi)."""

__version__ = "0.1.0"
