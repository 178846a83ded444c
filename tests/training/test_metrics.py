import numpy as np
import pytest

from inss_geo.training.metrics import evaluate_arrays


def _cube(seed=0, shape=(6, 20, 24)):
    return np.random.default_rng(seed).uniform(100, 3000, shape)


@pytest.mark.parametrize("convention", ["paper", "standard"])
def test_perfect_prediction(convention):
    ref = _cube()
    m = evaluate_arrays(ref, ref, np.ones(6, bool), np.ones((20, 24), bool), data_scale=4095, convention=convention)
    assert m["RMSE"] == 0 and m["MRAE"] == 0 and m["SAM"] < 1e-6
    assert m["MSSIM"] == pytest.approx(1.0) and m["MPSNR"] > 100


def test_paper_psnr_uses_peak_65535_on_0_4095_data():
    ref = _cube()
    pred = ref + 10.0  # constant error of 10 in every band
    m = evaluate_arrays(pred, ref, np.ones(6, bool), np.ones((20, 24), bool), data_scale=4095, convention="paper")
    assert m["RMSE"] == pytest.approx(10.0)
    assert m["MPSNR"] == pytest.approx(20 * np.log10(65535 / 10))
    assert m["MRAE"] == pytest.approx(np.mean(10 / (ref + 1)))
    # another data scale is rescaled onto 0-4095 first
    m2 = evaluate_arrays(2 * pred, 2 * ref, np.ones(6, bool), np.ones((20, 24), bool), data_scale=8190, convention="paper")
    assert m2["MPSNR"] == pytest.approx(m["MPSNR"])


def test_standard_psnr_uses_reference_band_max():
    ref = _cube()
    pred = ref + 10.0
    m = evaluate_arrays(pred, ref, np.ones(6, bool), np.ones((20, 24), bool), data_scale=4095, convention="standard")
    assert m["MPSNR"] == pytest.approx(np.mean(20 * np.log10(ref.max(axis=(1, 2)) / 10)))
    assert m["MRAE"] == pytest.approx(np.mean(10 / ref))


def test_masks_select_channels_and_pixels():
    ref = _cube()
    pred = ref.copy()
    pred[5] += 500  # a channel that is not scored
    pred[:, 0, 0] += 900  # a pixel that is not valid
    valid = np.ones((20, 24), bool)
    valid[0, 0] = False
    channels = np.array([1, 1, 1, 1, 1, 0], bool)
    m = evaluate_arrays(pred, ref, channels, valid, data_scale=4095, convention="standard")
    assert m["RMSE"] == 0 and m["SAM"] < 1e-6 and m["MSSIM"] == pytest.approx(1.0)


def test_sam_of_a_rotated_spectrum():
    ref = np.zeros((2, 12, 12))
    ref[0] = 1.0
    pred = np.zeros((2, 12, 12))
    pred[0] = 1.0
    pred[1] = 1.0  # 45 degrees away
    m = evaluate_arrays(pred, ref, np.ones(2, bool), np.ones((12, 12), bool), data_scale=1, convention="paper")
    assert m["SAM"] == pytest.approx(np.pi / 4)
