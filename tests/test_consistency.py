"""The scale-free checks: invariant to units, blind to nodata, and alarmed by blur and colour drift."""

import numpy as np

from inss_geo.consistency import ConsistencyMeter, consistency


def _scene(seed=0):
    rng = np.random.default_rng(seed)
    rgb = np.zeros((3, 40, 50))
    rgb[:, 10:30, 15:35] = 1.0  # a bright square: edges
    return rgb + 0.05 * rng.random((3, 40, 50))


def test_a_faithful_hsi_in_other_units_scores_one():
    rgb = _scene()
    hsi = np.concatenate([rgb * 4095 + 100, rgb[:1] * 900])  # channels 0-2 the RGB, 3 a visible band
    res = consistency(rgb, hsi, (0, 1, 2), np.array([0, 1, 2, 3]), np.ones((40, 50), bool))
    assert all(abs(res[k] - 1) < 1e-9 for k in ("rgb_r_red", "rgb_r_green", "rgb_r_blue"))
    assert res["edge_r"] > 0.999


def test_blur_and_colour_drift_show():
    rgb = _scene()
    k = np.ones(7) / 7
    blurred = np.apply_along_axis(lambda r: np.convolve(r, k, "same"), 2, rgb)
    blurred = np.apply_along_axis(lambda c: np.convolve(c, k, "same"), 1, blurred)
    drift = blurred[[0, 2, 1]] + np.random.default_rng(1).random((3, 40, 50))  # green and blue swapped, noise
    res = consistency(rgb, drift, (0, 1, 2), np.array([0, 1, 2]), np.ones((40, 50), bool))
    assert res["edge_r"] < 0.8 and res["rgb_r_red"] < 0.9


def test_blocks_add_up_and_nodata_is_ignored():
    rgb, valid = _scene(), np.ones((40, 50), bool)
    hsi = rgb * 3 + np.random.default_rng(2).random((3, 40, 50))
    whole = ConsistencyMeter((0, 1, 2), np.array([0, 1, 2]))
    whole.add(rgb, hsi, valid)
    parts = ConsistencyMeter((0, 1, 2), np.array([0, 1, 2]))
    poisoned = hsi.copy()
    poisoned[:, :, 25:26] = -9999.0  # a nodata column
    mask = valid.copy()
    mask[:, 25:26] = False
    parts.add(rgb, poisoned, mask)
    a, b = whole.summary(), parts.summary()
    assert abs(a["rgb_r_red"] - b["rgb_r_red"]) < 0.02 and abs(a["edge_r"] - b["edge_r"]) < 0.05
