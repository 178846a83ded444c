"""Every ``--method`` trains, evaluates and synthesizes a georeferenced raster (tiny budget)."""

import json

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner
from rasterio.transform import from_origin

from inss_geo.checkpoint import load_checkpoint
from inss_geo.commands import main
from inss_geo.commands.train import METHOD_HELP
from inss_geo.model.methods import METHODS

from ..conftest import TINY_WIDTHS


def _train(method, scene_files, sensor_csv, out, *extra):
    inss = ["--widths", TINY_WIDTHS] if method in ("inss", "lmm") else []
    return CliRunner().invoke(main, ["train", "--method", method, "--scenes", *scene_files[:2], "--val-scenes",
                                     scene_files[2], "--out", str(out), "--sensor", sensor_csv, *inss, "--crop", "64",
                                     "--batch-size", "2", "--steps", "2", "--val-every", "2", "-q", *extra])


@pytest.fixture
def rgb(tmp_path):
    p = tmp_path / "rgb.tif"
    data = np.random.default_rng(0).integers(1, 255, (3, 90, 110), dtype=np.uint8)
    with rasterio.open(p, "w", driver="GTiff", width=110, height=90, count=3, dtype="uint8", crs="EPSG:32614",
                       transform=from_origin(487400, 5208245, 5, 5)) as dst:
        dst.write(data)
    return p


def test_train_help_lists_every_method():
    assert list(METHOD_HELP) == list(METHODS)
    res = CliRunner().invoke(main, ["train", "--help"])
    assert all(f"{m}:" in res.output for m in METHODS)


@pytest.mark.parametrize("method", ["lmm", "ridge", "hscnn", "hsrnet", "fmnet", "r2hgan"])
def test_each_method_trains_evaluates_and_synthesizes(method, tmp_path, scene_files, sensor_csv, rgb):
    run = tmp_path / "run"
    res = _train(method, scene_files, sensor_csv, run)
    assert res.exit_code == 0, res.output
    model, contract = load_checkpoint(run / "model.pt")
    assert contract["method"] == method and (contract["receptive_radius_px"] > 0) == (method != "ridge")
    options = contract["training"]["spec"]["options"]
    assert options["weights"]["adversarial"] == (0.01 if method in ("lmm", "r2hgan") else 0.0)
    if method == "lmm":
        assert model.config.order == 1
    report = tmp_path / "m.json"
    res = CliRunner().invoke(main, ["evaluate", "--model", str(run / "model.pt"), "--scenes", scene_files[2],
                                    "--sensor", sensor_csv, "--json", str(report)])
    assert res.exit_code == 0, res.output
    assert np.isfinite(json.loads(report.read_text())["mean"]["standard"]["MPSNR"])
    tiles = {}
    for tile in (64, 256):  # blocks of 64 with the model's margin, and the whole image in one block
        out = tmp_path / f"hsi{tile}.tif"
        res = CliRunner().invoke(main, ["synthesize", str(rgb), "-o", str(out), "--model", str(run / "model.pt"),
                                        "--tile", str(tile), "-q"])
        assert res.exit_code == 0, res.output
        with rasterio.open(rgb) as src, rasterio.open(out) as hsi:
            assert hsi.crs == src.crs and hsi.transform == src.transform and hsi.count == 24
            tiles[tile] = hsi.read()
    np.testing.assert_allclose(tiles[64], tiles[256], rtol=1e-4, atol=1e-4 * np.abs(tiles[256]).max())


def test_comparison_networks_refuse_abundance_and_mixing_outputs(tmp_path, scene_files, sensor_csv, rgb):
    run = tmp_path / "run"
    assert _train("hscnn", scene_files, sensor_csv, run).exit_code == 0
    res = CliRunner().invoke(main, ["synthesize", str(rgb), "-o", str(tmp_path / "o.tif"), "--model", str(run / "model.pt"),
                                    "--abundance", str(tmp_path / "a.tif")])
    assert res.exit_code != 0 and "abundances and mixing come from INSS models" in res.output
    assert not (tmp_path / "o.tif").exists()


def test_inss_architecture_options_are_refused_for_other_methods(tmp_path, scene_files, sensor_csv):
    res = _train("hscnn", scene_files, sensor_csv, tmp_path / "a", "--order", "2")
    assert res.exit_code == 2 and "--order" in res.output
    res = _train("lmm", scene_files, sensor_csv, tmp_path / "b", "--order", "3")
    assert res.exit_code != 0 and "order 1" in res.output
