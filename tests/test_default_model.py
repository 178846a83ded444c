"""The shipped default model: its contract, and ``synthesize`` with no option but the output."""

import json

import numpy as np
import rasterio
import spectral.io.envi as envi
from click.testing import CliRunner
from rasterio.windows import Window

from inss_geo.checkpoint import read_checkpoint
from inss_geo.commands import main
from inss_geo.sensors import aviris_classic
from inss_geo.synthesis import default_model_path

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
    image = envi.open(str(out.with_suffix(".hdr")), str(out))
    assert image.metadata["description"] == str(out.resolve())
    np.testing.assert_allclose(image.bands.centers, aviris_classic().wavelengths_nm, atol=1e-3)
