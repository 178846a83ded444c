"""The shipped default model: its contract, and ``synthesize`` with no option but the output."""

import json

import numpy as np
import rasterio
import spectral
from click.testing import CliRunner
from rasterio.windows import Window

from inss_geo.checkpoint import read_checkpoint
from inss_geo.commands import main
from inss_geo.spectra.sensors import aviris_classic
from inss_geo.synthesis.pipeline import default_model_path

EXAMPLE = default_model_path().parents[2] / "inss_geo" / "data" / "example_naip_rgb.tif"


def test_contract_maps_any_rgb_onto_training_range():
    contract = json.loads(read_checkpoint(default_model_path())["contract"])
    stats = contract["data"]["rgb_statistics"]
    assert contract["data"]["domain"] == "radiance" and len(contract["sensor"]["wavelengths_nm"]) == 224
    for lo, mid, hi in zip(stats["p2"], stats["p50"], stats["p98"], strict=True):
        assert 0 < lo < mid < hi < 1


def test_synthesize_needs_no_option_but_the_output(tmp_path):
    crop = tmp_path / "crop.tif"
    with rasterio.open(EXAMPLE) as src:
        profile = {**src.profile, "width": 96, "height": 96, "transform": src.window_transform(Window(10, 20, 96, 96))}
        with rasterio.open(crop, "w", **profile) as dst:
            dst.write(src.read(window=Window(10, 20, 96, 96)))
    out = tmp_path / "out.envi"
    res = CliRunner().invoke(main, ["synthesize", str(crop), "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    with rasterio.open(crop) as src, rasterio.open(out) as hsi:
        assert hsi.crs == src.crs and hsi.transform == src.transform and hsi.count == 224
        cube = hsi.read(out_dtype="float32") * float(hsi.tags()["scale_factor"]) if "scale_factor" in hsi.tags() else hsi.read()
    assert np.isfinite(cube).all() and cube.std() > 0
    image = spectral.open_image(f"{out}.hdr")
    assert image.metadata["description"] == str(out.resolve())
    np.testing.assert_allclose(image.bands.centers, aviris_classic().wavelengths_nm, atol=1e-3)


CROP = EXAMPLE.parents[2] / "tests" / "data" / "abu_airport_2_crop48.npz"


def test_quality_floor_on_a_real_test_scene():
    """A 48 x 48 crop of abu-airport-2, a scene the model never saw: measured 28.59 dB standard
    MPSNR and SAM 0.055 (the old default model scored 18.3 dB on the whole scene; the ridge
    baseline scores 23.25 dB and 0.175 on this crop)."""
    from inss_geo.training.evaluation import evaluate_checkpoint

    res = evaluate_checkpoint(str(default_model_path()), [str(CROP)], sensor="aviris-classic")["mean"]
    assert res["standard"]["MPSNR"] > 26.0 and res["standard"]["SAM"] < 0.08
    assert res["band_groups"]["VIS"] > 40.0


def test_the_shipped_mixing_is_unsaturated_on_real_data():
    """The orders' tanh arguments on the real crop: median |z| 8e-5 and 2e-3 (the old default
    model: 16-18, where tanh's gradient is 0)."""
    import torch

    from inss_geo.checkpoint import load_checkpoint
    from inss_geo.training.scenes import load_scene

    from .model.test_inss import _tanh_arguments

    model, _ = load_checkpoint(default_model_path())
    sensor = aviris_classic()
    cube = load_scene(str(CROP), sensor, sensor_given=True).on_sensor(sensor) / 4095
    with torch.no_grad():
        for z in _tanh_arguments(model, torch.from_numpy(cube[list(sensor.rgb)][:, :32, :32].copy())[None]):
            assert z.abs().median() < 1


def test_the_example_keeps_its_colours_and_edges_and_the_mixing_varies(tmp_path):
    """The bundled NAIP photo (an extrapolation: the model saw only AVIRIS radiance): the HSI at
    the RGB channels correlates with the input's R, G, B, its visible edges with the input's,
    and the order-2 contribution varies in space (the old model's was a constant 0.1)."""
    out, mix = tmp_path / "out.envi", tmp_path / "mix.envi"
    res = CliRunner().invoke(main, ["synthesize", str(EXAMPLE), "-o", str(out), "--mixing", str(mix),
                                    "--progress", "json"])
    assert res.exit_code == 0, res.output
    summary = next(json.loads(line)["consistency"] for line in res.output.splitlines()
                   if line.startswith('{"consistency"'))
    assert min(summary["rgb_r_red"], summary["rgb_r_green"], summary["rgb_r_blue"]) >= 0.9
    assert summary["edge_r"] >= 0.8
    with rasterio.open(mix) as contributions:
        order2 = contributions.read(1)
    assert order2.std() / order2.mean() >= 0.05
