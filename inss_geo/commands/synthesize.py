"""``inss-geo synthesize``: a georeferenced hyperspectral image from an RGB raster."""

from __future__ import annotations

import json
import signal

import click

from .options import device_opt


def _rgb_bands(ctx, param, value):
    if value is None:
        return None
    try:
        bands = tuple(int(v) for v in value.split(","))
    except ValueError:
        bands = ()
    if len(bands) != 3 or min(bands) < 1:
        raise click.BadParameter("give three 1-based band numbers, e.g. 1,2,3", ctx, param)
    return bands


def _creation_options(ctx, param, values):
    options = {}
    for value in values:
        name, eq, setting = value.partition("=")
        if not eq or not name.strip():
            raise click.BadParameter(f"{value!r}: give NAME=VALUE, e.g. COMPRESS=DEFLATE", ctx, param)
        options[name.strip().upper()] = setting.strip()
    return options


def _terminate(signum, frame):  # SIGTERM behaves like Ctrl-C: clean up, exit non-zero
    raise KeyboardInterrupt


@click.command(context_settings={"show_default": True})
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Hyperspectral output (.envi, .tif).")
@click.option("--model", "model_path", type=click.Path(dir_okay=False), default=None, help="Checkpoint; default: the shipped model.")
@click.option("--format", "fmt", type=click.Choice(["envi", "gtiff", "cog"]), default=None, help="Default: from the extension.")
@click.option("--dtype", type=click.Choice(["float32", "int16"]), default="float32", help="int16 stores value/gain with the gain in the header.")
@click.option("--interleave", type=click.Choice(["bsq", "bil", "bip"]), default="bil", help="ENVI interleave.")
@click.option("--abundance", type=click.Path(dir_okay=False), default=None, help="Also write abundances (one band per spectrum).")
@click.option("--abundance-dtype", type=click.Choice(["float32", "uint16"]), default="float32", help="uint16 stores fraction x 10000, with the scale in the metadata.")
@click.option("--abundance-top-k", type=click.IntRange(1), default=None, help="Write the K largest fractions and their indices instead.")
@click.option("--mixing", type=click.Path(dir_okay=False), default=None, help="Also write the mixing-parameter grid and per-order contributions.")
@click.option("--rgb-residual", type=click.Path(dir_okay=False), default=None,
              help="Also write the input RGB minus the model's RGB channels before its consistency step (3 bands): where the model extrapolates.")
@click.option("--aoi", default=None, help="Area of interest: a GeoJSON file or a WKT polygon; only its window is synthesized, pixels outside it are nodata.")
@click.option("--bbox", default=None, help="Area of interest as minx,miny,maxx,maxy, in the input's CRS unless --bbox-crs says otherwise.")
@click.option("--aoi-crs", "--bbox-crs", "aoi_crs", default=None,
              help="CRS of --aoi or --bbox coordinates, e.g. EPSG:4326. Default: the input's CRS for --bbox and WKT; a GeoJSON file's own crs member, else longitude/latitude (RFC 7946).")
@click.option("--co", "creation_options", multiple=True, callback=_creation_options, metavar="NAME=VALUE",
              help="GDAL creation option for GeoTIFF and COG outputs, repeatable (e.g. --co COMPRESS=DEFLATE). Default: COMPRESS=ZSTD, ZSTD_LEVEL=1 (COG: DEFLATE).")
