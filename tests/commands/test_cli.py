"""The command line: tables, JSON, and one-line errors with a non-zero exit for bad input."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from inss_geo.commands import main

from ..conftest import TINY_WIDTHS


def _run(args):
    return CliRunner().invoke(main, args)


def _one_line_error(res, *fragments):
    assert res.exit_code != 0
    lines = [line for line in res.output.strip().splitlines() if line.strip()]
    assert lines and lines[-1].startswith("Error:"), res.output
    assert "Traceback" not in res.output
    for f in fragments:
        assert f in lines[-1], lines[-1]


@pytest.fixture
def trained(tmp_path, scene_files, sensor_csv):
    out = tmp_path / "run"
    res = _run(["train", "--scenes", *scene_files[:2], "--out", str(out), "--sensor", sensor_csv,
                "--widths", TINY_WIDTHS, "--crop", "64", "--batch-size", "2", "--steps", "2", "-q"])
    assert res.exit_code == 0, res.output
    return out / "model.pt"


def test_evaluate_prints_both_conventions_and_writes_json(tmp_path, trained, scene_files):
    out = tmp_path / "metrics.json"
    res = _run(["evaluate", "--model", str(trained), "--scenes", scene_files[2], "--json", str(out)])
    assert res.exit_code == 0, res.output
    assert "[paper]" in res.output and "[standard]" in res.output and "65535" in res.output
    assert "scene2" in res.output and "MPSNR" in res.output
    data = json.loads(out.read_text())
    assert set(data["mean"]) == {"paper", "standard", "band_groups", "consistency"}
    assert set(data["mean"]["band_groups"]) == {"VIS", "NIR", "SWIR"}
    assert 0.5 < data["mean"]["consistency"]["rgb_r_red"] <= 1 + 1e-9
    assert data["trained_on"] == ["scene0", "scene1"]
    assert data["scenes"]["scene2"]["channels_scored"] == 22  # 24 minus the 1.4 and 1.9 um water channels
    assert data["mean"]["paper"]["MPSNR"] > data["mean"]["standard"]["MPSNR"]


def test_ridge_baseline_is_chosen_on_validation_and_compared_side_by_side(tmp_path, trained, scene_files, sensor_csv):
    """train --method ridge fits in closed form, picks its penalty on --val-scenes, and evaluate
    prints it beside INSS; synthesize refuses it with one line."""
    ridge = tmp_path / "ridge"
    res = _run(["train", "--method", "ridge", "--scenes", scene_files[0], "--val-scenes", scene_files[1],
                "--sensor", sensor_csv, "--out", str(ridge)])
    assert res.exit_code == 0 and "ridge penalty" in res.output, res.output
    log = [json.loads(line) for line in (ridge / "log.jsonl").read_text().splitlines()]
    chosen = [r for r in log if r["chosen"]]
    assert len(log) > 3 and len(chosen) == 1
    assert chosen[0]["val_standard_MPSNR"] == max(r["val_standard_MPSNR"] for r in log)
    out = tmp_path / "both.json"
    res = _run(["evaluate", "--model", str(trained), "--model", str(ridge / "model.pt"), "--scenes", scene_files[2],
                "--json", str(out)])
    assert res.exit_code == 0, res.output
    assert "(ridge)" in res.output and "(inss o3)" in res.output and "edge r" in res.output
    both = json.loads(out.read_text())
    assert [r["method"] for r in both] == ["inss", "ridge"]
    assert both[1]["mean"]["standard"]["MPSNR"] > 15  # a quadratic fit of mixed spectra is good
    _one_line_error(_run(["synthesize", scene_files[2], "-o", str(tmp_path / "x.envi"), "--model",
                          str(ridge / "model.pt"), "--abundance", str(tmp_path / "a.tif")]), "a ridge model synthesizes the HSI alone")
    _one_line_error(_run(["train", "--method", "ridge", "--scenes", scene_files[0], "--sensor", sensor_csv,
                          "--out", str(tmp_path / "r2")]), "--val-scenes")


def test_evaluate_refuses_a_checkpoint_from_another_sensor(trained, tmp_path):
    np.savez(tmp_path / "av.npz", cube=np.ones((64, 64, 224), dtype=np.float32))
    res = _run(["evaluate", "--model", str(trained), "--scenes", str(tmp_path / "av.npz"), "--sensor", "aviris-classic"])
    _one_line_error(res, "test24", "aviris-classic-2014")


def test_evaluate_refuses_a_file_that_is_not_a_checkpoint(tmp_path, scene_files):
    bad = tmp_path / "model.pt"
    bad.write_text("hello")
    _one_line_error(_run(["evaluate", "--model", str(bad), "--scenes", scene_files[0]]), "model.pt", "not an inss-geo checkpoint")


def test_scene_without_wavelengths_needs_sensor(tmp_path):
    np.savez(tmp_path / "x.npz", cube=np.ones((64, 64, 224), dtype=np.float32))
    res = _run(["train", "--scenes", str(tmp_path / "x.npz"), "--out", str(tmp_path / "r")])
    _one_line_error(res, "x.npz", "--sensor")
    assert not (tmp_path / "r").exists()


def test_channel_count_mismatch_names_both_counts(tmp_path):
    np.savez(tmp_path / "x.npz", cube=np.ones((64, 64, 200), dtype=np.float32))
    res = _run(["train", "--scenes", str(tmp_path / "x.npz"), "--out", str(tmp_path / "r"), "--sensor", "aviris-classic"])
    _one_line_error(res, "200 bands", "224 channels")


def test_unreadable_scene_is_named(tmp_path):
    bad = tmp_path / "broken.envi"
    bad.write_bytes(b"\x00\x01garbage")
    _one_line_error(_run(["train", "--scenes", str(bad), "--out", str(tmp_path / "r")]), "broken.envi")


def test_wrong_option_values(tmp_path, scene_files):
    res = _run(["train", "--scenes", scene_files[0], "--out", str(tmp_path / "r"), "--crop", "16"])
    assert res.exit_code == 2 and "--crop" in res.output
    res = _run(["train", "--scenes", scene_files[0], "--out", str(tmp_path / "r"), "--device", "tpu"])
    assert res.exit_code == 2 and "--device" in res.output
    _one_line_error(_run(["train", "--out", str(tmp_path / "r")]), "--scenes")


def test_library_info_and_export(tmp_path):
    res = _run(["library", "info", "--chapters", "Vegetation"])
    assert res.exit_code == 0 and "72 spectra on 224 channels" in res.output
    res = _run(["library", "info", "--json"])
    assert json.loads(res.output)["n_spectra"] == 345
    out = tmp_path / "lib.csv"
    res = _run(["library", "export", str(out), "--chapters", "Liquids"])
    assert res.exit_code == 0 and len(out.read_text().splitlines()) == 15
    _one_line_error(_run(["library", "export", str(out)]), "--overwrite")
    csv = tmp_path / "s.csv"
    csv.write_text("wavelength_nm\n" + "\n".join(str(w) for w in range(450, 950, 50)))
    res = _run(["library", "export", str(tmp_path / "lib10.csv"), "--sensor", str(csv)])
    assert res.exit_code == 0 and "345 spectra x 10 channels" in res.output
