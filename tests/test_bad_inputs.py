"""Bad input across ``synthesize``, ``train`` and ``evaluate``: each case must end in one clear
error line and a non-zero exit status (2 for click's usage errors, 1 otherwise), with no
traceback and nothing left in the output directory.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
import rasterio
import torch
from click.testing import CliRunner
from rasterio.transform import from_origin

from inss_geo.commands import main
from inss_geo.synthesis.pipeline import default_model_path

from .conftest import TINY_WIDTHS, WAVELENGTHS

UTM = {"crs": "EPSG:32614", "transform": from_origin(487400, 5208245, 5, 5)}


def _raster(path: Path, count: int = 3, dtype: str = "uint8", data=None, georef: bool = True, **kw) -> Path:
    data = np.random.default_rng(0).integers(1, 200, (count, 30, 40)).astype(dtype) if data is None else data
    profile = {"driver": "GTiff", "width": data.shape[2], "height": data.shape[1], "count": data.shape[0],
               "dtype": data.dtype.name, **(UTM if georef else {}), **kw}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
    return path


@pytest.fixture
def files(tmp_path, scene_files, sensor_csv):
    """Every bad (and some odd but valid) input, built once per test in ``tmp_path/in``."""
    d = tmp_path / "in"
    d.mkdir()
    good = _raster(d / "rgb.tif")
    f = {"good": good, "sensor_csv": sensor_csv, "scene": scene_files[0], "scene2": scene_files[1]}
    f["empty"] = d / "empty.tif"
    f["empty"].write_bytes(b"")
    f["text"] = d / "notes.tif"
    f["text"].write_text("this is not a raster\n")
    f["truncated"] = d / "truncated.tif"
    f["truncated"].write_bytes(good.read_bytes()[:2000])
    f["one_band"] = _raster(d / "one.tif", count=1)
    f["two_band"] = _raster(d / "two.tif", count=2)
    f["four_band"] = _raster(d / "four.tif", count=4, photometric="MINISBLACK")  # no colour interpretation
    f["all_nodata"] = _raster(d / "nodata.tif", data=np.zeros((3, 30, 40), np.uint8), nodata=0)
    f["complex"] = _raster(d / "complex.tif", data=np.ones((3, 30, 40), np.complex64))
    f["no_crs"] = _raster(d / "nocrs.tif", georef=False)
    nan = np.random.default_rng(1).random((3, 30, 40)).astype(np.float32)
    nan[0, 3, 4], nan[1, 5, 6], nan[2, 7, 8] = np.nan, np.inf, -np.inf
    f["nan"] = _raster(d / "nan.tif", data=nan)
    f["directory"] = d / "adir"
    f["directory"].mkdir()
    f["not_checkpoint"] = d / "model.pt"
    f["not_checkpoint"].write_bytes(b"\x00" * 100)
    f["corrupt_checkpoint"] = d / "corrupt.pt"
    f["corrupt_checkpoint"].write_bytes(default_model_path().read_bytes()[:50_000])
    f["evil"] = d / "evil.pt"
    f["evil_marker"] = d / "evil-ran"
    torch.save({"format": "inss-geo", "x": _Evil(str(f["evil_marker"]))}, f["evil"])
    payload = torch.load(default_model_path(), weights_only=True)
    contract = json.loads(payload["contract"])
    contract["library"]["n_spectra"] = 100  # the contract names another library than the weights hold
    payload["contract"] = json.dumps(contract)
    f["other_library"] = d / "other_library.pt"
    torch.save(payload, f["other_library"])
    aviris = d / "aviris.npz"  # 224 channels with wavelengths: the default model's sensor, not the tiny one's
    np.savez(aviris, cube=np.ones((64, 64, 224), np.float32), wavelengths_nm=np.linspace(366, 2496, 224))
    f["aviris"] = aviris
    shifted = d / "shifted.npz"  # the tiny sensor's channel count, other wavelengths
    np.savez(shifted, cube=np.ones((64, 64, 24), np.float32), wavelengths_nm=WAVELENGTHS + 37)
    f["shifted"] = shifted
    f["hsi24"] = _raster(d / "hsi24.tif", count=24, dtype="float32")  # the tiny sensor: no band near 685 nm
    with rasterio.open(f["hsi24"], "r+") as dst:
        for b, w in enumerate(WAVELENGTHS, start=1):
            dst.update_tags(b, wavelength=f"{w:.2f}", wavelength_units="Nanometers")
    f["aoi_bad"] = d / "aoi.geojson"
    f["aoi_bad"].write_text('{"type": "Polygon", "coordinates": "nope"}')
    f["existing"] = tmp_path / "out" / "exists.envi"
    return f


class _Evil:
    """Unpickling this would create a file: the checkpoint loader must refuse it."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


