"""Areas of interest: a GeoJSON file, a WKT string or a bounding box, brought into a raster's CRS.

shapely holds the geometry and pyproj reprojects it; edges are densified first so that a box
in degrees stays the right shape in a projected CRS. The result is the pixel window that covers
the area (only that window is synthesized) and a per-pixel inside/outside mask for any window.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from rasterio.features import geometry_mask
from rasterio.windows import Window, from_bounds
from shapely.geometry.base import BaseGeometry

from ..errors import ConfigError

#: Densify AOI edges to this many points per edge before reprojecting.
DENSIFY_POINTS = 64


@dataclass(frozen=True)
class AreaOfInterest:
    """A polygonal area in the raster's CRS and the raster window that covers it."""

    geometry: BaseGeometry
    window: Window

    def mask(self, transform, shape: tuple[int, int]) -> np.ndarray:
        """(h, w) bool, True where a pixel's centre is inside the area, for a grid at ``transform``."""
        return geometry_mask([self.geometry], out_shape=shape, transform=transform, invert=True)


def parse_crs(text: str, option: str) -> CRS:
    """A CRS from EPSG:xxxx, WKT, PROJ or an authority string; one-line error otherwise."""
    try:
        return CRS.from_user_input(text)
    except CRSError:
        raise ConfigError(f"{option} {text!r}: not a CRS (use e.g. EPSG:4326)") from None


def read_geometry(aoi: str) -> tuple[BaseGeometry, str | None]:
    """The geometry of a GeoJSON file (geometry, Feature or FeatureCollection) or a WKT string,
    and the CRS named by the file's legacy ``crs`` member, if any (RFC 7946 GeoJSON has none)."""
    path = Path(aoi)
    if path.suffix.lower() in (".geojson", ".json") or path.is_file():
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise ConfigError(f"--aoi {aoi}: file not found") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"--aoi {aoi}: not a GeoJSON file ({exc})") from None
        if not isinstance(data, dict):
            raise ConfigError(f"--aoi {aoi}: not a GeoJSON object")
        if data.get("type") == "FeatureCollection":
            parts = [f.get("geometry") for f in data.get("features", [])]
        elif data.get("type") == "Feature":
            parts = [data.get("geometry")]
        else:
            parts = [data]
        try:
            geoms = [shapely.geometry.shape(p) for p in parts if p]
        except (AttributeError, KeyError, TypeError, ValueError, shapely.errors.GEOSException) as exc:
            raise ConfigError(f"--aoi {aoi}: invalid GeoJSON geometry ({exc})") from None
        if not geoms:
            raise ConfigError(f"--aoi {aoi}: no geometry in the file")
        geometry = shapely.union_all(geoms)
        named = (data.get("crs") or {}).get("properties", {}).get("name")
    else:
        named = None
        try:
            geometry = shapely.from_wkt(aoi)
        except shapely.errors.GEOSException:
            raise ConfigError(f"--aoi {aoi[:60]!r}: neither a GeoJSON file nor a WKT geometry") from None
    if geometry.is_empty or geometry.area == 0:
        raise ConfigError("--aoi: the geometry has no area (give a polygon)")
    return shapely.make_valid(geometry), named


def parse_bbox(text: str) -> BaseGeometry:
    """``minx,miny,maxx,maxy`` -> a box."""
    try:
        minx, miny, maxx, maxy = (float(v) for v in text.split(","))
    except ValueError:
        raise ConfigError(f"--bbox {text!r}: give minx,miny,maxx,maxy") from None
    if not (minx < maxx and miny < maxy):
        raise ConfigError(f"--bbox {text!r}: min must be less than max on both axes")
    return shapely.box(minx, miny, maxx, maxy)


def to_raster(geometry: BaseGeometry, source_crs: CRS, raster_crs, transform, width: int, height: int) -> AreaOfInterest:
    """Reproject ``geometry`` into the raster's CRS and find the window that covers it."""
    if raster_crs is None:
        raise ConfigError("the input has no CRS, so an area of interest cannot be placed on it")
    target = CRS.from_user_input(raster_crs.to_wkt())
    if not source_crs.equals(target):
        length = max(math.hypot(*np.subtract(*np.reshape(geometry.bounds, (2, 2)))) / DENSIFY_POINTS, 1e-9)
        project = Transformer.from_crs(source_crs, target, always_xy=True).transform
        geometry = shapely.transform(shapely.segmentize(geometry, length), project, interleaved=False)
        if not geometry.is_valid or not np.isfinite(geometry.bounds).all():
            raise ConfigError("the area of interest cannot be projected into the raster's CRS (is it far outside the raster?)")
    footprint = shapely.box(*_raster_bounds(transform, width, height))
    clipped = geometry.intersection(footprint)
    if clipped.is_empty or clipped.area == 0:
        raise ConfigError("the area of interest does not overlap the raster")
    win = from_bounds(*clipped.bounds, transform=transform)
    col0, row0 = max(0, math.floor(win.col_off)), max(0, math.floor(win.row_off))
    col1 = min(width, math.ceil(win.col_off + win.width))
    row1 = min(height, math.ceil(win.row_off + win.height))
    return AreaOfInterest(clipped, Window(col0, row0, col1 - col0, row1 - row0))


def _raster_bounds(transform, width: int, height: int) -> tuple[float, float, float, float]:
    xs, ys = zip(*(transform * (c, r) for c, r in ((0, 0), (width, 0), (0, height), (width, height))), strict=True)
    return min(xs), min(ys), max(xs), max(ys)
