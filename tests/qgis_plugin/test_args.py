"""Parameter -> argv mapping of the QGIS algorithm, without QGIS."""

from inss_geo_qgis.args import synthesize_args


def test_defaults_map_to_the_cli_defaults_plus_json_progress():
    argv = synthesize_args("/opt/inss-geo", "in.tif", "out.envi")
    assert argv[:5] == ["/opt/inss-geo", "synthesize", "in.tif", "-o", "out.envi"]
    pairs = {argv[i]: argv[i + 1] for i in range(5, len(argv) - 1) if argv[i].startswith("--")}
    assert {k: pairs[k] for k in ("--tile", "--device", "--dtype", "--input-scale", "--progress")} == {
        "--tile": "512", "--device": "auto", "--dtype": "float32", "--input-scale": "auto",
        "--progress": "json"}
    assert "--overwrite" in argv
    assert not {"--format", "--rgb-bands", "--model", "--abundance", "--mixing", "--bbox"} & set(argv)


def test_every_parameter_has_its_option():
    argv = synthesize_args("inss-geo", "my scene.tif", "o.tif", rgb_bands="3, 2, 1", model="m.pt", input_scale="255",
                           tile=512, device=2, fmt=3, dtype=1, abundance="a.tif", abundance_dtype=1,
                           abundance_top_k=8, mixing="mix.envi", bbox=(1.5, 2, 3, 4), bbox_crs="EPSG:32633")
    pairs = {argv[i]: argv[i + 1] for i in range(len(argv) - 1) if argv[i].startswith("--")}
    assert argv[2] == "my scene.tif"  # a list, never a shell string: spaces need no quoting
    assert pairs["--rgb-bands"] == "3,2,1" and pairs["--model"] == "m.pt" and pairs["--input-scale"] == "255"
    assert pairs["--tile"] == "512" and pairs["--device"] == "cuda"
    assert pairs["--format"] == "cog" and pairs["--dtype"] == "int16"
    assert pairs["--abundance"] == "a.tif" and pairs["--abundance-dtype"] == "uint16" and pairs["--abundance-top-k"] == "8"
    assert pairs["--mixing"] == "mix.envi"
    assert pairs["--bbox"] == "1.5,2.0,3.0,4.0" and pairs["--bbox-crs"] == "EPSG:32633"

