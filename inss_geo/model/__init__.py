"""The INSS model: abundance U-Net F, feature transform T, neural mixing model N, and t."""

from .config import PRESETS, ModelConfig, build_config
from .inss import INSS, Synthesis

__all__ = ["INSS", "PRESETS", "ModelConfig", "Synthesis", "build_config"]
