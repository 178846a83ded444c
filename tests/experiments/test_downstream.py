"""Table III's parts: the metrics, the draw of training pixels, A and the classifiers."""

import numpy as np
import pytest
import torch

from experiments.downstream import (
    AbundanceNet,
    classify,
    draw_training,
    scores,
    standardise,
    train_abundance_net,
)


def test_scores_known_values():
    truth = np.array([0, 0, 0, 0, 1, 1])
    pred = np.array([0, 0, 0, 1, 1, 1])
    s = scores(truth, pred)
    assert s.oa == pytest.approx(100 * 5 / 6)
    assert s.aa == pytest.approx(100 * (3 / 4 + 1) / 2)
    pe = (4 / 6) * (3 / 6) + (2 / 6) * (3 / 6)  # chance agreement
    assert s.kappa == pytest.approx(100 * (5 / 6 - pe) / (1 - pe))
    assert scores(truth, truth).kappa == pytest.approx(100)


def test_draw_training_takes_n_per_class_and_depends_on_the_seed():
    labels = np.zeros((20, 20), int)
    labels[:10], labels[10:, :5] = 3, 7
    a, b = draw_training(labels, 6, 0), draw_training(labels, 6, 1)
    assert (labels[a] == 3).sum() == 6 and (labels[a] == 7).sum() == 6 and not (labels[a] == 0).any()
    assert (a != b).any() and (draw_training(labels, 6, 0) == a).all()


@pytest.mark.parametrize("classifier", ["2D-CNN", "3D-CNN"])
def test_classifiers_learn_a_separable_scene(classifier):
    """Two classes that differ in their spectra: a few steps already tell them apart."""
    torch.set_num_threads(1)
    labels = np.zeros((24, 24), int)
    labels[:, :12], labels[:, 12:] = 1, 2
    rng = np.random.default_rng(0)
    features = rng.normal(0, 0.3, (12, 24, 24)).astype(np.float32)
    features[:6, :, :12] += 1.5
    s = classify(standardise(features), labels, classifier, 20, 0, steps=40)
    assert s.oa > 90


def test_abundance_net_learns_fractions_that_sum_to_one():
    rng = np.random.default_rng(0)
    ab = rng.dirichlet(np.ones(5), (40, 40)).transpose(2, 0, 1).astype(np.float32)
    endmembers = rng.random((8, 5)).astype(np.float32)
    hsi = np.einsum("kn,nhw->khw", endmembers, ab).astype(np.float32)
    net = train_abundance_net([(hsi, ab)], np.ones(8, bool), steps=150)
    with torch.no_grad():
        pred = net(torch.from_numpy(hsi)[None])[0].numpy()
    np.testing.assert_allclose(pred.sum(0), 1, rtol=1e-5)
    untrained = AbundanceNet(8, 5)(torch.from_numpy(hsi)[None])[0].detach().numpy()
    assert np.abs(pred - ab).mean() < 0.5 * np.abs(untrained - ab).mean()
