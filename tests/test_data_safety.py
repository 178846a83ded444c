"""Nothing a user owns is ever lost: outputs never replace an input, another output or another
raster's sidecar; refusals come before any work, in one line, and leave every file as it was.
Lying or odd inputs and bad checkpoints are refused, and late signals never crash a run.

Every case runs the real command line in a child process on real files.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import rasterio
import torch
from rasterio.transform import from_origin

from inss_geo.synthesis.pipeline import default_model_path

from .conftest import TINY_WIDTHS
from .test_faults import CLI, CLI_CTRL_C, EXAMPLE

UTM = {"crs": "EPSG:32614", "transform": from_origin(487400, 5208245, 5, 5)}


def _rgb(path: Path, driver: str = "GTiff", **kw) -> Path:
    data = np.random.default_rng(0).integers(1, 200, (3, 40, 48)).astype("uint8")
    with rasterio.open(path, "w", driver=driver, width=48, height=40, count=3, dtype="uint8", **UTM, **kw) as dst:
        dst.write(data)
    return path


def _digests(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (links followed) and its content's hash."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _refused(args: list[str], folder: Path, *fragments: str, timeout: float = 120) -> None:
    """The command exits 1 with one ``Error:`` line holding ``fragments`` and changes nothing in
    ``folder``: no file added, removed or altered."""
    before = _digests(folder)
    res = subprocess.run(CLI + args, capture_output=True, text=True, timeout=timeout)
    lines = [line for line in res.stderr.strip().splitlines() if line.strip()]
    assert res.returncode == 1, res.stderr
    assert lines and lines[-1].startswith("Error:") and "Traceback" not in res.stderr, res.stderr
    for f in fragments:
        assert f in lines[-1], lines[-1]
    assert _digests(folder) == before


@pytest.fixture
def work(tmp_path):
    d = tmp_path / "w"
    d.mkdir()
    _rgb(d / "in.tif")
    return d


@pytest.mark.parametrize("option", ["-o", "--abundance", "--rgb-residual"])
def test_overwrite_never_replaces_the_input(work, option):
    args = ["synthesize", str(work / "in.tif"), "--overwrite", "-q"]
    args += ["-o", str(work / "in.tif")] if option == "-o" else ["-o", str(work / "out.tif"), option, str(work / "in.tif")]
    _refused(args, work, "an input of this run")


def test_overwrite_never_replaces_the_input_through_a_link(work):
    (work / "alias.tif").symlink_to(work / "in.tif")
    _refused(["synthesize", str(work / "in.tif"), "-o", str(work / "alias.tif"), "--overwrite", "-q"], work,
             "an input of this run")


def test_an_envi_inputs_header_is_an_input(work):
    """-o scene --format envi writes scene.hdr: for the ENVI input scene.bil, that is its header."""
    _rgb(work / "scene.bil", driver="ENVI", interleave="bil")
    assert (work / "scene.hdr").exists()
    _refused(["synthesize", str(work / "scene.bil"), "-o", str(work / "scene"), "--format", "envi", "--overwrite", "-q"],
             work, "scene.hdr, an input of this run")


def test_another_rasters_header_is_never_replaced_or_removed(work):
    """An unrelated ENVI scene.bil + scene.hdr beside the outputs: -o scene --format envi is
    refused even with --overwrite (scene.hdr is not its header); -o scene.envi writes
    scene.envi.hdr, which GDAL and SPy read for it, and -o scene.tif, new or replaced, keeps
    scene.hdr too."""
    _rgb(work / "scene.bil", driver="ENVI", interleave="bil")
    header = (work / "scene.hdr").read_bytes()
    _refused(["synthesize", str(work / "in.tif"), "-o", str(work / "scene"), "--format", "envi", "--overwrite", "-q"],
             work, "scene.hdr exists and belongs to another raster")
    for out, extra in (("scene.tif", []), ("scene.tif", ["--overwrite"]), ("scene.envi", [])):
        res = subprocess.run(CLI + ["synthesize", str(work / "in.tif"), "-o", str(work / out), "-q", *extra],
                             capture_output=True, text=True)
        assert res.returncode == 0, res.stderr
        assert (work / "scene.hdr").read_bytes() == header
    with rasterio.open(work / "scene.envi") as r:
        assert r.count == 224 and f"{work / 'scene.envi'}.hdr" in r.files


@pytest.mark.parametrize("clash", ["abundance-is-hsi", "mixing-is-hsi", "residual-is-abundance"])
def test_outputs_must_differ_from_each_other(work, clash):
    o = str(work / "x.envi")
    args = {"abundance-is-hsi": ["-o", o, "--abundance", o],
            "mixing-is-hsi": ["-o", o, "--mixing", o],
            "residual-is-abundance": ["-o", o, "--abundance", str(work / "a.tif"), "--rgb-residual", str(work / "a.tif")]}
    _refused(["synthesize", str(work / "in.tif"), *args[clash], "--overwrite", "-q"], work, "would both write")


def test_train_never_replaces_a_model(tmp_path, scene_files, sensor_csv):
    run = tmp_path / "run"
    run.mkdir()
    (run / "model.pt").write_bytes(b"someone's model")
    _refused(["train", "--scenes", *scene_files[:2], "--out", str(run), "--sensor", sensor_csv, "--widths", TINY_WIDTHS,
              "--steps", "1", "--batch-size", "2", "-q"], tmp_path, "already holds model.pt")


def test_evaluate_json_never_replaces_a_file_or_an_input(tmp_path, scene_files):
    model = default_model_path()
    (tmp_path / "report.json").write_text("{}")
    base = ["evaluate", "--scenes", scene_files[2]]
    _refused([*base, "--json", str(tmp_path / "report.json")], tmp_path, "exists; use --overwrite")
    _refused([*base, "--model", str(model), "--json", str(model), "--overwrite"], model.parent, "an input of this run")
    start = time.monotonic()
    _refused([*base, "--json", str(tmp_path / "gone" / "r.json")], tmp_path, "does not exist")
    assert time.monotonic() - start < 30  # refused before any work


def test_unusable_output_paths_are_refused_with_their_reason(work):
    (work / "afile").write_text("x")
    _refused(["synthesize", str(work / "in.tif"), "-o", str(work / "afile" / "out.tif"), "-q"], work,
             "is a file, not a directory")
    _refused(["synthesize", str(work / "in.tif"), "-o", str(work / ("n" * 240 + ".tif")), "-q"], work,
             "file name too long")


def test_a_header_that_claims_more_than_the_file_holds(work):
    """A 12 KB ENVI file whose header says 5000 x 5000: refused at once, not computed on zeros."""
    (work / "big.img").write_bytes(b"\x01" * 12_000)
    (work / "big.hdr").write_text("ENVI\nsamples = 5000\nlines = 5000\nbands = 3\nheader offset = 0\n"
                                  "file type = ENVI Standard\ndata type = 1\ninterleave = bsq\nbyte order = 0\n")
    start = time.monotonic()
    _refused(["synthesize", str(work / "big.img"), "-o", str(work / "out.envi"), "-q"], work, "its header describes")
    assert time.monotonic() - start < 30


def test_a_lying_header_is_refused_as_a_training_scene_too(work):
    (work / "big.img").write_bytes(b"\x01" * 12_000)
    (work / "big.hdr").write_text("ENVI\nsamples = 5000\nlines = 5000\nbands = 3\nheader offset = 0\n"
                                  "file type = ENVI Standard\ndata type = 1\ninterleave = bsq\nbyte order = 0\n")
    _refused(["evaluate", "--scenes", str(work / "big.img"), "--sensor", "aviris-classic"], work, "its header describes")


@pytest.mark.parametrize("command", ["synthesize", "evaluate"])
def test_a_fifo_is_refused_not_waited_on(work, command):
    os.mkfifo(work / "pipe.tif")
    args = (["synthesize", str(work / "pipe.tif"), "-o", str(work / "out.envi"), "-q"] if command == "synthesize"
            else ["evaluate", "--scenes", str(work / "pipe.tif")])
    _refused(args, work, "not a regular file", timeout=60)


@pytest.mark.parametrize("fault", ["nan", "inf", "no-data-section"])
def test_a_broken_checkpoint_is_refused_at_load(work, fault):
    payload = torch.load(default_model_path(), weights_only=True)
    if fault == "no-data-section":
        contract = json.loads(payload["contract"])
        del contract["data"]
        payload["contract"] = json.dumps(contract)
    else:
        payload["state_dict"]["t"] = payload["state_dict"]["t"].clone()
        payload["state_dict"]["t"][3] = float(fault)
    torch.save(payload, work / "bad.pt")
    _refused(["synthesize", str(work / "in.tif"), "-o", str(work / "out.envi"), "--model", str(work / "bad.pt"), "-q"],
             work, "bad.pt", "NaN or infinite" if fault != "no-data-section" else "incomplete")


def test_train_stops_on_sigterm_with_one_line_and_resumes(tmp_path, scene_files, sensor_csv):
    run = tmp_path / "run"
    args = ["train", "--scenes", *scene_files[:2], "--out", str(run), "--sensor", sensor_csv, "--widths", TINY_WIDTHS,
            "--crop", "64", "--batch-size", "2", "--steps", "100000", "--checkpoint-every", "1", "--threads", "1", "-q"]
    proc = subprocess.Popen(CLI + args, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 120
    while not (run / "state.pt").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 1, err
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert lines[-1] == f"Error: interrupted; continue from the last checkpoint with: inss-geo train --resume {run}"
    assert "Traceback" not in err and not list(run.glob("*.part*"))
    step = torch.load(run / "state.pt", weights_only=True)["training_state"]["step"]
    assert step >= 1
    res = subprocess.run(CLI + ["train", "--resume", str(run), "--max-minutes", "1e-9", "-q"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert torch.load(run / "state.pt", weights_only=True)["training_state"]["step"] == step + 1


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signals_during_the_final_write_out_never_crash_or_leave_temporaries(tmp_path, signum):
    """Signals every 20 ms from late in a run (its last tiles, or its last progress line: the
    write-out) until it exits: never a segfault (closing a dataset under the writer thread's
    write crashed GDAL), never a .part file, and either all outputs complete (the signal came
    during the commit or later) or none and the interrupt message."""
    args = ["synthesize", str(EXAMPLE), "-o", "hsi.envi", "--abundance", "ab.tif", "--abundance-top-k", "4",
            "--mixing", "mix.envi", "--tile", "128", "--threads", "1", "--progress", "json"]
    clean = tmp_path / "clean"
    clean.mkdir()
    assert subprocess.run(CLI + args, cwd=clean, capture_output=True).returncode == 0
    names = sorted(p.name for p in clean.iterdir())
    for k, start_at in enumerate((90.0, 100.0, 100.0)):
        d = tmp_path / f"run{k}"
        d.mkdir()
        proc = subprocess.Popen(CLI_CTRL_C + args, cwd=d, stderr=subprocess.PIPE, text=True)
        for line in proc.stderr:
            if line.startswith('{"progress"') and json.loads(line)["progress"] >= start_at:
                break
        if k == 2:
            time.sleep(0.05)  # into the write-out itself
        while proc.poll() is None:
            proc.send_signal(signum)
            time.sleep(0.02)
        err = proc.stderr.read()
        # -11 was the segfault; -signum: a signal came after the command had ended, while the
        # interpreter exited (its default action then ends the process)
        assert proc.returncode in (0, 1, -signum), (proc.returncode, err)
        left = sorted(p.name for p in d.iterdir())
        assert not [n for n in left if ".part" in n], left
        said = (err.strip().splitlines() or [""])[-1]
        if said == "Error: interrupted; no output was written":
            assert left == [] and proc.returncode != 0, (proc.returncode, err)
        else:
            assert left == names and proc.returncode in (0, -signum), (proc.returncode, err)


def test_geotiff_blocks_fit_the_raster(work):
    """--tile far larger than the raster: blocks no larger than the raster (rounded up to 16),
    so the file is the size of its data (a 384-px raster in 4096-px blocks was 15 GB)."""
    out = work / "out.tif"
    res = subprocess.run(CLI + ["synthesize", str(work / "in.tif"), "-o", str(out), "--tile", "1024",
                                "-q"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    with rasterio.open(out) as r:
        assert r.block_shapes[0] == (48, 48)  # 40 x 48 pixels
        data_bytes = r.count * r.width * r.height * 4
    assert out.stat().st_size < 1.5 * data_bytes
