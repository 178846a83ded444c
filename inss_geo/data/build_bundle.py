"""Rebuild the data files bundled with inss-geo from the project's shared data folder.

Run from the repository root: ``python -m inss_geo.data.build_bundle ../shared/data``.
Every output is derived from the files named in ``inss_geo/data/PROVENANCE.md``; this
script is the exact recipe, so the bundle can be audited and rebuilt.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
import rasterio

HERE = Path(__file__).resolve().parent
TESTS_DATA = HERE.parent.parent / "tests" / "data"
GRIDS = ("ASD", "BECK", "AVIRIS1996")


def _envi_list(tags: dict[str, str], key: str) -> np.ndarray:
    return np.array([float(v) for v in tags[key].strip("{} ").split(",")])


def build(shared: Path) -> None:
    """Write the library, oversampled spectra, AVIRIS sensor table, prior and test fixtures."""
    lib = np.load(shared / "usgs_splib07/inss345_cvAVIRIS2014.npz")
    names = [str(n) for n in lib["names"]]

    # AVIRIS-Classic 2014 calibration: centres from the 2014 La Cumbre scene, FWHM from
    # the 2008 flight-line header (no 2014 FWHM list was available).
    centres = np.load(shared / "aviris/santabarbara2014/aviris_20140416_lacumbre_90x90x224.npz")[
        "wavelengths_nm"
    ]
    with rasterio.open(
        shared / "aviris/envi_samples/f080702t01p00r08rdn_c_sc01_ort_img_123_456.img"
    ) as src:
        fwhm = _envi_list(src.tags(ns="ENVI"), "fwhm")
    with open(HERE / "aviris_classic_2014.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["channel", "wavelength_nm", "fwhm_nm"])
        for i, (c, f) in enumerate(zip(centres, fwhm, strict=True)):
            w.writerow([i + 1, f"{c:.4f}", f"{f:.4f}"])

    np.savez_compressed(
        HERE / "usgs_inss345_aviris2014.npz",
        spectra=lib["spectra"].astype(np.float32),
        names=np.array(names),
        chapters=lib["chapters"],
    )

    # Oversampled splib07b spectra of the same 345 materials, on their native grids.
    over = np.load(shared / "usgs_splib07/splib07b_oversampled_vnir_swir.npz")
    where = {}
    for g in GRIDS:
        for i, f in enumerate(over[f"{g}_files"]):
            where[str(f)[len("splib07b_") : -len(".txt")]] = (g, i)
    out: dict[str, np.ndarray] = {}
    for g in GRIDS:
        rows = [(k, where[n][1]) for k, n in enumerate(names) if where[n][0] == g]
        if not rows:
            continue
        out[f"{g}_library_index"] = np.array([k for k, _ in rows])
        out[f"{g}_wavelengths_um"] = over[f"{g}_wavelengths_um"]
        out[f"{g}_spectra"] = over[f"{g}_spectra"][[i for _, i in rows]].astype(np.float32)
    out["deleted_value"] = over["deleted_value"]
    np.savez_compressed(HERE / "usgs_inss345_oversampled.npz", **out)

    t0 = np.load(shared / "usgs_splib07/inss_t_init_AVIRIS224.npz")["t_init"]
    np.savez_compressed(HERE / "inss_t_init_aviris224.npz", t_init=t0.astype(np.float32))

    # Test fixture: the official USGS AVIRIS-1995 rows of the same materials.
    av95 = np.load(shared / "usgs_splib07/splib07_cvAVIRIS1995.npz")
    norm = {" ".join(str(t).replace("_", " ").split()): i for i, t in enumerate(av95["titles"])}
    pairs = [(k, norm.get(" ".join(n.replace("_", " ").split()))) for k, n in enumerate(names)]
    pairs = [(k, i) for k, i in pairs if i is not None]
    TESTS_DATA.mkdir(exist_ok=True)
    np.savez_compressed(
        TESTS_DATA / "usgs_av95_rows.npz",
        library_index=np.array([k for k, _ in pairs]),
        spectra=av95["spectra"][[i for _, i in pairs]],
        wavelengths_um=av95["wavelengths_um"],
        fwhm_um=av95["fwhm_um"],
        deleted_value=av95["deleted_value"],
    )
    write_example(shared / "rgb/naip_m_4709963_se_14_1_20140720.tif", HERE / "example_naip_rgb.tif")
    print(f"bundled 345 spectra; {len(pairs)} AV95 reference rows; example RGB")


def write_example(naip: Path, out: Path, row: int = 200, col: int = 300, size: int = 384) -> None:
    """A size x size crop of the NAIP orthophoto's R, G, B bands (NIR dropped), tagged as RGB."""
    from rasterio.enums import ColorInterp
    from rasterio.windows import Window

    with rasterio.open(naip) as src:
        win = Window(col, row, size, size)
        profile = src.profile | {
            "width": size, "height": size, "count": 3, "transform": src.window_transform(win),
            "blockxsize": 128, "blockysize": 128, "photometric": "RGB",
        }
        data = src.read([1, 2, 3], window=win)
    with rasterio.open(out, "w", **profile) as dst:
        dst.write(data)
        dst.colorinterp = [ColorInterp.red, ColorInterp.green, ColorInterp.blue]
        dst.update_tags(source="USDA NAIP 2014-07-20 m_4709963_se (5 m resample), bands R,G,B; see PROVENANCE.md")


if __name__ == "__main__":
    build(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data"))
