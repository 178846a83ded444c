"""Faults in the middle of a run: signals, ``kill -9`` and a full disk.

Each synthesis here runs ``inss-geo`` in a child process on the bundled example with small tiles,
so that it is surely still working when the fault comes (after its first progress line).
"""

from __future__ import annotations

import filecmp
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from inss_geo.checkpoint import read_checkpoint
from inss_geo.commands import main

from .conftest import TINY_WIDTHS

EXAMPLE = Path(__file__).resolve().parent.parent / "inss_geo" / "data" / "example_naip_rgb.tif"
CLI = [sys.executable, "-m", "inss_geo"]
#: the CLI with Python's own Ctrl-C handler even where the test runner was started with SIGINT
#: ignored (a background job of a shell without job control), which its children inherit
CLI_CTRL_C = [sys.executable, "-c", "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
              "runpy.run_module('inss_geo', run_name='__main__', alter_sys=True)"]
#: small tiles: many steps, so a fault after the first progress line lands mid-run
SMALL_TILES = ["--tile", "128", "--threads", "1"]


def _synthesize_args(out_dir: Path, *extra: str) -> list[str]:
    return ["synthesize", str(EXAMPLE), "-o", str(out_dir / "hsi.envi"), "--abundance", str(out_dir / "ab.tif"),
            "--abundance-top-k", "4", "--mixing", str(out_dir / "mix.envi"), *SMALL_TILES, *extra]


def _start_and_wait_for_progress(out_dir: Path, *extra: str) -> subprocess.Popen:
    proc = subprocess.Popen(CLI_CTRL_C + _synthesize_args(out_dir, "--progress", "json", *extra),
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    for line in proc.stderr:
        if line.startswith('{"progress"'):
            return proc
    pytest.fail(f"no progress line; exit {proc.wait()}")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_mid_synthesis_leaves_nothing(tmp_path, signum):
    proc = _start_and_wait_for_progress(tmp_path)
    proc.send_signal(signum)
    rest = proc.stderr.read()
    assert proc.wait(timeout=60) == 1, rest
    assert rest.strip().splitlines()[-1] == "Error: interrupted; no output was written"
    assert list(tmp_path.iterdir()) == [], "outputs or temporaries were left behind"


def test_kill_9_mid_synthesis_then_a_rerun_replaces_the_leftovers(tmp_path):
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    killed.mkdir(), clean.mkdir()
    proc = _start_and_wait_for_progress(killed)
    proc.kill()
    proc.wait(timeout=60)
    leftovers = sorted(p.name for p in killed.iterdir())
    assert leftovers and all(".part" in name for name in leftovers), leftovers  # nothing looks complete
    rerun = subprocess.run(CLI + _synthesize_args(killed, "-q"), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert subprocess.run(CLI + _synthesize_args(clean, "-q")).returncode == 0
    names = sorted(p.name for p in clean.iterdir())
    assert sorted(p.name for p in killed.iterdir()) == names, "the killed run's temporaries are still there"
    for name in ("hsi.envi", "ab.tif", "mix.envi", "mix_params.npy"):  # the data, bit for bit
        assert filecmp.cmp(killed / name, clean / name, shallow=False), name


def _train_args(scene_files, out: Path, sensor_csv: str) -> list[str]:
    return ["train", "--scenes", *scene_files[:2], "--out", str(out), "--sensor", sensor_csv, "--widths", TINY_WIDTHS,
            "--crop", "64", "--batch-size", "2", "--steps", "30", "--val-every", "2", "--checkpoint-every", "2",
            "--warmup-steps", "1", "--seed", "5", "--threads", "1", "-q"]


def test_kill_9_mid_training_then_resume_equals_an_uninterrupted_run(tmp_path, scene_files, sensor_csv):
    """Same seed: 30 straight steps == (killed after a checkpoint) + --resume, to 1e-6 absolute."""
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    proc = subprocess.Popen(CLI + _train_args(scene_files, killed, sensor_csv))
    state = killed / "state.pt"
    deadline = time.monotonic() + 120
    while not state.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.kill()
    proc.wait(timeout=60)
    step = read_checkpoint(state)["training_state"]["step"]
    assert 2 <= step < 30, f"the kill came at step {step}: no interruption was tested"
    res = CliRunner().invoke(main, ["train", "--resume", str(killed), "-q"])
    assert res.exit_code == 0, res.output
    assert CliRunner().invoke(main, _train_args(scene_files, straight, sensor_csv)).exit_code == 0
    a = read_checkpoint(straight / "model.pt")["state_dict"]
    b = read_checkpoint(killed / "model.pt")["state_dict"]
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=1e-6, msg=k)
    assert not [p for p in killed.iterdir() if ".part" in p.name]


def _limit_file_size() -> None:
    """Files may not grow past 2 MB, and writing past that is an error (EFBIG), not a kill."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2_000_000, 2_000_000))


def _assert_write_failure(res: subprocess.CompletedProcess, out_dir: Path) -> None:
    lines = res.stderr.strip().splitlines()
    assert res.returncode == 1, res.stderr
    assert lines[-1].startswith("Error: ") and "writing failed, nothing was written" in lines[-1], res.stderr
    assert "Traceback" not in res.stderr
    assert not out_dir.exists() or list(out_dir.iterdir()) == [], "a partial output was left behind"


@pytest.mark.parametrize("outputs", [[], ["--mixing", "mix.envi"]], ids=["while-writing-blocks", "while-opening"])
def test_file_size_limit_is_a_clear_error(tmp_path, outputs):
    """The HSI outgrows the limit block by block; the parameter grid is sized (truncated) when opened."""
    args = ["synthesize", str(EXAMPLE), "-o", "hsi.envi", *outputs, *SMALL_TILES, "-q"]
    res = subprocess.run(CLI + args, capture_output=True, text=True, cwd=tmp_path, preexec_fn=_limit_file_size)
    _assert_write_failure(res, tmp_path)


def _can_mount_tmpfs() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"],
                           capture_output=True)
    return probe.returncode == 0


def _synthesize_on_tmpfs(directory: Path, mount_options: str) -> subprocess.CompletedProcess:
    """Synthesize into ``directory`` with a tmpfs mounted there (in a private mount namespace),
    then list what is left in it on stdout."""
    command = shlex.join(CLI + _synthesize_args(directory, "-q"))
    where = shlex.quote(str(directory))
    script = f"mount -t tmpfs -o {mount_options} tmpfs {where} && {command}; rc=$?; ls -A {where}; exit $rc"
    return subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True)


needs_mounts = pytest.mark.skipif(not _can_mount_tmpfs(), reason="needs user and mount namespaces (unshare -rm)")


@needs_mounts
def test_disk_full_is_a_clear_error(tmp_path):
    """A 3 MB tmpfs cannot hold the outputs: the run must fail cleanly and leave nothing."""
    full = tmp_path / "full"
    full.mkdir()
    res = _synthesize_on_tmpfs(full, "size=3m")
    assert res.stdout == "", f"left in the full directory: {res.stdout}"
    _assert_write_failure(res, full)
    assert "(disk full: " in res.stderr.strip().splitlines()[-1], res.stderr  # not GDAL's "Write failed"


@needs_mounts
def test_read_only_output_directory_is_a_clear_error(tmp_path):
    """chmod does not stop root, so the directory is a read-only mount."""
    ro = tmp_path / "ro"
    ro.mkdir()
    res = _synthesize_on_tmpfs(ro, "ro,size=1m")
    assert res.returncode == 1, res.stderr
    assert res.stderr.strip().splitlines()[-1] == f"Error: {ro / 'hsi.envi'}: output directory {ro} is not writable"