@click.option("--tile", type=click.IntRange(32), default=512, help="Output block size, a multiple of the model's 2^stages (32 for the default model). The model reads each block with a margin as wide as its receptive field (160 px for the default model), so the output does not depend on it; larger: faster, more memory.")
@click.option("--batch-size", type=click.IntRange(1), default=1, help="Tiles per forward pass (use more on CUDA).")
@click.option("--precision", type=click.Choice(["fp32", "bf16", "fp16"]), default="fp32", help="Matrix products of the U-Net, T and the mixing in bf16 or fp16 (fp16: GPUs only); they accumulate in float32.")
@click.option("--input-scale", default="auto", help="auto, percentile, or a number the input is divided by.")
@click.option("--rgb-bands", callback=_rgb_bands, default=None, help="1-based red,green,blue band numbers, e.g. 1,2,3.")
@click.option("--from-hsi", is_flag=True, help="Input is hyperspectral: take the model's RGB channels from it.")
@click.option("--overwrite", is_flag=True, help="Replace existing outputs.")
@click.option("--progress", type=click.Choice(["bar", "json", "none"]), default="bar", help="json: {\"progress\": pct} lines on stderr, then the seconds per stage (and on CUDA the GPU memory used).")
@click.option("-q", "--quiet", is_flag=True, help="Same as --progress none.")
@click.option("--threads", type=click.IntRange(1), default=None, help="CPU threads: torch's for the U-Net, and as many workers that each compute part of every finished block on one thread (default: one per core).")
@device_opt
def synthesize(input_path, output, model_path, fmt, dtype, interleave, abundance, abundance_dtype, abundance_top_k,
               mixing, rgb_residual, aoi, bbox, aoi_crs, creation_options, tile, batch_size, precision, input_scale, rgb_bands, from_hsi, overwrite, progress,
               quiet, threads, device) -> None:
    """Synthesize a hyperspectral image from the RGB raster INPUT, tile by tile.

    Example: inss-geo synthesize scene.tif -o out.envi --abundance ab.tif --mixing mix.envi
    """
    from ..io.allocator import keep_freed_memory

    keep_freed_memory()  # a process-wide choice, so the command's and not the library's
    import torch

    from ..io.atomic import signals_deferred
    from ..synthesis.pipeline import StageClock, SynthesisOptions
    from ..synthesis.pipeline import synthesize as run

    # --precision alone decides how the products round: torch lets cuDNN's fp32 convolutions run
    # in TF32 (10-bit mantissas) unless told not to
    torch.backends.cudnn.allow_tf32 = False
    # Where a model's sigmoids saturate, exp(-z) falls below float32's normal range and x86 takes
    # a slow microcode path for each result, which rounds away anyway: flushed to zero (figures in
    # bench/README.md). Set before any thread starts: threads inherit it.
    torch.set_flush_denormal(True)
    if threads:
        torch.set_num_threads(threads)
    progress = "none" if quiet else progress
    opts = SynthesisOptions(
        tile=tile, batch_size=batch_size, device=device, precision=precision,
        input_scale=input_scale, rgb_bands=rgb_bands, from_hsi=from_hsi, fmt=fmt, dtype=dtype,
        interleave=interleave, abundance=abundance, abundance_dtype=abundance_dtype,
        abundance_top_k=abundance_top_k, mixing=mixing, rgb_residual=rgb_residual, aoi=aoi, bbox=bbox, aoi_crs=aoi_crs, creation_options=creation_options, overwrite=overwrite, progress=progress,
    )
    report = (lambda pct: click.echo(json.dumps({"progress": round(pct, 1)}), err=True)) if progress == "json" else None
    clock = StageClock()
    summary: dict[str, float] = {}
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        written = run(input_path, output, model_path, opts, report, clock, summary)
    except KeyboardInterrupt:
        raise click.ClickException("interrupted; no output was written") from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    with signals_deferred(reraise=False):  # the outputs are complete: a late signal stops nothing
        _report(written, summary, clock, progress, device)


def _report(written, summary: dict, clock, progress: str, device: str) -> None:
    """What a finished run prints."""
    import torch

    if progress == "json":
        click.echo(json.dumps({"stages_s": {k: round(v, 3) for k, v in clock.seconds.items()}}), err=True)
        click.echo(json.dumps({"consistency": {k: round(v, 4) for k, v in summary.items()}}), err=True)
        if device.startswith("cuda"):  # what the run needed of the GPU, for bench/ and for sizing --batch-size
            peak = {"allocated": torch.cuda.max_memory_allocated(device), "reserved": torch.cuda.max_memory_reserved(device)}
            click.echo(json.dumps({"device_memory_mb": {k: round(v / 2**20, 1) for k, v in peak.items()}}), err=True)
    if progress != "none":
        click.echo("wrote " + ", ".join(str(p) for p in written))
        click.echo("consistency with the input (Pearson r): red {rgb_r_red:.3f}, green {rgb_r_green:.3f}, "
                   "blue {rgb_r_blue:.3f}; edges of the visible bands {edge_r:.3f}".format(**summary))
