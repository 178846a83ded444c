"""The results page's computed parts: Figure 6's fit and dip depths, and the claims' verdicts."""

import numpy as np
import pytest

from experiments.figures import feature_depth, fitted
from experiments.report import claims, table3


def test_fitted_reference_and_dip_depth():
    wl = np.arange(700, 820, 10.0)
    t = np.ones_like(wl)
    t[wl == 760] = 0.6  # the O2 band
    ok = np.ones_like(wl, bool)
    scaled, q = fitted(2 * t, t, ok)
    assert q == 0.5 and np.allclose(scaled, t)
    assert feature_depth(t, wl, ok, 760.0) == pytest.approx(0.4)
    assert np.isnan(feature_depth(t, wl, ok, 2000.0))  # no channels there


def _result(mpsnr, sam=0.1):
    return {"mean": {"standard": {"MPSNR": mpsnr, "SAM": sam}}}


def test_claims_are_computed_from_the_numbers():
    results = {"inss": _result(25.0, 0.10), "lmm": _result(24.0, 0.12), "hscnn": _result(26.0, 0.09),
               "ridge": _result(24.8)}
    rows = [{"classifier": "2D-CNN", "setting": s, "per_class": n, "seed": seed, "OA": oa + seed / 10, "AA": oa, "kappa": oa}
            for n in (50, 100, 200) for s, oa in (("HSI", 90.0), ("HSI + A(HSI)", 91.0)) for seed in range(3)]
    text = "\n".join(claims(results, rows, {}))
    assert "best MPSNR of the compared methods (Table I): **did not hold**" in text  # HSCNN+ is 1 dB higher here
    assert "lowest SAM (Table I): **did not hold**" in text
    assert "linear mixture model of PDASS: **held**" in text
    assert "ridge regression from RGB (this project's bar, not a claim of the paper): inconclusive" in text  # 0.2 dB
    assert "2D-CNN's overall accuracy (Table III): **held** (50 per class: +1.00 ± 0.08 points" in text
    assert "3D-CNN" not in text  # not run: no verdict
    table = "\n".join(table3(rows))
    assert "| 2D-CNN | HSI + A(HSI) | 100 | 91.10 ± 0.08 |" in table
