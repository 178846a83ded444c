"""Model sizes: one frozen config, named presets, user overrides win."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..errors import ConfigError


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of INSS (paper Sec. III-E).

    Attributes:
        widths: Channel widths of the 6 encoder stages (each halves the resolution); the
            decoder mirrors them with additive skips.
        blocks_per_stage: Residual blocks per encoder stage.
        downscale: D, the hypernetwork grid step in pixels (8 or 16).
        transform_width: Width of T's 3x3 convolution.
        order: Mixing order k (1 = linear mixture model).
        mlp_hidden: Hidden width of each per-pixel MLP (N_g + 4 log2 D -> hidden -> N_g -> K).
        output_scale: Scale of the MLP output activation (``scale * tanh``).
    """

    widths: tuple[int, ...] = (128, 256, 512, 1024, 1024, 1024)
    blocks_per_stage: int = 2
    downscale: int = 16
    transform_width: int = 64
    order: int = 3
    mlp_hidden: int = 32
    output_scale: float = 0.1

    def __post_init__(self) -> None:
        if len(self.widths) != 6:
            raise ConfigError(f"widths: need 6 encoder widths, got {len(self.widths)}")
        if self.downscale not in (8, 16):
            raise ConfigError(f"downscale D must be 8 or 16, got {self.downscale}")
        if not 1 <= self.order <= 4:
            raise ConfigError(f"order must be 1..4, got {self.order}")

    @property
    def multiple(self) -> int:
        """Input height and width must be multiples of this (6 halvings)."""
        return 2 ** len(self.widths)


#: Named presets: the authors' widths (base 128) and a CPU-sized one.
PRESETS: dict[str, ModelConfig] = {
    "paper": ModelConfig(),
    "small": ModelConfig(widths=(16, 32, 64, 96, 96, 96), blocks_per_stage=1),
}


def build_config(preset: str = "small", **overrides: object) -> ModelConfig:
    """A preset with user overrides applied (``None`` values are ignored)."""
    if preset not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r}; choose from: {', '.join(PRESETS)}")
    given = {k: v for k, v in overrides.items() if v is not None}
    if "widths" in given:
        given["widths"] = tuple(int(w) for w in given["widths"])  # type: ignore[union-attr]
    return dataclasses.replace(PRESETS[preset], **given)


def config_from_dict(d: dict) -> ModelConfig:
    """Rebuild a config saved with ``dataclasses.asdict``."""
    fields = {f.name for f in dataclasses.fields(ModelConfig)}
    unknown = set(d) - fields
    if unknown:
        raise ConfigError(f"checkpoint architecture has unknown fields {sorted(unknown)}")
    d = dict(d)
    d["widths"] = tuple(d["widths"])
    return ModelConfig(**d)
