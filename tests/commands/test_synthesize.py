"""``inss-geo synthesize`` on a small georeferenced RGB raster with a tiny trained model."""

import platform
import threading
from pathlib import Path

import click
import numpy as np
import pytest
import rasterio
import spectral
import torch
from click.testing import CliRunner
from rasterio.transform import from_origin

from inss_geo.commands import main

from ..conftest import TINY_WIDTHS


@pytest.fixture
def model(tmp_path, scene_files, sensor_csv):
    out = tmp_path / "run"
    res = CliRunner().invoke(main, ["train", "--scenes", *scene_files[:2], "--out", str(out), "--sensor", sensor_csv,
                                    "--widths", TINY_WIDTHS, "--crop", "64", "--batch-size", "2", "--steps", "1", "-q"])
    assert res.exit_code == 0, res.output
    return str(out / "model.pt")


@pytest.fixture
def rgb(tmp_path):
    p = tmp_path / "rgb.tif"
    data = np.random.default_rng(0).integers(1, 255, (3, 150, 170), dtype=np.uint8)
    data[:, 0, 0] = 0  # nodata pixel
    with rasterio.open(p, "w", driver="GTiff", width=170, height=150, count=3, dtype="uint8", nodata=0,
                       crs="EPSG:32614", transform=from_origin(487400, 5208245, 5, 5)) as dst:
        dst.write(data)
    return p


def test_synthesize_writes_georeferenced_outputs(tmp_path, model, rgb):
    out, ab = tmp_path / "out.envi", tmp_path / "ab.tif"
    res = CliRunner().invoke(main, ["synthesize", str(rgb), "-o", str(out), "--model", model, "--abundance", str(ab),
                                    "--tile", "128", "-q"])
    assert res.exit_code == 0, res.output
    with rasterio.open(rgb) as src, rasterio.open(out) as hsi, rasterio.open(ab) as a:
        for r in (hsi, a):
            assert r.crs == src.crs and r.transform == src.transform and (r.width, r.height) == (170, 150)
        assert hsi.count == 24 and a.count == 345
        cube = hsi.read()
        assert (cube[:, 0, 0] == hsi.nodata).all() and np.isfinite(cube).all()
        fractions = a.read()[:, 1:, 1:]
        np.testing.assert_allclose(fractions.sum(0), 1.0, atol=1e-4)
    image = spectral.open_image(f"{out}.hdr")  # an independent ENVI reader, called as its users call it
    np.testing.assert_allclose(image.bands.centers, np.linspace(420, 2380, 24), atol=1e-3)
    assert [p.name for p in tmp_path.iterdir() if ".part" in p.name] == []


def test_top_k_abundance_raster_holds_the_largest_fractions(tmp_path, model, rgb):
    full, top = tmp_path / "full.tif", tmp_path / "top.tif"
    for path, extra in ((full, []), (top, ["--abundance-top-k", "8"])):
        res = CliRunner().invoke(main, ["synthesize", str(rgb), "-o", str(tmp_path / f"{path.stem}.envi"), "--model",
                                        model, "--abundance", str(path), *extra, "-q", "--overwrite"])
        assert res.exit_code == 0, res.output
    with rasterio.open(full) as f, rasterio.open(top) as t:
        fractions, block = f.read(), t.read()
        assert t.descriptions[:2] == ("fraction_1", "fraction_2") and t.descriptions[8] == "index_1"
    assert (block[:, 0, 0] == -1).all()  # the nodata pixel
    largest = -np.sort(-fractions, axis=0)[:8]
    np.testing.assert_array_equal(block[:8, 1:], largest[:, 1:])
    picked = np.take_along_axis(fractions, block[8:].astype(np.int64).clip(0), axis=0)
    np.testing.assert_array_equal(picked[:, 1:], block[:8, 1:])


