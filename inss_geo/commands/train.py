"""``inss-geo train``: self-supervised INSS training on hyperspectral scenes."""

from __future__ import annotations

import signal
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import click

from .options import (
    channel_list_opt,
    collect_scenes,
    device_opt,
    more_scenes_arg,
    quiet_opt,
    scenes_opt,
    sensor_opt,
)

#: ``--method``'s choices (:data:`model.methods.METHODS`; importing it would load torch for --help).
METHOD_HELP = {
    "inss": "INSS: abundances over the spectral library, neural mixing of order --order",
    "lmm": "PDASS: INSS at order 1 (the linear mixture model) with its adversarial losses",
    "ridge": "per-channel quadratic ridge regression from RGB (closed form, seconds)",
    "hscnn": "HSCNN+ (Shi et al. 2018): residual CNN from RGB to every channel",
    "hsrnet": "HSRNet (He et al. 2021): SRF-guided group reconstruction with unrolled optimisation",
    "fmnet": "FMNet (Zhang et al. 2020): per-pixel mixture of basis functions with different receptive fields",
    "r2hgan": "R2HGAN (Liu et al. 2021): U-shaped generator with joint spatial/spectral discriminators",
}


@click.command(context_settings={"show_default": True})
@scenes_opt
@more_scenes_arg
@click.option("--val-scenes", multiple=True, help="Held-out validation scene (repeat the option per scene).")
@click.option("--out", "out", type=click.Path(file_okay=False),
              help="Run directory for model.pt (best), state.pt (latest) and the log. [required unless --resume]")
@click.option("--resume", type=click.Path(file_okay=False, exists=True), help="Continue the run in this directory.")
@click.option("--method", type=click.Choice(list(METHOD_HELP)), default="inss",
              help="What to train. " + "; ".join(f"{k}: {v}" for k, v in METHOD_HELP.items())
              + ". The comparison networks take the training options, not the INSS architecture options.")
@sensor_opt
@channel_list_opt
@click.option("--library", type=click.Path(dir_okay=False), help="Spectral library (.sli/.csv); default: bundled USGS 345.")
@click.option("--chapters", multiple=True, help="Keep only these USGS chapters (repeatable).")
@click.option("--preset", type=click.Choice(["small", "paper"]), default=None, help="INSS model size. [default: small]")
@click.option("--widths", default=None, help="Override the encoder widths, 4 to 6 stages, e.g. 16,32,64,96,128.")
@click.option("--order", type=click.IntRange(1, 4), default=None, help="Mixing order (1 = linear mixture). [default: 3]")
@click.option("--downscale", type=click.Choice(["8", "16"]), default=None, help="Hypernetwork grid step D. [default: 16]")
@click.option("--mlp-hidden", type=click.IntRange(1), default=None, help="Hidden width of the mixing MLPs. [default: 32]")
@click.option("--path-radiance/--no-path-radiance", default=None,
              help="Learn an additive per-channel path radiance. [default: on for 'small', off for 'paper']")
@click.option("--rgb-consistency/--no-rgb-consistency", default=None,
              help="Consistency step: the synthesized RGB channels reproduce the input. [default: on for 'small', off for 'paper']")
@click.option("--detach-transform", is_flag=True, default=None,
              help="Detach T's input, so the mixing losses do not train the U-Net through T (the paper's ablation).")
