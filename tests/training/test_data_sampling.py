"""Band weights of the L1 loss: each kind sums to 1 over the channels the scenes have."""

import numpy as np
import pytest

from inss_geo.errors import ConfigError
from inss_geo.training.data_sampling import SceneSet
from inss_geo.training.scenes import load_scene


def test_band_weightings(scene_files, sensor):
    scenes = SceneSet([load_scene(p, sensor) for p in scene_files[:2]], sensor, 4095.0)
    _, ok = scenes.mean_spectrum()
    uniform = scenes.band_weights("uniform")
    np.testing.assert_allclose(uniform[ok], 1 / ok.sum())  # no band weighting: every channel alike
    inverse = scenes.band_weights("inverse-mean")
    assert inverse.std() > 0  # dim channels weigh more: not the uniform weights
    for w in (uniform, inverse, scenes.band_weights("variance")):
        assert abs(w.sum() - 1) < 1e-9 and (w >= 0).all()
    with pytest.raises(ConfigError, match="uniform"):
        scenes.band_weights("equal")
