"""Model sizes: one frozen config, named presets, user overrides win."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..errors import ConfigError


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of INSS (paper Sec. III-E).

    Attributes:
        widths: Channel widths of the encoder stages, 4 to 6 (each halves the resolution); the
            decoder mirrors them with additive skips. The paper uses 6; fewer stages bound the
            receptive field well below a tile and leave a bottleneck wider than 1 pixel on
            64-pixel training crops.
        blocks_per_stage: Residual blocks per encoder stage.
        downscale: D, the hypernetwork grid step in pixels (8 or 16).
        transform_width: Width of T's 3x3 convolution.
        order: Mixing order k (1 = linear mixture model).
        mlp_hidden: Hidden width of each per-pixel MLP (N_g + 4 log2 D -> hidden -> N_g -> K).
        output_scale: Scale of the MLP output activation (``scale * tanh``).
        path_radiance: Whether the model adds a learned, non-negative per-channel path radiance
            (atmospheric scattering, L = L_path + t * rho) to the mixture: a deviation from the
            paper, whose output is t times the mixture alone.
        rgb_consistency: Whether a consistency step makes the synthesized RGB channels equal
            the input RGB (``rgb_projection``; not in the paper).
        detach_transform_input: Whether T's input feature is detached, so the mixing losses do
            not train the U-Net through T (the paper's ablation; off in its final setting).
    """

    widths: tuple[int, ...] = (128, 256, 512, 1024, 1024, 1024)
    blocks_per_stage: int = 2
    downscale: int = 16
    transform_width: int = 64
    order: int = 3
    mlp_hidden: int = 32
    output_scale: float = 0.1
    path_radiance: bool = False
    rgb_consistency: bool = False
    detach_transform_input: bool = False

    def __post_init__(self) -> None:
        if not 4 <= len(self.widths) <= 6:
            raise ConfigError(f"widths: need 4 to 6 encoder widths, got {len(self.widths)}")
        if self.downscale not in (8, 16):
            raise ConfigError(f"downscale D must be 8 or 16, got {self.downscale}")
        if 2 ** len(self.widths) < self.downscale:
            raise ConfigError(f"downscale D = {self.downscale} needs at least {self.downscale.bit_length() - 1} encoder stages")
        if not 1 <= self.order <= 4:
            raise ConfigError(f"order must be 1..4, got {self.order}")

    @property
    def multiple(self) -> int:
        """Input height and width must be multiples of this (one halving per stage)."""
        return 2 ** len(self.widths)


#: Named presets: the authors' architecture (6 stages, base width 128, no path radiance) and
#: the default: CPU-sized, 5 stages, path radiance and the consistency step
#: (``models/default/MODEL_CARD.md``).
PRESETS: dict[str, ModelConfig] = {
    "paper": ModelConfig(),
    "small": ModelConfig(widths=(16, 32, 64, 96, 128), blocks_per_stage=1, path_radiance=True, rgb_consistency=True),
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
