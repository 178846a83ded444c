"""Write files under a temporary name and rename them only when complete.

An interrupted run therefore never leaves a file that looks finished. Temporaries are named
``.<final name>.<pid>.*.part*`` so that a later run can tell those of a killed process
(``kill -9``, power loss) from those of a run still going, and remove them.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


def temp_prefix(final: str | Path) -> str:
    """Name prefix for this process's temporaries of ``final``."""
    return f".{Path(final).name}.{os.getpid()}."


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    try:  # a killed process not yet reaped by its parent is a zombie: it writes nothing more
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:  # no /proc (not Linux), or it has just been reaped
        return True


def remove_abandoned(final: str | Path) -> list[Path]:
    """Remove temporaries of ``final`` whose process no longer runs; returns what was removed."""
    final = Path(final)
    removed = []
    for p in (final.parent or Path(".")).glob(f".{glob.escape(final.name)}.*.part*"):
        pid = p.name[len(final.name) + 2:].split(".", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink(missing_ok=True)
            removed.append(p)
    return removed


@contextlib.contextmanager
def atomic_path(final: str | Path, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``final``; rename it to ``final`` if the block succeeds.

    The temporary file is removed when the block raises (including KeyboardInterrupt).
    """
    final = Path(final)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(final), suffix=f".part{suffix}", dir=final.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, final)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
