import numpy as np
import rasterio
from click.testing import CliRunner

from inss_geo.commands import main
from inss_geo.synthesis.pipeline import default_model_path

EXAMPLE = default_model_path().parents[2] / "inss_geo" / "data" / "example_naip_rgb.tif"


def test_quicklook_draws_every_panel_of_a_real_synthesis(tmp_path):
    hsi, ab, png = tmp_path / "hsi.envi", tmp_path / "ab.tif", tmp_path / "look.png"
    assert CliRunner().invoke(main, ["synthesize", str(EXAMPLE), "-o", str(hsi), "--abundance", str(ab), "-q"]).exit_code == 0
    res = CliRunner().invoke(main, ["quicklook", str(hsi), "--rgb", str(EXAMPLE), "--abundance", str(ab), "-o", str(png)])
    assert res.exit_code == 0, res.output
    with rasterio.open(png) as r:
        image = r.read()
    assert r.width > 4 * r.height  # five panels side by side
    assert image[:3].std(axis=(1, 2)).min() > 10  # drawn, not blank


def test_quicklook_refuses_a_raster_without_wavelengths(tmp_path):
    res = CliRunner().invoke(main, ["quicklook", str(EXAMPLE), "-o", str(tmp_path / "x.png")])
    assert res.exit_code == 1 and "no per-band wavelengths" in res.output
    assert not np.any([p.suffix == ".png" for p in tmp_path.iterdir()])