def test_synthesize_bad_inputs_leave_nothing(tmp_path, model, rgb):
    out = tmp_path / "out.envi"
    cases = [
        ([str(tmp_path / "missing.tif")], "not found"),
        ([str(model)], "not a readable raster"),
        ([str(rgb), "--model", str(rgb)], "not an inss-geo checkpoint"),
    ]
    for args, message in cases:
        res = CliRunner().invoke(main, ["synthesize", *args[:1], "-o", str(out), "--model", model, *args[1:]])
        assert res.exit_code == 1 and message in res.output, res.output
    two = tmp_path / "two.tif"
    with rasterio.open(two, "w", driver="GTiff", width=8, height=8, count=2, dtype="uint8") as dst:
        dst.write(np.ones((2, 8, 8), np.uint8))
    res = CliRunner().invoke(main, ["synthesize", str(two), "-o", str(out), "--model", model])
    assert res.exit_code == 1 and "--rgb-bands" in res.output
    res = CliRunner().invoke(main, ["synthesize", str(rgb), "-o", str(tmp_path / "no" / "out.envi"), "--model", model])
    assert res.exit_code == 1 and "does not exist" in res.output
    assert not out.exists() and not list(tmp_path.glob(".*part*"))
    out.write_text("old")
    res = CliRunner().invoke(main, ["synthesize", str(rgb), "-o", str(out), "--model", model])
    assert res.exit_code == 1 and "--overwrite" in res.output and out.read_text() == "old"


def test_order1_model_refuses_mixing_and_leaves_nothing(tmp_path, scene_files, sensor_csv, rgb):
    run = tmp_path / "o1"
    res = CliRunner().invoke(main, ["train", "--scenes", *scene_files[:2], "--out", str(run), "--sensor", sensor_csv,
                                    "--widths", TINY_WIDTHS, "--crop", "64", "--batch-size", "2", "--steps", "1",
                                    "--order", "1", "-q"])
    assert res.exit_code == 0, res.output
    out = tmp_path / "out.envi"
    res = CliRunner().invoke(main, ["synthesize", str(rgb), "-o", str(out), "--model", str(run / "model.pt"),
                                    "--abundance", str(tmp_path / "ab.tif"), "--mixing", str(tmp_path / "mix.envi")])
    assert res.exit_code == 1 and "order-1" in res.output
    assert not out.exists() and not list(tmp_path.glob(".*part*")) and not list(tmp_path.glob("ab*"))


def _whole_image(model_path, rgb_path):
    import torch

    from inss_geo.checkpoint import load_checkpoint
    from inss_geo.synthesis.inference import synthesize_rgb

    model, contract = load_checkpoint(model_path)
    with rasterio.open(rgb_path) as src:
        x = torch.from_numpy(src.read().astype(np.float32) / 255)[None]
    return synthesize_rgb(model, x).hsi[0].numpy() * contract["data"]["scale"]


def test_tiled_equals_whole_image_at_any_tile_size(tmp_path, model, rgb):
    """Each tile reads a margin of the model's receptive radius around its block: one tile or
    six, the output is the whole-image pass's up to float rounding."""
    whole = _whole_image(model, rgb)
    valid = np.ones(whole.shape[1:], bool)
    valid[0, 0] = False
    for tile in ("192", "64"):  # one block; 3 x 3 blocks
        out = tmp_path / f"tiled_{tile}.tif"
        res = CliRunner().invoke(main, ["synthesize", str(rgb), "-o", str(out), "--model", model, "--tile", tile,
                                        "--input-scale", "255", "-q"])
        assert res.exit_code == 0, res.output
        with rasterio.open(out) as r:
            np.testing.assert_allclose(r.read()[:, valid], whole[:, valid], rtol=1e-4, atol=1e-3)


def test_default_model_tiles_a_real_scene_seamlessly(tmp_path):
    """The issue's acceptance test: the shipped model on the bundled NAIP crop at 256-pixel
    tiles against one whole-image pass, mean |diff| / mean below 0.5% (float rounding in fact)."""
    from inss_geo.synthesis.pipeline import default_model_path

    example = Path(__file__).parents[2] / "inss_geo" / "data" / "example_naip_rgb.tif"
    out = tmp_path / "tiled.tif"
    res = CliRunner().invoke(main, ["synthesize", str(example), "-o", str(out), "--tile", "256", "--input-scale", "255", "-q"])
    assert res.exit_code == 0, res.output
    whole = _whole_image(str(default_model_path()), example)
    with rasterio.open(out) as r:
        tiled = r.read()
    assert tiled.shape == whole.shape
    error = np.abs(tiled - whole).mean() / np.abs(whole).mean()
    assert error < 1e-4, error


