"""The INSS Processing algorithm in real, headless QGIS (qgis_process and QGIS's Python)."""

import json
import subprocess

import rasterio

from inss_geo.synthesis import default_model_path

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
    res = subprocess.run([str(QGIS_PROCESS), "run", "inss:synthesize", "--", f"INPUT={EXAMPLE}",
                          f"OUTPUT={tmp_path / 'hsi.tif'}"], env=qgis_env, capture_output=True, text=True, timeout=120)
    assert res.returncode != 0
    assert "inss-geo not found: set its path in Processing options" in res.stdout + res.stderr
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
