"""``inss-geo quicklook``: a PNG of a synthesized HSI, for a first look and for reports."""

from __future__ import annotations

import click


@click.command()
@click.argument("hsi", type=click.Path(dir_okay=False, exists=True))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="PNG to write.")
@click.option("--rgb", "rgb", type=click.Path(dir_okay=False, exists=True), default=None,
              help="The input RGB raster, shown first.")
@click.option("--abundance", type=click.Path(dir_okay=False, exists=True), default=None,
              help="The full abundance raster: the material with the largest mean fraction is mapped.")
def quicklook(hsi, output, rgb, abundance) -> None:
    """Picture the HSI: true colour, colour infrared, dark / median / bright spectra; with
    --rgb the input, with --abundance the dominant material's map.

    Example: inss-geo quicklook out.envi --rgb scene.tif --abundance ab.tif -o quicklook.png
    """
    from ..quicklook import quicklook as draw

    click.echo(f"wrote {draw(hsi, output, rgb, abundance)}")
