"""Checkpoints are the contract between training and synthesis.

A checkpoint holds the weights and a JSON document (``contract``) with everything needed to
use them correctly: architecture, library spectrum names, sensor channels (centres, FWHM,
kept channels, RGB channels), data domain and scale, band weights, training data, command and
metrics. It is read with ``torch.load(weights_only=True)``: a model file never runs code.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import torch

from .errors import CheckpointError, ConfigError, InputFileError, SensorMismatchError
from .io.atomic import atomic_path, remove_abandoned
from .model import INSS
from .model.config import config_from_dict
from .model.direct import DirectNetwork
from .model.methods import DIRECT_METHODS, build_direct
from .model.ridge import RidgeModel
from .spectra.sensors import Sensor

FORMAT = "inss-geo-checkpoint"
VERSION = 2  # 2: standardised RGB input, path radiance, z normalised by the library size


def build_contract(
    method: str,
    architecture: dict,
    receptive_radius_px: int,
    sensor: Sensor,
    names: tuple[str, ...],
    chapters: tuple[str, ...],
    *,
    domain: str,
    data_scale: float,
    band_weights: list[float],
    rgb_statistics: dict | None = None,
    training: dict | None = None,
    metrics: dict | None = None,
) -> dict:
    """The JSON-able description stored beside the weights.

    ``method`` is one of :data:`model.methods.METHODS` and ``architecture`` its sizes (a
    :class:`ModelConfig` as a dict for INSS). ``receptive_radius_px`` says how far from a pixel
    the model looks (0 for the per-pixel ridge): synthesis reads each tile with that margin
    (:mod:`model.receptive_field`)."""
    return {
        "method": method,
        "architecture": architecture,
        "receptive_radius_px": int(receptive_radius_px),
        "library": {"n_spectra": len(names), "names": list(names), "chapters": list(chapters)},
        "sensor": sensor.to_config(),
        "data": {
            "domain": domain,
            "scale": float(data_scale),
            "normalisation": "value / scale; the model's input RGB and output HSI are in these units",
            "rgb_statistics": rgb_statistics or {},
        },
        "band_weights": band_weights,
        "training": training or {},
        "metrics": metrics or {},
    }


def save_checkpoint(path: str | Path, model: torch.nn.Module, contract: dict, extra: dict | None = None) -> Path:
    """Atomically write weights + contract (+ optional training state) to ``path``."""
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "contract": json.dumps(contract),
        "state_dict": {k: v.cpu() for k, v in model.state_dict().items()},  # loads anywhere
    }
    if extra:
        payload["training_state"] = extra
    remove_abandoned(path)  # a killed run's half-written checkpoint
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return Path(path)


def read_checkpoint(path: str | Path) -> dict:
    """The raw checkpoint dict, loaded without running code; one-line errors for bad files."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: model file not found")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if "GLOBAL" not in str(exc):  # not an object reference: simply not a checkpoint
            raise CheckpointError(f"{path}: not an inss-geo checkpoint (not a torch weights file)") from None
        raise CheckpointError(
            f"{path}: refused to load: the file holds Python objects other than weights "
            "(it could run code); only inss-geo checkpoints are accepted"
        ) from None
    except Exception as exc:  # noqa: BLE001 - torch raises many types for files that are not checkpoints
        raise CheckpointError(f"{path}: not an inss-geo checkpoint (corrupt or not a model file: {exc})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not an inss-geo checkpoint (no '{FORMAT}' marker)")
    if payload.get("version") != VERSION:
        raise CheckpointError(f"{path}: checkpoint version {payload.get('version')} is not supported (need {VERSION}; "
                              "models of earlier versions must be retrained with this one)")
    return payload


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> tuple[INSS | RidgeModel | DirectNetwork, dict]:
    """The model (eval mode, on ``device``) and its contract: INSS (``inss``, ``lmm``), the
    ridge baseline, or a comparison network (:mod:`model.methods`)."""
    payload = read_checkpoint(path)
    bad = [k for k, v in payload.get("state_dict", {}).items()
           if isinstance(v, torch.Tensor) and v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        raise CheckpointError(f"{path}: weights {', '.join(bad[:3])} hold NaN or infinite values; refused")
    try:
        contract = json.loads(payload["contract"])
        contract["data"]["scale"]  # noqa: B018 - a contract without its data section is incomplete
        if contract.get("method") == "ridge":
            state = payload["state_dict"]
            model = RidgeModel(state["coef"], state["rgb_mean"], state["rgb_std"])
            model.load_state_dict(state)
            if model.coef.shape[1] != len(contract["sensor"]["wavelengths_nm"]):
                raise ValueError("coefficients do not match the sensor's channels")
            return model.to(device).eval(), contract
        if contract.get("method") in DIRECT_METHODS:
            model = build_direct(contract["method"], contract["architecture"], Sensor.from_config(contract["sensor"]))
            model.load_state_dict(payload["state_dict"])
            return model.to(device).eval(), contract
        config = config_from_dict(contract["architecture"])
        state = payload["state_dict"]
        library = state["library"]
        model = INSS(config, library, state["t"], rgb=tuple(contract["sensor"]["rgb"]))
        model.load_state_dict(state)
    except (KeyError, TypeError, ValueError, RuntimeError, ConfigError) as exc:
        raise CheckpointError(f"{path}: checkpoint is incomplete or inconsistent ({exc})") from None
    if library.shape[1] != contract["library"]["n_spectra"] or library.shape[0] != len(contract["sensor"]["wavelengths_nm"]):
        raise CheckpointError(f"{path}: library matrix does not match the contract")
    return model.to(device).eval(), contract


def check_sensor(contract: dict, sensor: Sensor, source: str) -> None:
    """Refuse a checkpoint trained for another sensor's channels."""
    trained = Sensor.from_config(contract["sensor"])
    if not trained.same_channels(sensor):
        raise SensorMismatchError(
            f"checkpoint is for sensor {trained.name!r} ({trained.n_channels} channels) but "
            f"{source} is {sensor.name!r} ({sensor.n_channels} channels)"
        )
