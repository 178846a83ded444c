"""Training end to end on tiny synthetic scenes: checkpoints, contract, resume."""

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from inss_geo.checkpoint import load_checkpoint, read_checkpoint
from inss_geo.commands import main
from inss_geo.training.trainer import lr_factor

from ..conftest import TINY_WIDTHS
from ..model.test_inss import _tanh_arguments


def _train_args(scene_files, out, sensor_csv, steps=4, extra=()):
    return ["train", "--scenes", *scene_files[:2], "--val-scenes", scene_files[2], "--out", str(out), "--sensor", sensor_csv,
            "--widths", TINY_WIDTHS, "--crop", "64", "--batch-size", "2", "--steps", str(steps),
            "--val-every", "2", "--checkpoint-every", "2", "--warmup-steps", "1", "--seed", "3", "-q", *extra]


def test_train_writes_checkpoints_with_the_contract(tmp_path, scene_files, sensor_csv):
    out = tmp_path / "run"
    res = CliRunner().invoke(main, _train_args(scene_files, out, sensor_csv))
    assert res.exit_code == 0, res.output
    assert "MPSNR" in res.output and (out / "model.pt").exists() and (out / "state.pt").exists()
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    best = max(log, key=lambda r: r["val"]["standard"]["MPSNR"])
    model, contract = load_checkpoint(out / "model.pt")
    assert contract["training"]["train_scenes"] == ["scene0", "scene1"]
    assert contract["training"]["val_scenes"] == ["scene2"]
    assert contract["training"]["model_step"] == best["step"]  # model.pt: the best validation's weights
    assert read_checkpoint(out / "state.pt")["training_state"]["step"] == 4  # state.pt: the latest
    assert contract["data"]["domain"] == "radiance" and contract["data"]["scale"] == 4095.0
    assert contract["metrics"]["standard"]["MPSNR"] == best["val"]["standard"]["MPSNR"]
    assert contract["metrics"]["paper"]["MPSNR"] > contract["metrics"]["standard"]["MPSNR"]
    assert abs(sum(contract["band_weights"]) - 1) < 1e-6
    stats = contract["data"]["rgb_statistics"]
    assert all(lo < mid < hi for lo, mid, hi in zip(stats["p2"], stats["p50"], stats["p98"]))
    torch.testing.assert_close(model.unet.rgb_mean, torch.tensor(stats["mean"]))  # the input standardisation
    assert [r["step"] for r in log] == [2, 4]
    assert "training_state" not in read_checkpoint(out / "model.pt")
    assert not list(out.glob("*.part"))


def test_resume_matches_an_uninterrupted_run(tmp_path, scene_files, sensor_csv):
    """Batches depend only on (seed, rank, step): 2 + 2 resumed steps == 4 straight steps."""
    straight, split = tmp_path / "straight", tmp_path / "split"
    assert CliRunner().invoke(main, _train_args(scene_files, straight, sensor_csv, steps=4)).exit_code == 0
    args = _train_args(scene_files, split, sensor_csv, steps=4)
    res = CliRunner().invoke(main, args[:-1] + ["--max-minutes", "1e-9", "-q"])  # stops after one step
    assert res.exit_code == 0, res.output
    assert read_checkpoint(split / "state.pt")["training_state"]["step"] == 1
    res = CliRunner().invoke(main, ["train", "--resume", str(split), "-q"])
    assert res.exit_code == 0, res.output
    a = read_checkpoint(straight / "state.pt")["state_dict"]
    b = read_checkpoint(split / "state.pt")["state_dict"]
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6, msg=k)


def test_existing_run_needs_resume(tmp_path, scene_files, sensor_csv):
    out = tmp_path / "run"
    assert CliRunner().invoke(main, _train_args(scene_files, out, sensor_csv, steps=1)).exit_code == 0
    res = CliRunner().invoke(main, _train_args(scene_files, out, sensor_csv, steps=1))
    assert res.exit_code == 1 and "--resume" in res.output


def test_lr_schedule():
    """Warm-up, constant (the paper's schedule), then cosine to 0."""
    assert lr_factor(0, 10, 100, 0.5) == pytest.approx(0.1)
    assert lr_factor(10, 10, 100, 0.5) == pytest.approx(1.0)
    assert lr_factor(49, 10, 100, 0.5) == pytest.approx(1.0)
    assert lr_factor(75, 10, 100, 0.5) == pytest.approx(0.5)
    assert lr_factor(100, 10, 100, 0.5) == pytest.approx(0.0)
    assert lr_factor(55, 10, 100) == pytest.approx(0.5)


def test_a_short_training_learns_and_keeps_the_mixing_unsaturated(tmp_path, scene_files, sensor_csv):
    """60 steps on the synthetic scenes raise the held-out standard MPSNR well above the
    initialisation's (the old recipe's model barely moved from it), and most of the orders' tanh
    arguments stay where it has a gradient."""
    scores = {}
    for name, steps, extra in (("init", 1, ["--lr", "1e-12", "--lr-transform", "1e-12", "--lr-signature", "1e-12"]),
                               ("trained", 60, [])):
        out = tmp_path / name
        args = _train_args(scene_files, out, sensor_csv, steps=steps, extra=extra)
        args[args.index("--val-every") + 1] = "20"
        res = CliRunner().invoke(main, args)
        assert res.exit_code == 0, res.output
        log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
        scores[name] = max(r["val"]["standard"]["MPSNR"] for r in log)
    assert scores["trained"] - scores["init"] > MPSNR_GAIN_DB, scores
    model, _ = load_checkpoint(tmp_path / "trained" / "model.pt")
    held_out = np.load(scene_files[2])["cube"][:64, :64].transpose(2, 0, 1) / 4095
    rgb = torch.from_numpy(held_out[list(model.projection.rgb_index)].astype(np.float32))[None]
    with torch.no_grad():
        for z in _tanh_arguments(model, rgb):
            # most arguments keep a gradient (tanh' > 0.01 below |z| = 3); measured 58% and 100%
            # for orders 2 and 3 (the old default model: about 1%)
            assert (z.abs() < 3).float().mean() > 0.5


#: what 60 steps must add to the initialisation's held-out standard MPSNR: measured 1.36 dB
#: (28.47 to 29.83 dB; the consistency step already makes the initial RGB channels exact)
MPSNR_GAIN_DB = 0.75
