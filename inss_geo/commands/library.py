"""``inss-geo library info|export``: show and export the spectral library."""

from __future__ import annotations

import json

import click

from .options import sensor_opt


def _load(library_path: str | None, sensor: str | None, chapters: tuple[str, ...]):
    from ..spectra.library import library_for_sensor, load_library
    from ..spectra.sensors import get_sensor

    s = get_sensor(sensor or "aviris-classic")
    lib = load_library(library_path, s) if library_path else library_for_sensor(s)
    return lib.filter_chapters(list(chapters)) if chapters else lib


library_opts = [
    click.option("--library", "library_path", type=click.Path(dir_okay=False), help="ENVI .sli or CSV library."),
    sensor_opt,
    click.option("--chapters", multiple=True, help="Keep only these USGS chapters (repeatable)."),
]


def _with_library_opts(f):
    for opt in reversed(library_opts):
        f = opt(f)
    return f


@click.group()
def library() -> None:
    """The spectral library (default: the paper's 345 USGS splib07 spectra)."""


@library.command()
@_with_library_opts
@click.option("--names", is_flag=True, help="List every spectrum name.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def info(library_path, sensor, chapters, names, as_json) -> None:
    """Counts per chapter, the sensor and its wavelength range."""
    lib = _load(library_path, sensor, chapters)
    summary = lib.summary()
    if names:
        summary["names"] = list(lib.names)
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    click.echo(
        f"{summary['n_spectra']} spectra on {summary['n_channels']} channels of {summary['sensor']} "
        f"({summary['wavelength_range_nm'][0]:.1f}-{summary['wavelength_range_nm'][1]:.1f} nm)"
    )
    for chapter, n in summary["chapters"].items():
        click.echo(f"  {chapter or '(no chapter)'}: {n}")
    for name in summary.get("names", []):
        click.echo(name)


@library.command()
@click.argument("out", type=click.Path(dir_okay=False))
@_with_library_opts
@click.option("--overwrite", is_flag=True, help="Replace an existing file.")
def export(out, library_path, sensor, chapters, overwrite) -> None:
    """Write the library (convolved to --sensor) as CSV or ENVI .sli."""
    from pathlib import Path

    from ..spectra.library import export_library

    if Path(out).exists() and not overwrite:
        raise click.ClickException(f"{out} exists; use --overwrite to replace it")
    lib = _load(library_path, sensor, chapters)
    path = export_library(lib, out)
    click.echo(f"wrote {lib.n_spectra} spectra x {lib.sensor.n_channels} channels to {path}")
