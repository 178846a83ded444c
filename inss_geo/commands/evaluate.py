"""``inss-geo evaluate``: paper-style metrics of a checkpoint on held-out scenes."""

from __future__ import annotations

import json

import click

from .options import channel_list_opt, collect_scenes, device_opt, scenes_opt, sensor_opt


@click.command()
@click.option("--model", "model_path", required=True, type=click.Path(dir_okay=False), help="Checkpoint (model.pt).")
@scenes_opt
@click.argument("more_scenes", nargs=-1, metavar="[SCENES]...")
@sensor_opt
@channel_list_opt
@click.option(
    "--convention",
    type=click.Choice(["paper", "standard", "both"]),
    default="both",
    show_default=True,
    help="Metric convention(s).",
)
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Also write the results as JSON here.")
@device_opt
def evaluate(model_path, scenes, more_scenes, sensor, channel_list, convention, json_path, device) -> None:
    """Synthesize SCENES from their RGB channels and print RMSE, MRAE, SAM, MSSIM, MPSNR."""
    from ..atomic import atomic_path
    from ..evaluation import evaluate_checkpoint, format_table

    all_scenes = collect_scenes(scenes, more_scenes)
    if not all_scenes:
        raise click.UsageError("give scenes to evaluate with --scenes")
    conventions = ("paper", "standard") if convention == "both" else (convention,)
    result = evaluate_checkpoint(
        model_path, all_scenes, sensor=sensor, channel_list=channel_list, conventions=conventions, device=device
    )
    click.echo(format_table(result))
    if json_path:
        with atomic_path(json_path) as tmp:
            tmp.write_text(json.dumps(result, indent=2))
