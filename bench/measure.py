"""Run a command and measure its wall time and peak resident memory (Linux); time ways of doing
one thing against each other (``interleaved_ms``).

``os.wait4``'s ``ru_maxrss`` is not used: after ``vfork`` + ``exec`` Linux counts the parent's
high-water mark in the child's figure, so a benchmark that loaded a model first would report its
own memory. ``VmHWM`` in ``/proc/PID/status`` is the child's own peak since ``exec``; it is
read every 0.1 s while the command runs (at most the last 0.1 s goes unseen).
"""

from __future__ import annotations

import statistics
import subprocess
import threading
import time
from collections.abc import Callable


def _vm_hwm_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def run_measured(cmd: list[str]) -> tuple[int, float, float, str]:
    """(exit status, seconds, peak RSS in MB, stderr) of ``cmd``."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    peak = [0]

    def watch() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _vm_hwm_kb(proc.pid) or 0)
            time.sleep(0.1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    stderr = proc.stderr.read()
    status = proc.wait()
    seconds = time.perf_counter() - start
    watcher.join()
    return status, seconds, peak[0] / 1024, stderr


def interleaved_ms(ways: dict[str, Callable[[], object]], repeats: int) -> dict[str, dict[str, float]]:
    """Minimum and median milliseconds of each way over ``repeats`` calls, the ways taking turns,
    so a drift in the host's speed falls on all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(repeats):
        for name, fn in ways.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: {"min_ms": round(min(t) * 1e3, 3), "median_ms": round(statistics.median(t) * 1e3, 3)}
            for name, t in times.items()}