@click.option("--steps", type=click.IntRange(1), default=4000, help="Generator steps (the most; see --patience).")
@click.option("--batch-size", type=click.IntRange(1), default=8, help="Crops per step.")
@click.option("--crop", type=click.IntRange(32), default=64, help="Training crop size (a multiple of 2^stages).")
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=1e-3, help="Learning rate of the U-Net.")
@click.option("--lr-transform", type=click.FloatRange(min=0, min_open=True), default=1e-4, help="Learning rate of T.")
@click.option("--lr-signature", type=click.FloatRange(min=0, min_open=True), default=5e-5, help="Learning rate of t and the path radiance.")
@click.option("--lr-discriminator", type=click.FloatRange(min=0, min_open=True), default=1e-5, help="Learning rate of the discriminators (with --w-adversarial).")
@click.option("--warmup-steps", type=click.IntRange(0), default=100, help="Linear warm-up of every learning rate.")
@click.option("--decay-from", type=click.FloatRange(0, 1), default=0.5, help="Fraction of --steps after which the rates decay (cosine) to 0.")
@click.option("--val-every", type=click.IntRange(1), default=100, help="Steps between validations (an 'epoch').")
@click.option("--patience", type=click.IntRange(1), default=10, help="Stop after this many validations without a better standard-convention MPSNR.")
@click.option("--checkpoint-every", type=click.IntRange(1), default=200, help="Steps between resumable checkpoints (state.pt).")
@click.option("--band-weighting", type=click.Choice(["inverse-mean", "variance", "uniform"]), default="inverse-mean",
              help="L1 weight of each channel: 1/its mean (relative error), its variance (the paper's Eq. 11), or none.")
@click.option("--augment/--no-augment", default=True, help="Random global gain and per-channel colour jitter of the crops.")
@click.option("--seed", type=int, default=0, help="Seed of the initial weights and the crop sampling.")
@click.option("--max-minutes", type=click.FloatRange(min=0, min_open=True), default=None, help="Stop (with a checkpoint) after this long.")
@click.option("--domain", type=click.Choice(["radiance", "reflectance"]), default="radiance", help="What the scenes hold.")
@click.option("--data-scale", type=click.FloatRange(min=0, min_open=True), default=4095.0, help="Data are divided by this.")
@click.option("--w-pixel", type=click.FloatRange(0), default=1.0, help="Weight of the band-weighted L1 loss.")
@click.option("--w-cosine", type=click.FloatRange(0), default=1.0, help="lambda_1, cosine loss (paper: 10).")
@click.option("--w-hsv", type=click.FloatRange(0), default=0.1, help="lambda_2, HSV colour loss.")
@click.option("--w-residual", type=click.FloatRange(0), default=1.0, help="lambda_3, nonlinear-residual L1.")
@click.option("--w-adversarial", type=click.FloatRange(0), default=None,
              help="lambda_4, adversarial loss (0 = off; paper: 0.01). [default: 0.01 for lmm and r2hgan, else 0]")