@pytest.fixture
def tiny_model(tmp_path, scene_files, sensor_csv):
    res = CliRunner().invoke(main, ["train", "--scenes", *scene_files[:2], "--out", str(tmp_path / "run"), "--sensor",
                                    sensor_csv, "--widths", TINY_WIDTHS, "--crop", "64", "--batch-size", "2",
                                    "--steps", "1", "-q"])
    assert res.exit_code == 0, res.output
    return tmp_path / "run" / "model.pt"


S = "synthesize"
O = "{out}/hsi.envi"
#: (id, argv with {placeholders}, exit status, fragment of the error line)
CASES = [
    ("missing-file", [S, "{in}/nothere.tif", "-o", O], 1, "file not found"),
    ("directory-input", [S, "{directory}", "-o", O], 2, "is a directory"),
    ("empty-file", [S, "{empty}", "-o", O], 1, "not a readable raster"),
    ("text-file", [S, "{text}", "-o", O], 1, "not a readable raster"),
    ("truncated-tiff", [S, "{truncated}", "-o", O], 1, "cannot be read"),
    ("one-band", [S, "{one_band}", "-o", O], 1, "--rgb-bands"),
    ("two-band", [S, "{two_band}", "-o", O], 1, "--rgb-bands"),
    ("four-band-no-colour", [S, "{four_band}", "-o", O], 1, "--rgb-bands"),
    ("rgb-bands-out-of-range", [S, "{good}", "-o", O, "--rgb-bands", "2,3,4"], 1, "bands 1..3"),
    ("rgb-bands-malformed", [S, "{good}", "-o", O, "--rgb-bands", "1,2"], 2, "three 1-based band numbers"),
    ("all-nodata", [S, "{all_nodata}", "-o", O], 1, "every pixel is nodata"),
    ("complex-dtype", [S, "{complex}", "-o", O], 1, "integer or real values"),
    ("from-hsi-without-wavelengths", [S, "{good}", "-o", O, "--from-hsi"], 1, "wavelength metadata"),
    ("zero-width-bbox", [S, "{good}", "-o", O, "--bbox", "487500,5208000,487500,5208100", "--bbox-crs", "EPSG:32614"],
     1, "min must be less than max"),
    ("bbox-outside", [S, "{good}", "-o", O, "--bbox", "-98,47,-97.9,47.1"], 1, "does not overlap"),
    ("bbox-malformed", [S, "{good}", "-o", O, "--bbox", "1,2,3"], 1, "minx,miny,maxx,maxy"),
    ("bbox-bad-crs", [S, "{good}", "-o", O, "--bbox", "1,2,3,4", "--bbox-crs", "EPSG:0"], 1, "not a CRS"),
    ("aoi-bad-geojson", [S, "{good}", "-o", O, "--aoi", "{aoi_bad}"], 1, "invalid GeoJSON"),
    ("aoi-bad-wkt", [S, "{good}", "-o", O, "--aoi", "POLYGON((0 0, 1"], 1, "neither a GeoJSON file nor a WKT"),
    ("aoi-and-bbox", [S, "{good}", "-o", O, "--aoi", "POLYGON((0 0, 1 0, 1 1, 0 0))", "--bbox", "0,0,1,1"], 1,
     "either --aoi or --bbox"),
    ("aoi-without-crs-on-raster", [S, "{no_crs}", "-o", O, "--bbox", "0,0,1,1"], 1, "has no CRS"),
    ("output-dir-missing", [S, "{good}", "-o", "{out}/no/such/dir/hsi.envi"], 1, "does not exist"),
    ("output-exists", [S, "{good}", "-o", "{existing}"], 1, "--overwrite"),
    ("output-unknown-extension", [S, "{good}", "-o", "{out}/hsi.xyz"], 1, "cannot tell the format"),
    ("tile-not-multiple", [S, "{good}", "-o", O, "--tile", "100"], 1, "multiple of 32"),
    ("input-scale-garbage", [S, "{good}", "-o", O, "--input-scale", "bright"], 1, "--input-scale"),
    ("input-scale-negative", [S, "{good}", "-o", O, "--input-scale", "-3"], 1, "positive"),
    ("top-k-zero", [S, "{good}", "-o", O, "--abundance", "{out}/a.tif", "--abundance-top-k", "0"], 2, "--abundance-top-k"),
    ("top-k-beyond-library", [S, "{good}", "-o", O, "--abundance", "{out}/a.tif", "--abundance-top-k", "400"], 1,
     "only 345 spectra"),
    ("fp16-on-cpu", [S, "{good}", "-o", O, "--precision", "fp16", "--device", "cpu"], 1, "fp16 is for GPUs"),
    ("cuda-without-gpu", [S, "{good}", "-o", O, "--device", "cuda"], 2, "no CUDA device"),
    ("device-garbage", [S, "{good}", "-o", O, "--device", "tpu"], 2, "use auto, cpu, cuda"),
    ("model-not-checkpoint", [S, "{good}", "-o", O, "--model", "{not_checkpoint}"], 1, "not an inss-geo checkpoint"),
    ("model-corrupt", [S, "{good}", "-o", O, "--model", "{corrupt_checkpoint}"], 1, "not an inss-geo checkpoint"),
    ("model-pickle-runs-code", [S, "{good}", "-o", O, "--model", "{evil}"], 1, "refused to load"),
    ("model-other-library", [S, "{good}", "-o", O, "--model", "{other_library}"], 1, "does not match the contract"),
    ("model-missing", [S, "{good}", "-o", O, "--model", "{in}/none.pt"], 1, "model file not found"),
    ("from-hsi-other-sensor", [S, "{hsi24}", "-o", O, "--from-hsi"], 1, "no band within"),
    ("train-no-scenes", ["train", "--out", "{out}/run"], 2, "--scenes"),
    ("train-missing-scene", ["train", "--scenes", "{in}/gone.npz", "--out", "{out}/run"], 1, "gone.npz"),
    ("train-mismatched-wavelengths", ["train", "--scenes", "{scene}", "{shifted}", "--sensor", "{sensor_csv}",
                                      "--out", "{out}/run"], 1, "shifted.npz"),
    ("train-crop-not-multiple", ["train", "--scenes", "{scene}", "--sensor", "{sensor_csv}", "--out", "{out}/run",
                                 "--crop", "100"], 1, "--crop"),
    ("train-val-is-train", ["train", "--scenes", "{scene}", "--val-scenes", "{scene}", "--sensor", "{sensor_csv}",
                            "--out", "{out}/run"], 1, "also used for training"),
    ("train-resume-nothing", ["train", "--resume", "{directory}"], 1, "{directory}"),
    ("evaluate-not-checkpoint", ["evaluate", "--model", "{not_checkpoint}", "--scenes", "{scene}"], 1,
     "not an inss-geo checkpoint"),
    ("evaluate-other-sensor", ["evaluate", "--model", "{tiny_model}", "--scenes", "{aviris}"], 1,
     "do not match sensor 'test24'"),
    ("evaluate-missing-scene", ["evaluate", "--model", "{tiny_model}", "--scenes", "{in}/gone.npz"], 1, "gone.npz"),
]