def test_hsi_is_rebuilt_from_abundance_and_mixing_rasters(tmp_path, model, rgb):
    """Each pixel's mixing model = its cell's phi (1/D grid) + its offset encoding; then the path
    radiance and the consistency step with the pixel's input: rebuild a cell's pixels, and the
    RGB residual raster is the input minus the rebuilt RGB channels before that step."""
    import json

    import torch

    from inss_geo.checkpoint import load_checkpoint

    out, ab, mix, resid = (tmp_path / n for n in ("out.envi", "ab.envi", "mix.envi", "resid.tif"))
    res = CliRunner().invoke(main, ["synthesize", str(rgb), "-o", str(out), "--model", model, "--abundance", str(ab),
                                    "--mixing", str(mix), "--rgb-residual", str(resid), "--input-scale", "255", "-q"])
    assert res.exit_code == 0, res.output
    net, contract = load_checkpoint(model)
    assert net.projection is not None and net.path_radiance is not None
    d = net.config.downscale
    with rasterio.open(rgb) as src, rasterio.open(mix) as contributions:
        about = json.loads(contributions.tags()["inss_mixing"])
        assert contributions.count == net.config.order and contributions.transform == src.transform
        assert contributions.descriptions[-1] == "nonlinear_rel_norm"
        x = torch.from_numpy(src.read(window=((32, 48), (64, 80))).astype(np.float32) / 255)
    grid = np.load(tmp_path / about["parameters_file"], mmap_mode="r")
    assert grid.shape == (10, 11, net.mixing.n_params) == tuple(about["parameters_shape"])  # ceil(150/16), ceil(170/16)
    assert about["downscale"] == d and about["parameters_transform"][0] == src.transform.a * d
    phi = np.ascontiguousarray(grid[2:3, 4:5].transpose(2, 0, 1))  # cell (2, 4): pixel rows 32-47, cols 64-79
    with rasterio.open(ab) as a, rasterio.open(out) as h, rasterio.open(resid) as r:
        abundance = a.read(window=((32, 48), (64, 80)))
        hsi = h.read(window=((32, 48), (64, 80)))
        residual = r.read(window=((32, 48), (64, 80)))
    scale = contract["data"]["scale"]
    with torch.no_grad():
        mixed, _, _ = net.mixing(torch.from_numpy(abundance)[None], torch.from_numpy(phi)[None],
                                 net.signature(), net.library)
        before = mixed + net.path()[:, None, None]
        rebuilt = net.projection(before, x[None])[0]
    np.testing.assert_allclose(rebuilt.numpy() * scale, hsi, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(residual, (x - before[0, list(net.projection.rgb_index)]).numpy() * scale,
                               rtol=1e-4, atol=1e-3)


def test_existing_parameter_grid_is_refused_before_any_work(tmp_path, model, rgb):
    (tmp_path / "mix_params.npy").write_text("old")
    res = CliRunner().invoke(main, ["synthesize", str(rgb), "-o", str(tmp_path / "out.envi"), "--model", model,
                                    "--mixing", str(tmp_path / "mix.envi")])
    assert res.exit_code == 1 and "mix_params.npy exists" in res.output
    assert not (tmp_path / "out.envi").exists() and not list(tmp_path.glob(".*part*"))


def _synthesize(rgb, out, model, *extra) -> np.ndarray:
    res = CliRunner().invoke(main, ["synthesize", str(rgb), "-o", str(out), "--model", model, "--tile", "128",
                                    "-q", *extra])
    assert res.exit_code == 0, res.output
    with rasterio.open(out) as r:
        return r.read()


def test_batched_tiles_equal_one_tile_at_a_time(tmp_path, model, rgb):
    """The CUDA path's batching (several tiles per forward pass, a partial last batch), on the CPU."""
    one = _synthesize(rgb, tmp_path / "one.tif", model)
    batched = _synthesize(rgb, tmp_path / "batched.tif", model, "--batch-size", "3")  # 6 tiles: 3 + 3
    odd = _synthesize(rgb, tmp_path / "odd.tif", model, "--batch-size", "4")  # 4 + a partial batch of 2
    np.testing.assert_allclose(batched, one, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(odd, one, rtol=1e-5, atol=1e-5)


@pytest.fixture
def restore_threads():
    import torch

    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


# the upper left half of ``rgb``: blocks, and parts of blocks, wholly outside it are all nodata
TRIANGLE = "POLYGON((487400 5208245, 488250 5208245, 487400 5207495, 487400 5208245))"


@pytest.mark.parametrize("extra", [
    ["--mixing", "{d}/mix.envi", "--abundance", "{d}/ab.tif"],
    ["--dtype", "int16", "--abundance", "{d}/ab.tif", "--abundance-top-k", "3", "--aoi", TRIANGLE, "--aoi-crs", "EPSG:32614"],
    ["--abundance", "{d}/ab.envi", "--abundance-dtype", "uint16", "--mixing", "{d}/mix.envi", "--aoi", TRIANGLE,
     "--aoi-crs", "EPSG:32614"],
], ids=["float-mixing", "int16-top-k-aoi", "uint16-mixing-aoi"])
def test_block_parts_on_workers_equal_one_thread(tmp_path, model, rgb, restore_threads, extra):
    """On the CPU single-threaded workers, one per thread, take a block's cell rows one at a
    time and the last rows in halves (here 3 workers for a block's 4 rows of 4 cells: a whole
    row, then six halves): every output equals one thread's, nodata included."""
    files = {}
    for threads in ("1", "3"):
        d = tmp_path / threads
        d.mkdir()
        args = [a.format(d=d) for a in extra]
        res = CliRunner().invoke(main, ["synthesize", str(rgb), "-o", str(d / "hsi.envi"), "--model", model,
                                        "--tile", "128", "--threads", threads, "-q", *args])
        assert res.exit_code == 0, res.output
        files[threads] = sorted(p for p in d.iterdir() if p.suffix in (".envi", ".tif", ".npy"))
    assert [p.name for p in files["1"]] == [p.name for p in files["3"]] and len(files["1"]) >= 2
    for one, three in zip(files["1"], files["3"], strict=True):
        if one.suffix == ".npy":  # the parameter grid
            a, b = np.load(one), np.load(three)
            assert np.isfinite(a).any()
        else:
            with rasterio.open(one) as r, rasterio.open(three) as t:
                a, b, nodata = r.read().astype(np.float64), t.read().astype(np.float64), r.nodata
            assert ((a == nodata) == (b == nodata)).all() and (a == nodata).any(), one.name
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1.0 if "int16" in extra else 1e-5, err_msg=one.name)


@pytest.mark.parametrize("gh, gw, workers", [(24, 24, 2), (4, 4, 3), (2, 5, 4), (3, 1, 2)])
def test_row_parts_cover_each_cell_once_and_halve_the_last_rows(gh, gw, workers):
    from inss_geo.synthesis.pipeline import _row_parts

    parts = _row_parts(gh, gw, workers)
    covered = np.zeros((gh, gw), int)
    for g0, g1, c0, c1 in parts:
        covered[g0:g1, c0:c1] += 1
    assert (covered == 1).all()
    assert all(g1 == g0 + 1 for g0, g1, _, _ in parts)  # a cell row at most: its intermediates stay small
    halves = [p for p in parts if p[3] - p[2] < gw]
    assert len(halves) == (0 if gw == 1 else 2 * min(gh, workers))
    assert parts[len(parts) - len(halves):] == halves  # the small tasks come last


def test_progress_json_reports_the_block_workers_cpu_per_part(tmp_path, model, rgb, restore_threads):
    """The stage report splits the block workers' CPU time by part; the parts run on the
    workers concurrently, and together they cannot exceed the process's CPU time."""
    import json
    import time

    start = time.process_time()
    res = CliRunner().invoke(main, ["synthesize", str(rgb), "-o", str(tmp_path / "hsi.envi"), "--model", model,
                                    "--abundance", str(tmp_path / "ab.tif"), "--abundance-top-k", "3", "--tile", "128",
                                    "--threads", "2", "--progress", "json"])
    used = time.process_time() - start
    assert res.exit_code == 0, res.output
    stages = next(json.loads(line)["stages_s"] for line in res.stderr.splitlines() if "stages_s" in line)
    parts = {k.removeprefix("block cpu: "): v for k, v in stages.items() if k.startswith("block cpu: ")}
    assert set(parts) == {"T", "head and softmax", "mixing", "abundance encoding (top-k)"}
    assert all(v >= 0 for v in parts.values()) and parts["mixing"] > 0
    assert sum(parts.values()) <= used


def test_bf16_stays_close_to_fp32(tmp_path, model, rgb):
    """Mixed precision on the CPU (the U-Net and T under autocast, the mixing's products in
    bf16): within 2% mean relative difference."""
    fp32 = _synthesize(rgb, tmp_path / "fp32.tif", model)
    bf16 = _synthesize(rgb, tmp_path / "bf16.tif", model, "--precision", "bf16", "--batch-size", "2")
    assert (bf16[:, 0, 0] == fp32[:, 0, 0]).all() and np.isfinite(bf16).all()  # (0, 0) is nodata in both
    valid = np.ones(fp32.shape, bool)
    valid[:, 0, 0] = False
    rel = np.abs(bf16 - fp32)[valid].mean() / np.abs(fp32[valid]).mean()
    assert 0 < rel < 0.02, rel


def test_fp32_convolutions_are_not_rounded_to_tf32(tmp_path, model, rgb, monkeypatch):
    """torch lets cuDNN run fp32 convolutions in TF32 by default; the command turns that off, so
    --precision alone decides the rounding (on an H200 the HSI moved 2.7e-4 with TF32)."""
    import torch

    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", True)
    _synthesize(rgb, tmp_path / "out.tif", model)
    assert torch.backends.cudnn.allow_tf32 is False


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="FTZ and DAZ are x86's MXCSR flags")
def test_synthesis_threads_flush_denormals_to_zero(tmp_path, model, rgb, monkeypatch):
    """The mixing's saturated sigmoids make denormal intermediates, slow on x86; the command
    flushes them on every thread synthesis starts (threads inherit the setting)."""
    from inss_geo.synthesis import pipeline

    seen, run = [], pipeline.synthesize

    def spy(*args, **kwargs):
        thread = threading.Thread(target=lambda: seen.append(float(torch.tensor([1e-30]) * 1e-10)))
        thread.start()
        thread.join()
        return run(*args, **kwargs)

    monkeypatch.setattr(pipeline, "synthesize", spy)
    res = CliRunner().invoke(main, ["synthesize", str(rgb), "-o", str(tmp_path / "hsi.envi"), "--model", model])
    assert res.exit_code == 0, res.output
    assert seen == [0.0]  # 1e-40 is a float32 denormal


