"""Areas of interest: parsing, reprojection into the raster's CRS, the window and the mask."""

import json

import numpy as np
import pytest
import rasterio
import shapely
from click.testing import CliRunner
from pyproj import CRS, Transformer
from rasterio.transform import from_origin

from inss_geo.commands import main
from inss_geo.errors import ConfigError
from inss_geo.synthesis.aoi import parse_bbox, parse_crs, read_geometry, to_raster
from inss_geo.synthesis.pipeline import default_model_path

EXAMPLE = default_model_path().parents[2] / "inss_geo" / "data" / "example_naip_rgb.tif"
UTM = rasterio.crs.CRS.from_epsg(26914)
TRANSFORM = from_origin(487400, 5208245, 5, 5)  # the shipped example's grid, 384 x 384
BBOX_4326 = (-99.16, 47.015, -99.15, 47.022)


def test_bbox_in_degrees_lands_on_the_right_utm_pixels():
    area = to_raster(parse_bbox(",".join(map(str, BBOX_4326))), CRS.from_epsg(4326), UTM, TRANSFORM, 384, 384)
    to_utm = Transformer.from_crs(4326, 26914, always_xy=True)
    xs, ys = to_utm.transform([BBOX_4326[0], BBOX_4326[2], BBOX_4326[0], BBOX_4326[2]],
                              [BBOX_4326[1], BBOX_4326[1], BBOX_4326[3], BBOX_4326[3]])
    cols, rows = (np.array(xs) - 487400) / 5, (5208245 - np.array(ys)) / 5
    assert area.window.col_off == np.floor(cols.min()) and area.window.row_off == np.floor(rows.min())
    assert area.window.col_off + area.window.width == np.ceil(cols.max())
    assert area.window.row_off + area.window.height == np.ceil(rows.max())
    # a pixel whose centre is inside the reprojected box, and one in the corner the rotation cuts off
    mask = area.mask(TRANSFORM, (384, 384))
    centre = int(rows.mean()), int(cols.mean())
    assert mask[centre] and not mask[int(np.floor(rows.min())), int(np.floor(cols.min()))]


def test_area_is_clipped_to_the_raster():
    half_out = shapely.box(487000, 5207000, 487600, 5207500)  # starts 80 px left of the raster
    area = to_raster(half_out, CRS.from_epsg(26914), UTM, TRANSFORM, 384, 384)
    assert (area.window.col_off, area.window.width) == (0, 40)


def test_geojson_feature_collection_and_its_crs_member(tmp_path):
    p = tmp_path / "a.geojson"
    poly = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}
    p.write_text(json.dumps({"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "EPSG:26914"}},
                             "features": [{"type": "Feature", "properties": {}, "geometry": poly}]}))
    geometry, crs = read_geometry(str(p))
    assert geometry.area == pytest.approx(0.5) and crs == "EPSG:26914"
    geometry, crs = read_geometry("POLYGON((0 0, 2 0, 2 2, 0 0))")
    assert geometry.area == pytest.approx(2) and crs is None


@pytest.mark.parametrize("call, message", [
    (lambda: parse_bbox("1,2,3"), "minx,miny,maxx,maxy"),
    (lambda: parse_bbox("3,2,1,4"), "less than"),
    (lambda: parse_crs("EPSG:99999999", "--bbox-crs"), "not a CRS"),
    (lambda: read_geometry("POLYGON((0 0, 1 1"), "neither a GeoJSON file nor a WKT"),
    (lambda: read_geometry("missing.geojson"), "file not found"),
    (lambda: read_geometry("LINESTRING(0 0, 1 1)"), "no area"),
    (lambda: to_raster(shapely.box(-98, 47, -97.9, 47.1), CRS.from_epsg(4326), UTM, TRANSFORM, 384, 384), "does not overlap"),
    (lambda: to_raster(shapely.box(0, 0, 1, 1), CRS.from_epsg(4326), None, TRANSFORM, 384, 384), "no CRS"),
])
def test_bad_areas_are_one_line_errors(call, message):
    with pytest.raises(ConfigError, match=message):
        call()


def test_synthesize_clips_the_shipped_example_to_a_bbox_in_degrees(tmp_path):
    out = tmp_path / "clip.tif"
    res = CliRunner().invoke(main, ["synthesize", str(EXAMPLE), "-o", str(out), "--bbox", ",".join(map(str, BBOX_4326)),
                                    "--bbox-crs", "EPSG:4326", "-q"])
    assert res.exit_code == 0, res.output
    area = to_raster(parse_bbox(",".join(map(str, BBOX_4326))), CRS.from_epsg(4326), UTM, TRANSFORM, 384, 384)
    with rasterio.open(out) as r:
        assert r.crs == UTM and (r.width, r.height) == (area.window.width, area.window.height)
        assert r.transform == rasterio.windows.transform(area.window, TRANSFORM)
        nodata = (r.read() == r.nodata).all(axis=0)
        inside = area.mask(r.transform, (r.height, r.width))
    np.testing.assert_array_equal(nodata, ~inside)
    assert 0 < nodata.sum() < 0.1 * nodata.size  # the box is slightly rotated in UTM: its corners are cut


def test_bbox_is_in_the_rasters_crs_unless_told(tmp_path):
    """As rio's --bounds and gdal_translate -projwin: --bbox without --bbox-crs is in the raster's
    CRS (here UTM metres), and gives exactly the window those bounds cover."""
    window = rasterio.windows.Window(64, 32, 128, 96)
    bounds = rasterio.windows.bounds(window, TRANSFORM)  # (left, bottom, right, top)
    out = tmp_path / "clip.tif"
    res = CliRunner().invoke(main, ["synthesize", str(EXAMPLE), "-o", str(out), "--bbox", ",".join(map(str, bounds)), "-q"])
    assert res.exit_code == 0, res.output
    with rasterio.open(out) as r:
        assert (r.width, r.height) == (128, 96) and r.transform == rasterio.windows.transform(window, TRANSFORM)
        assert (r.read() != r.nodata).all()
