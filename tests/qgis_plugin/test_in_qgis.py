"""The INSS Processing algorithm in real, headless QGIS (qgis_process and QGIS's Python)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import rasterio

from inss_geo.synthesis.pipeline import default_model_path

from .conftest import PLUGIN_DIR, QGIS_PROCESS, QGIS_PYTHON, requires_qgis

EXAMPLE = default_model_path().parents[2] / "inss_geo" / "data" / "example_naip_rgb.tif"


@requires_qgis
def test_qgis_process_runs_the_algorithm_on_the_example(tmp_path, qgis_env):
    listed = subprocess.run([str(QGIS_PROCESS), "list"], env=qgis_env, capture_output=True, text=True, timeout=120)
    assert "inss:synthesize" in listed.stdout, listed.stderr[-2000:]
    hsi, ab = tmp_path / "hsi.tif", tmp_path / "abundance.tif"
    res = subprocess.run([str(QGIS_PROCESS), "--json", "run", "inss:synthesize", "--", f"INPUT={EXAMPLE}",
                          f"OUTPUT={hsi}", f"ABUNDANCE={ab}", "ABUNDANCE_TOP_K=4"],
                         env=qgis_env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    results = json.loads(res.stdout[res.stdout.index("{"):])["results"]
    assert results["OUTPUT"] == str(hsi) and results["ABUNDANCE"] == str(ab)
    with rasterio.open(EXAMPLE) as src, rasterio.open(hsi) as h, rasterio.open(ab) as a:
        assert h.crs == src.crs and h.transform == src.transform and h.count == 224
        assert a.crs == src.crs and a.count == 8  # top 4 fractions + their indices


@requires_qgis
def test_missing_executable_is_a_clear_error(tmp_path, qgis_env):
    ini = tmp_path / "home/.local/share/QGIS/QGIS3/profiles/default/QGIS/QGIS3.ini"
    ini.write_text(ini.read_text().replace("INSS_GEO_EXECUTABLE=", f"INSS_GEO_EXECUTABLE={tmp_path}/nowhere/"))
    env = {k: v for k, v in qgis_env.items() if k != "INSS_GEO_EXECUTABLE"}
    res = subprocess.run([str(QGIS_PROCESS), "run", "inss:synthesize", "--", f"INPUT={EXAMPLE}",
                          f"OUTPUT={tmp_path / 'hsi.tif'}"], env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode != 0
    assert "inss-geo not found: set the INSS_GEO_EXECUTABLE environment variable" in res.stdout + res.stderr
    assert not (tmp_path / "hsi.tif").exists()


@requires_qgis
def test_cancel_mid_run_leaves_no_output(tmp_path, qgis_env):
    out = tmp_path / "out" / "hsi.envi"
    out.parent.mkdir()
    script = PLUGIN_DIR.parent / "tests" / "qgis_plugin" / "run_and_cancel.py"
    env = {**qgis_env, "PYTHONPATH": str(PLUGIN_DIR)}
    executable = qgis_env["INSS_GEO_EXECUTABLE"]
    res = subprocess.run([str(QGIS_PYTHON), str(script), str(EXAMPLE), str(out), executable], env=env, capture_output=True,
                         text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    report = json.loads(res.stdout.strip().splitlines()[-1])
    assert not report["ok"] and any("Canceled" in e for e in report["errors"]), report
    assert 0 < max(report["progress"]) < 100, "cancelled after the first tile, before the end"
    assert list(out.parent.iterdir()) == [], "no output and no temporary files"


@requires_qgis
def test_the_readme_headless_recipe_runs_as_written(tmp_path):
    """The README's headless recipe, run by bash with the virtual environment active (its PATH
    first) and a fresh HOME: no profile setting, only what the recipe exports."""
    readme = (PLUGIN_DIR.parent / "README.md").read_text()
    recipe = readme.split("<!-- qgis-headless -->")[1].split("```bash")[1].split("```")[0]
    recipe = recipe.replace("/path/to/inss-geo", str(PLUGIN_DIR.parent))
    shutil.copy(EXAMPLE, tmp_path / "scene.tif")
    (tmp_path / "home").mkdir()
    venv_bin = str(Path(sys.executable).parent)
    env = {"HOME": str(tmp_path / "home"), "PATH": f"{venv_bin}:/usr/bin:/bin", "VIRTUAL_ENV": str(Path(venv_bin).parent),
           "LANG": "C.UTF-8"}
    res = subprocess.run(["bash", "-e", "-c", recipe], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    with rasterio.open(tmp_path / "hsi.tif") as hsi:
        assert hsi.count == 224 and hsi.crs is not None
