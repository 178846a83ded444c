"""``inss-geo evaluate``: metrics of one or more checkpoints on held-out scenes, side by side."""

from __future__ import annotations

import json

import click

from .options import (
    channel_list_opt,
    collect_scenes,
    device_opt,
    more_scenes_arg,
    scenes_opt,
    sensor_opt,
)


@click.command()
@click.option("--model", "model_paths", multiple=True, type=click.Path(dir_okay=False),
              help="Checkpoint (model.pt); repeat to compare models. Default: the shipped model.")
@scenes_opt
@more_scenes_arg
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
@click.option("--overwrite", is_flag=True, help="Replace an existing --json file.")
@device_opt
def evaluate(model_paths, scenes, more_scenes, sensor, channel_list, convention, json_path, overwrite, device) -> None:
    """Synthesize SCENES from their RGB channels and print RMSE, MRAE, SAM, MSSIM, MPSNR, the
    standard MPSNR per band group and the consistency with the input RGB; with several --model,
    one side-by-side table.

    Example: inss-geo evaluate --model runs/inss/model.pt --model runs/ridge/model.pt --scenes test.tif
    """
    from ..io.atomic import atomic_path
    from ..training.evaluation import (
        evaluate_checkpoint,
        format_comparison,
        format_table,
    )

    all_scenes = collect_scenes(scenes, more_scenes)
    if not all_scenes:
        raise click.UsageError("give scenes to evaluate with --scenes")
    conventions = ("paper", "standard") if convention == "both" else (convention,)
    if not model_paths:
        from ..synthesis.pipeline import (
            default_model_path,  # (GDAL: only when it is needed)
        )

        model_paths = [str(default_model_path())]
    if json_path:  # before the work: never an input, never an existing file unless asked
        from ..io.output_paths import check_new_file

        check_new_file(json_path, [*model_paths, *all_scenes], overwrite, "--json")
    results = [
        evaluate_checkpoint(path, all_scenes, sensor=sensor, channel_list=channel_list, conventions=conventions, device=device)
        for path in model_paths
    ]
    click.echo(format_table(results[0]) if len(results) == 1 else format_comparison(results))
    if json_path:
        with atomic_path(json_path) as tmp:
            tmp.write_text(json.dumps(results[0] if len(results) == 1 else results, indent=2))
