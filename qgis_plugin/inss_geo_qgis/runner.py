"""Run an ``inss-geo`` argv as a subprocess (no shell) with QGIS progress, errors and cancel."""

from __future__ import annotations

import json
import os
import queue
import shlex
import shutil
import subprocess
import threading

from qgis.core import QgsProcessingException, QgsProcessingFeedback

#: Processing setting holding the path of the ``inss-geo`` executable, and the environment
#: variable of the same name, which wins (for headless ``qgis_process``, where no dialog is)
EXECUTABLE_SETTING = "INSS_GEO_EXECUTABLE"
NOT_FOUND = ("inss-geo not found: set the INSS_GEO_EXECUTABLE environment variable or its path in Processing "
             "options (Settings > Options > Processing > Providers > INSS)")


def find_executable() -> str | None:
    """$INSS_GEO_EXECUTABLE, else the Processing setting, else ``inss-geo`` on PATH."""
    from processing.core.ProcessingConfig import ProcessingConfig

    configured = os.environ.get(EXECUTABLE_SETTING, "").strip() or (ProcessingConfig.getSetting(EXECUTABLE_SETTING) or "").strip()
    if configured:
        return configured if os.path.isfile(configured) and os.access(configured, os.X_OK) else None
    return shutil.which("inss-geo")


def _pump(stream, lines: queue.Queue) -> None:
    try:
        for line in stream:
            lines.put(line.rstrip("\n"))
    except (OSError, ValueError):  # the pipe was closed after a cancel
        pass
    lines.put(None)


def run(argv: list[str], feedback: QgsProcessingFeedback, stop_timeout: float = 60.0) -> None:
    """Run ``argv``; JSON progress lines drive the progress bar, other stderr lines are reported.

    Cancel sends SIGTERM, on which the CLI removes its temporary files; after ``stop_timeout``
    seconds it is killed. A non-zero exit raises with the CLI's last error line.
    """
    feedback.pushCommandInfo(" ".join(shlex.quote(a) for a in argv))
    # the with block closes the pipes, also on cancel
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1) as proc:
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=_pump, args=(proc.stderr, lines), daemon=True).start()
        last_error = ""
        while True:
            if feedback.isCanceled():
                proc.terminate()
                try:
                    proc.wait(stop_timeout)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                raise QgsProcessingException("Canceled: inss-geo was stopped and wrote no output")
            try:
                line = lines.get(timeout=0.2)
            except queue.Empty:
                continue
            if line is None:
                break
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if isinstance(record, dict) and "progress" in record:
                feedback.setProgress(float(record["progress"]))
            elif isinstance(record, dict):
                feedback.pushDebugInfo(line)
            elif line.startswith("Error"):
                last_error = line.strip()
                feedback.reportError(last_error)
            elif line.strip():
                feedback.pushWarning(line.strip())
        out = proc.stdout.read()
        if proc.wait() != 0:
            raise QgsProcessingException(last_error or f"inss-geo failed with exit status {proc.returncode}")
        if out.strip():
            feedback.pushInfo(out.strip())
