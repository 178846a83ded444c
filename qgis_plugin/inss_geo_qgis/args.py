"""Algorithm parameters -> ``inss-geo`` argv. Pure Python (no QGIS), so it is unit-tested alone.

Enums are (label shown in QGIS, CLI token) pairs; the order is the QGIS enum index.
"""

from __future__ import annotations

FORMATS = [("From the output's extension", ""), ("ENVI", "envi"), ("GeoTIFF", "gtiff"), ("Cloud-optimised GeoTIFF", "cog")]
DEVICES = [("Auto (CUDA when available)", "auto"), ("CPU", "cpu"), ("CUDA", "cuda")]
DTYPES = [("float32", "float32"), ("int16 (scaled; gain in the header)", "int16")]
ABUNDANCE_DTYPES = [("float32", "float32"), ("uint16 (scaled)", "uint16")]


def synthesize_args(
    executable: str,
    input_path: str,
    output: str,
    *,
    rgb_bands: str = "",
    model: str = "",
    input_scale: str = "auto",
    tile: int = 512,
    device: int = 0,
    fmt: int = 0,
    dtype: int = 0,
    abundance: str = "",
    abundance_dtype: int = 0,
    abundance_top_k: int = 0,
    mixing: str = "",
    bbox: tuple[float, float, float, float] | None = None,
    bbox_crs: str = "",
) -> list[str]:
    """The argv of ``inss-geo synthesize`` (enum arguments are indices into the lists above).

    Outputs are chosen in QGIS's file dialog, which has already asked about replacing a file,
    so ``--overwrite`` is always passed; progress comes back as JSON lines on stderr.
    """
    argv = [executable, "synthesize", input_path, "-o", output, "--tile", str(tile),
            "--device", DEVICES[device][1], "--dtype", DTYPES[dtype][1], "--input-scale", input_scale or "auto",
            "--overwrite", "--progress", "json"]
    if FORMATS[fmt][1]:
        argv += ["--format", FORMATS[fmt][1]]
    if rgb_bands.strip():
        argv += ["--rgb-bands", rgb_bands.replace(" ", "")]
    if model:
        argv += ["--model", model]
    if abundance:
        argv += ["--abundance", abundance, "--abundance-dtype", ABUNDANCE_DTYPES[abundance_dtype][1]]
        if abundance_top_k:
            argv += ["--abundance-top-k", str(abundance_top_k)]
    if mixing:
        argv += ["--mixing", mixing]
    if bbox is not None:
        argv += ["--bbox", ",".join(repr(float(v)) for v in bbox), "--bbox-crs", bbox_crs or "EPSG:4326"]
    return argv

