"""``inss-geo train``: self-supervised INSS training on hyperspectral scenes."""

from __future__ import annotations

from dataclasses import asdict

import click

from .options import channel_list_opt, collect_scenes, device_opt, quiet_opt, scenes_opt, sensor_opt


@click.command(context_settings={"show_default": True})
@scenes_opt
@click.argument("more_scenes", nargs=-1, metavar="[SCENES]...")
@click.option("--val-scenes", multiple=True, help="Held-out validation scene (repeat the option per scene).")
@click.option("--out", "out", type=click.Path(file_okay=False), help="Run directory for checkpoints and log.")
@click.option("--resume", type=click.Path(file_okay=False, exists=True), help="Continue the run in this directory.")
@sensor_opt
@channel_list_opt
@click.option("--library", type=click.Path(dir_okay=False), help="Spectral library (.sli/.csv); default: bundled USGS 345.")
@click.option("--chapters", multiple=True, help="Keep only these USGS chapters (repeatable).")
@click.option("--preset", type=click.Choice(["small", "paper"]), default="small", help="Model size.")
@click.option("--widths", default=None, help="Override the 6 encoder widths, e.g. 16,32,64,96,96,96.")
@click.option("--order", type=click.IntRange(1, 4), default=None, help="Mixing order (1 = linear mixture). [default: 3]")
@click.option("--downscale", type=click.Choice(["8", "16"]), default=None, help="Hypernetwork grid step D. [default: 16]")
@click.option("--mlp-hidden", type=click.IntRange(1), default=None, help="Hidden width of the mixing MLPs. [default: 32]")
@click.option("--steps", type=click.IntRange(1), default=2000)
@click.option("--batch-size", type=click.IntRange(1), default=4)
@click.option("--crop", type=click.IntRange(64), default=256, help="Training crop size (multiple of 64).")
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=1e-4)
@click.option("--lr-discriminator", type=click.FloatRange(min=0, min_open=True), default=1e-5)
@click.option("--warmup-steps", type=click.IntRange(0), default=200)
@click.option("--val-every", type=click.IntRange(1), default=100, help="Steps between validations (an 'epoch').")
@click.option("--checkpoint-every", type=click.IntRange(1), default=200)
@click.option("--seed", type=int, default=0)
@click.option("--max-minutes", type=click.FloatRange(min=0, min_open=True), default=None, help="Stop (with a checkpoint) after this long.")
@click.option("--domain", type=click.Choice(["radiance", "reflectance"]), default="radiance", help="What the scenes hold.")
@click.option("--data-scale", type=click.FloatRange(min=0, min_open=True), default=4095.0, help="Data are divided by this.")
@click.option("--w-pixel", type=click.FloatRange(0), default=1.0, help="Weight of the band-weighted L1 loss.")
@click.option("--w-cosine", type=click.FloatRange(0), default=10.0, help="lambda_1, cosine loss.")
@click.option("--w-hsv", type=click.FloatRange(0), default=0.1, help="lambda_2, HSV colour loss.")
@click.option("--w-residual", type=click.FloatRange(0), default=1.0, help="lambda_3, nonlinear-residual L1.")
@click.option("--w-adversarial", type=click.FloatRange(0), default=0.01, help="lambda_4, adversarial loss (0 = off).")
@click.option("--discriminator-every", type=click.IntRange(1), default=3, help="Generator steps per discriminator step.")
@click.option("--threads", type=click.IntRange(1), default=None, help="CPU threads for torch.")
@device_opt
@quiet_opt
def train(scenes, more_scenes, val_scenes, out, resume, sensor, channel_list, library, chapters, preset, widths,
          order, downscale, mlp_hidden, steps, batch_size, crop, lr, lr_discriminator, warmup_steps, val_every,
          checkpoint_every, seed, max_minutes, domain, data_scale, w_pixel, w_cosine, w_hsv, w_residual,
          w_adversarial, discriminator_every, threads, device, quiet) -> None:
    """Train INSS self-supervised on hyperspectral SCENES (RGB is taken from their bands).

    Example: inss-geo train --scenes a.envi b.tif --val-scenes c.tif --out runs/r1
    """
    import torch

    from ..model import build_config
    from ..training import RunSpec, run_training

    if threads:
        torch.set_num_threads(threads)
    all_scenes = collect_scenes(scenes, more_scenes)
    if resume:
        if all_scenes or out not in (None, resume):
            raise click.UsageError("--resume continues a run with its stored settings; don't give --scenes or another --out")
        record = run_training(None, resume, device=device, resume=True, max_minutes=max_minutes, quiet=quiet)
        out = resume
    else:
        if not all_scenes:
            raise click.UsageError("give training scenes with --scenes")
        if not out:
            raise click.UsageError("give a run directory with --out")
        config = build_config(
            preset,
            widths=[int(w) for w in widths.split(",")] if widths else None,
            order=order,
            downscale=int(downscale) if downscale else None,
            mlp_hidden=mlp_hidden,
        )
        spec = RunSpec(
            scenes=all_scenes,
            val_scenes=list(val_scenes),
            sensor=sensor,
            channel_list=channel_list,
            library=library,
            chapters=list(chapters),
            architecture=asdict(config),
            options={
                "steps": steps, "batch_size": batch_size, "crop": crop, "lr": lr,
                "lr_discriminator": lr_discriminator, "warmup_steps": warmup_steps,
                "discriminator_every": discriminator_every, "val_every": val_every,
                "checkpoint_every": checkpoint_every, "seed": seed, "max_minutes": max_minutes,
                "domain": domain, "data_scale": data_scale,
                "weights": {"pixel": w_pixel, "cosine": w_cosine, "hsv": w_hsv, "residual": w_residual,
                            "adversarial": w_adversarial},
            },
        )
        record = run_training(spec, out, device=device, quiet=quiet)
    if record is None:  # not rank 0 of a distributed run
        return
    val = record.get("val", {})
    summary = f"step {record.get('step')}: wrote {out}/model.pt"
    if val:
        summary += f" (validation, paper convention: MPSNR {val['MPSNR']:.2f} dB, SAM {val['SAM']:.4f} rad)"
    click.echo(summary)
