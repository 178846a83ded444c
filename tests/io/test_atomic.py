"""Temporaries: renamed into place only when complete; a killed process's are recognised."""

import os
import subprocess
import sys

import pytest

from inss_geo.io.atomic import atomic_path, remove_abandoned, temp_prefix


def test_atomic_path_renames_on_success_and_removes_on_failure(tmp_path):
    final = tmp_path / "model.pt"
    with atomic_path(final) as tmp:
        assert tmp.name.startswith(temp_prefix(final)) and tmp.name.endswith(".part")
        tmp.write_text("done")
    assert final.read_text() == "done"
    with pytest.raises(KeyboardInterrupt), atomic_path(tmp_path / "other.pt") as tmp:
        tmp.write_text("half")
        raise KeyboardInterrupt
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]


def test_only_temporaries_of_dead_processes_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    final = tmp_path / "hsi.envi"
    abandoned = tmp_path / f".hsi.envi.{dead_pid}.x1.part"
    abandoned.mkdir()
    (abandoned / "hsi.envi").write_bytes(b"half")
    abandoned_file = tmp_path / f".hsi.envi.{dead_pid}.stitch-x2.part"
    abandoned_file.write_bytes(b"")
    running = tmp_path / f".hsi.envi.{os.getpid()}.x3.part"
    running.mkdir()
    unrelated = [tmp_path / f".hsi.envi.x.{dead_pid}.part", tmp_path / f".other.envi.{dead_pid}.x.part", final]
    for p in unrelated:
        p.write_bytes(b"")
    assert sorted(remove_abandoned(final)) == sorted([abandoned, abandoned_file])
    assert sorted(tmp_path.iterdir()) == sorted([running, *unrelated])
