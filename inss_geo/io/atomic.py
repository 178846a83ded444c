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
import signal
import tempfile
import threading
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


@contextlib.contextmanager
def signals_deferred(reraise: bool = True) -> Iterator[None]:
    """Hold SIGINT and SIGTERM while the block runs (a commit's renames, an abort's clean-up), so
    a signal cannot cut it in half; one that came is then raised as KeyboardInterrupt, or with
    ``reraise`` False dropped (the work it would have stopped is complete).

    Python runs signal handlers in the main thread; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {s: signal.signal(s, lambda signum, frame: caught.append(signum)) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if caught and reraise:
            raise KeyboardInterrupt
