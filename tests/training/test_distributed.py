"""``torchrun --nproc_per_node 2 -m inss_geo train`` with the gloo backend on the CPU."""

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from inss_geo.checkpoint import read_checkpoint

from ..conftest import TINY_WIDTHS


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_process_gloo_training_writes_one_checkpoint(tmp_path, scene_files, sensor_csv):
    torchrun = shutil.which("torchrun", path=str(Path(sys.executable).parent)) or shutil.which("torchrun")
    assert torchrun, "torchrun comes with torch"
    out = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [torchrun, "--nproc_per_node", "2", "--master_addr", "127.0.0.1", "--master_port", str(_free_port()),
           "-m", "inss_geo", "train", "--scenes", *scene_files[:2], "--val-scenes", scene_files[2],
           "--sensor", sensor_csv, "--out", str(out), "--widths", TINY_WIDTHS, "--crop", "64",
           "--batch-size", "2", "--steps", "3", "--val-every", "3", "--checkpoint-every", "3", "-q"]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.count("wrote") == 1, "only rank 0 reports and writes"
    assert sorted(p.name for p in out.iterdir()) == ["log.jsonl", "model.pt", "state.pt"]
    contract = json.loads(read_checkpoint(out / "model.pt")["contract"])
    assert contract["training"]["world_size"] == 2 and contract["training"]["steps_done"] == 3
    assert len((out / "log.jsonl").read_text().splitlines()) == 1
