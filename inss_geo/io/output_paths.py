"""The files a run will write, checked before any work: against each other, against the run's
inputs, and against what already exists.

A raster output is several files (ENVI: data + ``<name>.hdr``; any: GDAL's ``.aux.xml``). ``--overwrite``
may replace an output's own files, never an input (compared by inode, so links and an ENVI
input's header count) and never another raster's sidecar: an ENVI header whose data file is not
the output's belongs to another raster (``scene.bil.hdr`` of ``scene.bil`` when writing
``scene.bil`` after deleting its data) unless it names the output's data file, as inss-geo's
headers do.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..errors import ConfigError

#: what the temporaries add to an output's name (``.<name>.<pid>.<random>.part``): the final name
#: may be at most NAME_MAX minus this
TEMP_NAME_EXTRA = 32
NAME_MAX = 255


def raster_files(path: str | Path, fmt: str) -> list[Path]:
    """The files a raster written at ``path`` in ``fmt`` (ENVI, GTiff, COG) consists of."""
    p = Path(path)
    files = [p, Path(f"{p}.aux.xml")]
    return [p, Path(f"{p}.hdr"), *files[1:]] if fmt == "ENVI" else files


def input_files(path: str | Path) -> list[Path]:
    """The files an input consists of: a raster's as GDAL lists them (data, header, sidecars),
    else the file itself."""
    p = Path(path)
    files = [p]
    if p.is_file():
        try:
            import rasterio

            with rasterio.open(p) as src:
                files += [Path(f) for f in src.files]
        except Exception:  # noqa: BLE001 - not a raster (a checkpoint, a GeoJSON): the file alone
            pass
    return files


def _same(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist
        return False


def _describes(header: Path, data: Path) -> bool:
    """Whether an ENVI header is the one inss-geo wrote for ``data`` (its description names it):
    a header left where a user deleted our output's data file is ours to replace."""
    try:
        pattern = r"description\s*=\s*\{\s*" + re.escape(str(data.resolve())) + r"\s*\}"
        return re.search(pattern, header.read_text(errors="replace")) is not None
    except OSError:
        return False


def check_directory(path: Path) -> None:
    """The output's directory exists, is a directory and is writable; its name fits."""
    parent = path.parent if str(path.parent) else Path(".")
    if parent.exists() and not parent.is_dir():
        raise ConfigError(f"{path}: {parent} is a file, not a directory")
    if not parent.is_dir():
        raise ConfigError(f"{path}: output directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(f"{path}: output directory {parent} is not writable")
    if len(path.name.encode()) > NAME_MAX - TEMP_NAME_EXTRA:
        raise ConfigError(f"{path.name[:40]}...: file name too long (at most {NAME_MAX - TEMP_NAME_EXTRA} bytes)")


def check_outputs(outputs: dict[str, tuple[str | Path, str]], inputs: list[str | Path], overwrite: bool) -> None:
    """Refuse, with one line, any output that could lose a file a user owns.

    Args:
        outputs: {what (an option's name, for the message): (path, format)}.
        inputs: Every file the run reads (rasters are expanded to their files).
        overwrite: Whether existing outputs may be replaced.
    """
    owned: list[tuple[Path, str]] = []
    for what, (path, fmt) in outputs.items():
        p = Path(path)
        check_directory(p)
        for f in raster_files(p, fmt):
            clash = next((w for g, w in owned if _same(f, g)), None)
            if clash:
                raise ConfigError(f"{what} and {clash} would both write {f}; give them different names")
            owned.append((f, what))
    read = [f for path in inputs for f in input_files(path)]
    for f, what in owned:
        if any(_same(f, g) for g in read):
            raise ConfigError(f"{what} would replace {f}, an input of this run; choose another name")
    for what, (path, fmt) in outputs.items():
        files = raster_files(path, fmt)
        data, present = files[0], [f for f in files if f.exists()]
        if fmt == "ENVI" and files[1].exists() and not data.exists() and not _describes(files[1], data):
            raise ConfigError(f"{files[1]} exists and belongs to another raster; {what} would replace it")
        if present and not overwrite:
            raise ConfigError(f"{present[0]} exists; use --overwrite to replace it")


def check_new_file(path: str | Path, inputs: list[str | Path], overwrite: bool, what: str) -> None:
    """The same rules for one plain file (a JSON report, a checkpoint)."""
    p = Path(path)
    check_directory(p)
    if any(_same(p, g) for i in inputs for g in input_files(i)):
        raise ConfigError(f"{what} would replace {p}, an input of this run; choose another name")
    if p.exists() and not overwrite:
        raise ConfigError(f"{p} exists; use --overwrite to replace it")
