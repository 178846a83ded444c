"""Make the plugin package importable (its pure modules need no QGIS) and describe a QGIS setup."""

import os
import shutil
import sys
from pathlib import Path

import pytest

PLUGIN_DIR = Path(__file__).resolve().parents[2] / "qgis_plugin"
QGIS_PROCESS = Path("/usr/bin/qgis_process.bin")
QGIS_PYTHON = Path("/usr/bin/python3")
sys.path.insert(0, str(PLUGIN_DIR))

#: .ci/run installs QGIS and sets this, so there the QGIS tests run and never skip.
requires_qgis = pytest.mark.skipif(
    not QGIS_PROCESS.exists() and os.environ.get("INSS_REQUIRE_QGIS") != "1",
    reason="QGIS is not installed (apt-get install qgis python3-qgis)",
)


@pytest.fixture
def qgis_env(tmp_path):
    """Environment for headless QGIS with the plugin enabled and the venv's inss-geo configured.

    A fresh HOME holds the QGIS profile; PATH is the system's, because QGIS's embedded Python
    would otherwise pick up the virtual environment's interpreter.
    """
    executable = shutil.which("inss-geo", path=str(Path(sys.executable).parent)) or shutil.which("inss-geo")
    assert executable, "inss-geo is not installed in this environment"
    home = tmp_path / "home"
    profile = home / ".local/share/QGIS/QGIS3/profiles/default/QGIS"
    profile.mkdir(parents=True)
    (profile / "QGIS3.ini").write_text(
        "[PythonPlugins]\ninss_geo_qgis=true\n\n"
        f"[Processing]\nConfiguration\\INSS_GEO_EXECUTABLE={executable}\n"
    )
    runtime = home / "run"
    runtime.mkdir(mode=0o700)
    return {"HOME": str(home), "PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "offscreen",
            "QGIS_PLUGINPATH": str(PLUGIN_DIR), "XDG_RUNTIME_DIR": str(runtime), "LANG": "C.UTF-8", "GDAL_PAM_ENABLED": "NO",
            "INSS_GEO_EXECUTABLE": executable}  # for scripts; the plugin reads the profile's setting