@pytest.mark.parametrize("argv, status, fragment", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input(tmp_path, files, argv, status, fragment, request):
    out = tmp_path / "out"
    out.mkdir()
    names = {**{k: str(v) for k, v in files.items()}, "in": str(tmp_path / "in"), "out": str(out)}
    if any("{tiny_model}" in a for a in argv):
        names["tiny_model"] = str(request.getfixturevalue("tiny_model"))
    files["existing"].write_text("an earlier result")
    before = {p.name for p in out.iterdir()}
    res = CliRunner().invoke(main, [a.format(**names) for a in argv])
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert res.exit_code == status, res.output
    assert "Traceback" not in res.output and "unexpected" not in res.output, res.output
    assert lines and lines[-1].startswith("Error:") and fragment.format(**names) in lines[-1], res.output
    assert {p.name for p in out.iterdir()} == before, "an output or temporary file was left behind"
    assert files["existing"].read_text() == "an earlier result"
    assert not files["evil_marker"].exists(), "the malicious pickle ran"


def test_there_are_at_least_thirty_cases():
    assert len(CASES) >= 30


def test_nan_and_inf_pixels_become_nodata(tmp_path, files):
    out = tmp_path / "hsi.tif"
    res = CliRunner().invoke(main, ["synthesize", str(files["nan"]), "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    with rasterio.open(out) as r:
        cube = r.read()
        nodata = (cube == r.nodata).all(axis=0)
    assert nodata[3, 4] and nodata[5, 6] and nodata[7, 8] and nodata.sum() == 3
    assert np.isfinite(cube).all()


def test_no_crs_works_with_a_warning(tmp_path, files, caplog):
    out = tmp_path / "hsi.tif"
    with caplog.at_level(logging.WARNING):
        res = CliRunner().invoke(main, ["synthesize", str(files["no_crs"]), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert any("has no CRS" in r.getMessage() for r in caplog.records)
    with rasterio.open(out) as r:
        assert r.crs is None and r.count == 224


def test_pickle_fixture_would_really_run_code(tmp_path, files):
    """The malicious checkpoint is real: unrestricted unpickling runs it (so the refusal means something)."""
    torch.load(files["evil"], weights_only=False)
    assert files["evil_marker"].exists()
    files["evil_marker"].unlink()
