"""Options shared by several commands, with converting callbacks."""

from __future__ import annotations

import click


def _device(ctx: click.Context, param: click.Parameter, value: str) -> str:
    import torch

    if value == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if value == "cpu":
        return value
    if value.startswith("cuda"):
        if not torch.cuda.is_available():
            raise click.BadParameter(f"{value}: no CUDA device is available; use --device cpu", ctx, param)
        index = value.partition(":")[2]
        if index and (not index.isdigit() or int(index) >= torch.cuda.device_count()):
            raise click.BadParameter(f"{value}: only {torch.cuda.device_count()} CUDA device(s)", ctx, param)
        return value
    raise click.BadParameter(f"{value!r}: use auto, cpu, cuda or cuda:N", ctx, param)


device_opt = click.option(
    "--device", default="auto", show_default=True, callback=_device, help="auto, cpu, cuda or cuda:N."
)
sensor_opt = click.option(
    "--sensor",
    default=None,
    help="Sensor whose channels the model synthesizes: 'aviris-classic' (used when not given), a CSV "
    "(wavelength_nm[,fwhm_nm]) or a raster with wavelengths. Scenes whose files carry wavelengths are "
    "matched to it by wavelength; a scene without them needs --sensor named (its bands are then the "
    "sensor's channels) or --channel-list.",
)
channel_list_opt = click.option(
    "--channel-list",
    type=click.Path(dir_okay=False),
    default=None,
    help="CSV mapping each scene's bands to sensor channels (scene, band_index_0based, channel_1based).",
)
scenes_opt = click.option(
    "--scenes", "scenes", multiple=True, metavar="SCENE [SCENE]...",
    help="Hyperspectral scenes (ENVI, GeoTIFF, any GDAL raster, .mat, .npz): every path up to the next option.",
)
#: the paths after the first one of ``--scenes a b c`` (click gives the option one value)
more_scenes_arg = click.argument("more_scenes", nargs=-1, metavar="")
quiet_opt = click.option("-q", "--quiet", is_flag=True, help="No progress bar.")


def collect_scenes(first: tuple[str, ...], rest: tuple[str, ...]) -> list[str]:
    """``--scenes a b c``: click gives ``a`` to the option and ``b c`` as extra arguments."""
    return [*first, *rest]