@click.option("--w-rgb", type=click.FloatRange(0), default=1.0, help="Relative L1 of the synthesized RGB channels (0 = off).")
@click.option("--discriminator-every", type=click.IntRange(1), default=3, help="Generator steps per discriminator step.")
@click.option("--threads", type=click.IntRange(1), default=None, help="CPU threads for torch.")
@device_opt
@quiet_opt
def train(scenes, more_scenes, val_scenes, out, resume, method, sensor, channel_list, library, chapters, preset, widths,
          order, downscale, mlp_hidden, path_radiance, rgb_consistency, detach_transform, steps, batch_size, crop, lr, lr_transform, lr_signature,
          lr_discriminator, warmup_steps, decay_from, val_every, patience, checkpoint_every, band_weighting, augment,
          seed, max_minutes, domain, data_scale, w_pixel, w_cosine, w_hsv, w_residual, w_adversarial, w_rgb,
          discriminator_every, threads, device, quiet) -> None:
    """Train INSS self-supervised on the hyperspectral --scenes (RGB is taken from their bands).

    Example: inss-geo train --scenes a.envi b.tif --val-scenes c.tif --out runs/r1
    """
    import torch

    from ..model import build_config
    from ..model.methods import (
        ADVERSARIAL_DEFAULTS,
        DIRECT_METHODS,
        direct_architecture,
    )
    from ..training.trainer import RunSpec, run_training

    if threads:
        torch.set_num_threads(threads)
    all_scenes = collect_scenes(scenes, more_scenes)
    if resume:
        if all_scenes or out not in (None, resume):
            raise click.UsageError("--resume continues a run with its stored settings; don't give --scenes or another --out")
        record = _interruptible(resume, lambda: run_training(None, resume, device=device, resume=True,
                                                             max_minutes=max_minutes, quiet=quiet))
        out = resume
    else:
        if not all_scenes:
            raise click.UsageError("give training scenes with --scenes")
        if not out:
            raise click.UsageError("give a run directory with --out")
        inss_options = {"preset": preset, "widths": widths, "order": order, "downscale": downscale, "mlp_hidden": mlp_hidden,
                        "path_radiance": path_radiance, "rgb_consistency": rgb_consistency,
                        "detach_transform": detach_transform}
        given = [f"--{k.replace('_', '-')}" for k, v in inss_options.items() if v is not None]
        if method in (*DIRECT_METHODS, "ridge") and given:
            raise click.UsageError(f"{', '.join(given)}: INSS architecture options; --method {method} does not take them")
        if method in DIRECT_METHODS:
            architecture = direct_architecture(method)
        else:
            architecture = asdict(build_config(
                preset or "small",
                widths=[int(w) for w in widths.split(",")] if widths else None,
                order=1 if method == "lmm" and order is None else order,
                downscale=int(downscale) if downscale else None,
                mlp_hidden=mlp_hidden,
                path_radiance=path_radiance,
                rgb_consistency=rgb_consistency,
                detach_transform_input=detach_transform,
            ))
        if w_adversarial is None:
            w_adversarial = ADVERSARIAL_DEFAULTS.get(method, 0.0)
        spec = RunSpec(
            scenes=all_scenes,
            val_scenes=list(val_scenes),
            method=method,
            sensor=sensor,
            channel_list=channel_list,
            library=library,
            chapters=list(chapters),
            architecture=architecture,
            options={
                "steps": steps, "batch_size": batch_size, "crop": crop, "lr": lr, "lr_transform": lr_transform,
                "lr_signature": lr_signature, "lr_discriminator": lr_discriminator, "warmup_steps": warmup_steps,
                "decay_from": decay_from, "discriminator_every": discriminator_every, "val_every": val_every,
                "patience": patience, "checkpoint_every": checkpoint_every, "seed": seed, "max_minutes": max_minutes,
                "domain": domain, "data_scale": data_scale, "band_weighting": band_weighting, "augment": augment,
                "weights": {"pixel": w_pixel, "cosine": w_cosine, "hsv": w_hsv, "residual": w_residual,
                            "adversarial": w_adversarial, "rgb": w_rgb},
            },
        )
        record = _interruptible(out, lambda: run_training(spec, out, device=device, quiet=quiet))
    if record is None:  # not rank 0 of a distributed run
        return
    if "ridge" in record:
        click.echo(f"wrote {out}/model.pt (ridge penalty {record['ridge']['penalty']:g}, validation standard MPSNR "
                   f"{record['ridge']['val_standard_MPSNR']:.2f} dB)")
        return
    summary = f"step {record.get('step')}: wrote {out}/model.pt"
    if record.get("best_val"):
        val = record["best_val"]
        summary += (f" (best validation at step {val['step']}, standard convention: MPSNR {val['standard']['MPSNR']:.2f} dB, "
                    f"SAM {val['standard']['SAM']:.4f} rad)")
    click.echo(summary)


def _terminate(signum, frame):  # SIGTERM behaves like Ctrl-C
    raise KeyboardInterrupt


def _interruptible(out: str, run: Callable[[], dict | None]) -> dict | None:
    """Run the training; Ctrl-C or SIGTERM end it with one line that says what is left. Every
    checkpoint is written whole or not at all, so the last one is consistent."""
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return run()
    except KeyboardInterrupt:
        if (Path(out) / "state.pt").exists():
            raise click.ClickException(f"interrupted; continue from the last checkpoint with: inss-geo train --resume {out}") from None
        raise click.ClickException("interrupted before the first checkpoint; nothing to resume") from None
    finally:
        signal.signal(signal.SIGTERM, previous)
