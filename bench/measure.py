"""Run a command and measure its wall time and peak resident memory (Linux).

``os.wait4``'s ``ru_maxrss`` is not used: after ``vfork`` + ``exec`` Linux counts the parent's
high-water mark in the child's figure, so a benchmark that loaded a model first would report its
own memory. ``VmHWM`` in ``/proc/PID/status`` is the child's own peak since ``exec``; it is
read every 0.1 s while the command runs (at most the last 0.1 s goes unseen).
"""

from __future__ import annotations

import subprocess
import threading
import time


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
