import numpy as np
import pytest
import torch

from colorization.bins import ab_bins
from colorization.metrics import (auc, equal_bin_weights, inverse_prior_weights, topk_accuracy,
                                  topk_confusion)


def test_identical_images_score_one():
    ab = torch.randn(2, 2, 8, 8) * 40
    score, curve = auc(ab, ab)
    assert score == pytest.approx(1.0) and curve.shape == (151,) and (curve == 1).all()


@pytest.mark.parametrize("d", [0.5, 30.5, 149.5])
def test_constant_error_gives_analytic_value(d):
    true = torch.zeros(1, 2, 4, 4)
    pred = true.clone()
    pred[:, 0] = d * 0.6
    pred[:, 1] = d * 0.8  # |(0.6d, 0.8d)| = d
    score, curve = auc(pred, true)
    # share within t is 1 for t >= d, else 0: area (150 - d) / 150
    assert score == pytest.approx((150 - d) / 150, abs=1e-6)
    assert curve[int(d)] == 0 and curve[int(d) + 1] == 1


def test_rebalanced_auc_differs_on_rare_colours():
    bins = ab_bins()
    true = torch.zeros(1, 2, 10, 10)
    true[0, :, 0, 0] = torch.tensor([60.0, 60.0])  # one saturated pixel among greys
    pred = torch.zeros_like(true)  # grey prediction: right on 99 pixels, far off on one
    prior = np.full(313, 1e-4)
    prior[np.argmin(np.abs(bins).sum(1))] = 0.99
    prior /= prior.sum()
    raw, _ = auc(pred, true)
    rebal, _ = auc(pred, true, weights=inverse_prior_weights(true, prior))
    assert raw > 0.99 and rebal < 0.5
    eq, _ = auc(pred, true, weights=equal_bin_weights(true))
    assert eq == pytest.approx((1 + (150 - np.hypot(60, 60)) / 150) / 2, abs=0.01)


def test_topk_and_confusion_by_hand():
    scores = np.array([
        [0.9, 0.05, 0.03, 0.02],  # class 0 -> top2 {0,1}
        [0.1, 0.2, 0.6, 0.1],     # class 0 -> top2 {2,1}
        [0.1, 0.5, 0.3, 0.1],     # class 1 -> top2 {1,2}
        [0.45, 0.1, 0.05, 0.4],   # class 3 -> top2 {0,3}
    ])
    labels = np.array([0, 0, 1, 3])
    assert topk_accuracy(scores, labels, k=1) == pytest.approx(2 / 4)
    assert topk_accuracy(scores, labels, k=2) == pytest.approx(3 / 4)
    c = topk_confusion(scores, labels, 4, k=2)
    np.testing.assert_allclose(c[0], [0.5, 1.0, 0.5, 0.0])
    np.testing.assert_allclose(c[1], [0.0, 1.0, 1.0, 0.0])
    assert np.isnan(c[2]).all()
    np.testing.assert_allclose(c[3], [1.0, 0.0, 0.0, 1.0])
