"""``cli/inss-geo-batch`` over a small archive with a corrupt file among good ones."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import rasterio
from rasterio.windows import Window

from inss_geo.synthesis.pipeline import default_model_path

ROOT = Path(__file__).resolve().parents[2]
BATCH = ROOT / "cli" / "inss-geo-batch"
EXAMPLE = ROOT / "inss_geo" / "data" / "example_naip_rgb.tif"
ENV = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


@pytest.fixture
def archive(tmp_path):
    """Four small real RGB scenes (crops of the shipped example) and one truncated GeoTIFF."""
    d = tmp_path / "archive"
    d.mkdir()
    with rasterio.open(EXAMPLE) as src:
        for k in range(4):
            win = Window(60 * k, 50 * k, 96, 80)
            profile = {**src.profile, "width": 96, "height": 80, "transform": src.window_transform(win)}
            with rasterio.open(d / f"scene{k}.tif", "w", **profile) as dst:
                dst.write(src.read(window=win))
    (d / "broken.tif").write_bytes((d / "scene0.tif").read_bytes()[:3000])
    assert default_model_path().is_file()
    return d


def batch(*args, **kw):
    return subprocess.run([str(BATCH), *map(str, args)], env=ENV, capture_output=True, text=True, timeout=600, **kw)


def test_bad_file_is_reported_and_rerun_recomputes_only_what_is_missing(tmp_path, archive):
    out = tmp_path / "out"
    res = batch("-j", "2", "-o", out, archive, "--", "--dtype", "int16")
    assert res.returncode == 1
    assert "5 scenes: 4 synthesized, 0 already complete, 1 failed" in res.stdout
    assert "FAILED" in res.stdout and "broken.tif" in res.stdout and "cannot be read" in res.stdout
    assert sorted(p.name for p in out.glob("*.envi")) == [f"scene{k}.envi" for k in range(4)]
    assert {p.name for p in (out / "logs").glob("*.log")} == {f"scene{k}.log" for k in range(4)} | {"broken.log"}
    with rasterio.open(out / "scene1.envi") as r:
        assert r.count == 224 and r.dtypes[0] == "int16"

    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.envi")}
    (out / "scene2.envi").unlink()
    res = batch("-j", "2", "-o", out, archive, "--", "--dtype", "int16")
    assert res.returncode == 1 and "1 synthesized, 3 already complete, 1 failed" in res.stdout
    after = {p.name: p.stat().st_mtime_ns for p in out.glob("*.envi")}
    assert all(after[n] == before[n] for n in before if n != "scene2.envi") and "scene2.envi" in after


def test_a_truncated_output_is_not_taken_as_complete(tmp_path, archive):
    out = tmp_path / "out"
    (archive / "broken.tif").unlink()
    assert batch("-o", out, archive).returncode == 0
    data = out / "scene0.envi"
    data.write_bytes(data.read_bytes()[:1000])  # same name, wrong content: the marker no longer matches
    res = batch("-o", out, f"@{_list(tmp_path, archive)}")
    assert res.returncode == 0 and "2 scenes: 1 synthesized, 1 already complete, 0 failed" in res.stdout


def _list(tmp_path, archive) -> Path:
    p = tmp_path / "list.txt"
    p.write_text(f"# two of them\n{archive / 'scene0.tif'}\n\n{archive / 'scene1.tif'}\n")
    return p


def test_interrupted_batch_resumes(tmp_path, archive):
    out = tmp_path / "out"
    (archive / "broken.tif").unlink()
    proc = subprocess.Popen([str(BATCH), "-o", str(out), str(archive / "scene*.tif")], env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.time() + 300
    while not list((out / "logs").glob("*.done")) and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "interrupted" in err
    done = len(list((out / "logs").glob("*.done")))
    assert 1 <= done < 4
    assert not [p for p in out.rglob("*") if ".part" in p.name or p.name.startswith(".batch")], "leftovers"
    res = batch("-o", out, archive / "scene*.tif")
    assert res.returncode == 0 and f"{4 - done} synthesized, {done} already complete, 0 failed" in res.stdout


@pytest.mark.parametrize("args, message", [
    (["-j", "0", "x"], "--jobs must be a positive integer"),
    (["--gpus", "0,a", str(EXAMPLE)], "a is not a GPU index"),
    (["/nonexistent/*.tif"], "no file matches"),
    (["--bogus"], "unknown option"),
    (["--shard", "2/2", str(EXAMPLE)], "I must be less than N"),
    (["--shard", "1of2", str(EXAMPLE)], "--shard must be I/N"),
])
def test_bad_usage_exits_2(args, message, tmp_path):
    res = batch(*args, cwd=tmp_path)
    assert res.returncode == 2 and message in res.stderr


def test_shards_partition_the_archive_and_each_scene_reports_as_it_finishes(tmp_path, archive):
    """Two machines' shards (0/2 and 1/2) together synthesize every good scene once; each
    finished scene prints a line, as JSON with --progress json."""
    import json

    out = tmp_path / "out"
    lines = []
    for i in (0, 1):
        res = batch("--shard", f"{i}/2", "--progress", "json", "-o", out, archive)
        lines += [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    assert sorted(r["scene"] for r in lines) == sorted(str(p) for p in archive.glob("*.tif"))
    assert {r["total"] for r in lines} == {3, 2}  # 5 scenes: indexes 0, 2, 4 and 1, 3
    assert sorted(r["status"] for r in lines) == ["done"] * 4 + ["failed"]
    assert sorted(p.name for p in out.glob("*.envi")) == [f"scene{k}.envi" for k in range(4)]
    res = batch("--shard", "1/2", "-o", out, archive)
    assert "[1/2] skipped" in res.stdout or "[2/2] skipped" in res.stdout
