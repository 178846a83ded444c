"""Evaluate checkpoints on hyperspectral scenes they did not train on (paper Table I style).

Several models (INSS, its order-1 twin, the ridge baseline, ...) are scored on the same scenes
and printed side by side: both metric conventions, the standard MPSNR per band group
(visible, near and short-wave infrared), and the two scale-free consistency checks of
:mod:`consistency`, which need no reference at all.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..checkpoint import check_sensor, load_checkpoint
from ..consistency import consistency, visible_bands
from ..spectra.sensors import Sensor, get_sensor
from ..synthesis.inference import synthesize_cube
from .metrics import CONVENTIONS, METRIC_NAMES, PAPER_PEAK, PAPER_RANGE, evaluate_arrays
from .scenes import load_scene, read_channel_list

#: Band groups (nm) for the per-group standard MPSNR.
BAND_GROUPS = {"VIS": (380.0, 700.0), "NIR": (700.0, 1300.0), "SWIR": (1300.0, 2510.0)}
CONSISTENCY_NAMES = ("rgb_r_red", "rgb_r_green", "rgb_r_blue", "edge_r")


def band_group_mpsnr(pred: np.ndarray, ref: np.ndarray, channels: np.ndarray, valid: np.ndarray,
                     wavelengths_nm: np.ndarray, data_scale: float) -> dict[str, float]:
    """Standard-convention MPSNR over each :data:`BAND_GROUPS` group's scored channels."""
    out = {}
    for name, (lo, hi) in BAND_GROUPS.items():
        group = channels & (wavelengths_nm >= lo) & (wavelengths_nm < hi)
        out[name] = (evaluate_arrays(pred, ref, group, valid, data_scale=data_scale, convention="standard")["MPSNR"]
                     if group.any() else float("nan"))
    return out


def evaluate_checkpoint(
    model_path: str,
    scenes: list[str],
    *,
    sensor: str | None = None,
    channel_list: str | None = None,
    conventions: tuple[str, ...] = CONVENTIONS,
    device: str = "cpu",
) -> dict:
    """Synthesize each scene from its own RGB channels and score it.

    Returns:
        {"model": ..., "method": ..., "domain": ..., "scenes": {name: {convention: metrics,
         "band_groups": ..., "consistency": ..., "channels_scored": n}}, "mean": {...},
         "conventions": {convention: description}}.
    """
    model, contract = load_checkpoint(model_path, device)
    trained = Sensor.from_config(contract["sensor"])
    data_sensor = get_sensor(sensor) if sensor else trained
    check_sensor(contract, data_sensor, "the scenes' sensor")
    lists = read_channel_list(channel_list) if channel_list else None
    scale = float(contract["data"]["scale"])
    per_scene: dict[str, dict] = {}
    for path in scenes:
        scene = load_scene(path, trained, sensor_given=sensor is not None, channel_lists=lists)
        cube = scene.on_sensor(trained)
        pred = synthesize_cube(model, cube / np.float32(scale), trained.rgb, torch.device(device)) * scale
        mask = scene.channel_mask(trained)
        res: dict = {c: evaluate_arrays(pred, cube, mask, scene.valid, data_scale=scale, convention=c) for c in conventions}
        res["band_groups"] = band_group_mpsnr(pred, cube, mask, scene.valid, trained.wavelengths_nm, scale)
        res["consistency"] = consistency(cube[list(trained.rgb)], pred, trained.rgb,
                                         visible_bands(trained.wavelengths_nm, mask), scene.valid)
        res["channels_scored"] = int(mask.sum())
        per_scene[scene.name] = res
    mean: dict = {
        c: {m: float(np.mean([s[c][m] for s in per_scene.values()])) for m in METRIC_NAMES} for c in conventions
    }
    for part in ("band_groups", "consistency"):
        keys = next(iter(per_scene.values()))[part]
        mean[part] = {k: float(np.nanmean([s[part][k] for s in per_scene.values()])) for k in keys}
    return {
        "model": str(model_path),
        "method": contract.get("method", "inss"),
        "order": contract["architecture"].get("order"),
        "domain": contract["data"]["domain"],
        "trained_on": contract["training"].get("train_scenes", []),
        "scenes": per_scene,
        "mean": mean,
        "conventions": {c: CONVENTION_NOTES[c] for c in conventions},
    }


CONVENTION_NOTES = {
    "paper": (
        f"authors' code: data on 0-{PAPER_RANGE:.0f}, PSNR peak {PAPER_PEAK:.0f} per band then mean "
        f"(+{20 * np.log10(PAPER_PEAK / PAPER_RANGE):.2f} dB vs a {PAPER_RANGE:.0f} peak), "
        "MRAE=|r-l|/(l+1), SAM rad, SSIM 11x11 sigma 1.5 L=65535"
    ),
    "standard": "data units, PSNR peak = reference band max, MRAE over l>0, SAM rad, SSIM L = band range",
}


def model_label(result: dict) -> str:
    """A short name for a model in a table: its run folder (or file) and method."""
    path = Path(result["model"])
    name = path.parent.name if path.name == "model.pt" and path.parent.name else path.stem
    method = result["method"] if result["method"] != "inss" else f"inss o{result['order']}"
    return f"{name} ({method})"


def format_table(result: dict) -> str:
    """A plain-text table per convention for one model: one row per scene plus the mean."""
    lines = []
    for conv, note in result["conventions"].items():
        lines.append(f"[{conv}] {note}")
        lines.append(f"{'scene':<28}" + "".join(f"{m:>12}" for m in METRIC_NAMES))
        for name, res in result["scenes"].items():
            lines.append(f"{name:<28}" + "".join(f"{res[conv][m]:>12.4f}" for m in METRIC_NAMES))
        lines.append(f"{'mean':<28}" + "".join(f"{result['mean'][conv][m]:>12.4f}" for m in METRIC_NAMES))
        lines.append("")
    return "\n".join(lines).rstrip()


def format_comparison(results: list[dict]) -> str:
    """Models side by side: per scene and the mean, standard metrics, paper MPSNR, MPSNR per band
    group and the consistency checks (Pearson r of the input RGB with the synthesized RGB
    channels, and of their Sobel edge magnitudes)."""
    cols = ["std MPSNR", "SAM", "std MSSIM", "std MRAE", "paper MPSNR", *BAND_GROUPS, "r R", "r G", "r B", "edge r"]
    width = max(28, *(len(model_label(r)) + 2 for r in results))
    lines = ["standard convention: " + CONVENTION_NOTES["standard"],
             "paper convention: " + CONVENTION_NOTES["paper"],
             "VIS/NIR/SWIR: standard MPSNR per band group; r R/G/B, edge r: consistency with the input RGB", ""]
    for scene in [*results[0]["scenes"], "mean"]:
        lines.append(f"{scene:<{width}}" + "".join(f"{c:>12}" for c in cols))
        for r in results:
            res = r["mean"] if scene == "mean" else r["scenes"].get(scene)
            if res is None:
                continue
            std, paper = res.get("standard", {}), res.get("paper", {})
            values = [std.get("MPSNR"), std.get("SAM"), std.get("MSSIM"), std.get("MRAE"), paper.get("MPSNR"),
                      *(res["band_groups"][g] for g in BAND_GROUPS), *(res["consistency"][k] for k in CONSISTENCY_NAMES)]
            lines.append(f"{model_label(r):<{width}}" + "".join(
                f"{v:>12.4f}" if v is not None else f"{'-':>12}" for v in values))
        lines.append("")
    return "\n".join(lines).rstrip()