def test_geotiffs_are_compressed_by_default_and_co_sets_gdal_creation_options(tmp_path, model, rgb):
    for name, extra, compression in (("default", [], "zstd"), ("deflate", ["--co", "compress=deflate", "--co", "PREDICTOR=3"], "deflate")):
        out = tmp_path / f"{name}.tif"
        res = CliRunner().invoke(main, ["synthesize", str(rgb), "-o", str(out), "--model", model, "--abundance",
                                        str(tmp_path / f"{name}_ab.tif"), "-q", *extra])
        assert res.exit_code == 0, res.output
        for path in (out, tmp_path / f"{name}_ab.tif"):
            with rasterio.open(path) as r:
                assert r.compression is not None and r.compression.value.lower() == compression, path
    res = CliRunner().invoke(main, ["synthesize", str(rgb), "-o", str(tmp_path / "x.tif"), "--model", model, "--co", "COMPRESS"])
    assert res.exit_code == 2 and "NAME=VALUE" in res.output


def test_train_and_evaluate_options_explain_themselves():
    """Every option has help; --scenes shows that it takes several paths; --out says when it is needed."""
    for command in ("train", "evaluate", "synthesize"):
        res = CliRunner().invoke(main, [command, "--help"])
        assert res.exit_code == 0
        params = main.commands[command].params
        assert all(p.help for p in params if isinstance(p, click.Option)), [p.name for p in params if not p.help]
    text = " ".join(CliRunner().invoke(main, ["train", "--help"]).output.split())
    assert "--scenes SCENE [SCENE]..." in text and "required unless --resume" in text
    assert "[SCENES]" not in text
