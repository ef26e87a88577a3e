import numpy as np
import pytest
import torch
from sklearn.metrics import top_k_accuracy_score

from colorization.bins import Q, ab_bins, nearest_bin
from colorization.confusion import topk_confusion
from colorization.metrics import (PSNR_CAP, REBALANCE_FLOOR, auc, colorfulness, equal_bin_weights, topk_classes,
                                  inverse_prior_weights, mean_psnr, psnr, ssim, topk_accuracy, topk_hits)


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


def _grey_scene_with_one_vivid_pixel():
    true = torch.zeros(1, 2, 10, 10)
    true[0, :, 0, 0] = torch.tensor([60.0, 60.0])  # one saturated pixel among greys
    return true, torch.zeros_like(true)  # a grey prediction: right on 99 pixels, far off on one


def test_rebalanced_auc_differs_on_rare_colours():
    true, pred = _grey_scene_with_one_vivid_pixel()
    bins = ab_bins()
    prior = np.full(313, 1e-3)
    prior[np.argmin(np.abs(bins).sum(1))] = 0.9
    prior /= prior.sum()
    raw, _ = auc(pred, true)
    rebal, _ = auc(pred, true, weights=inverse_prior_weights(true, prior))
    assert raw > 0.99 and rebal < 0.5
    eq, _ = auc(pred, true, weights=equal_bin_weights(true))
    assert eq == pytest.approx((1 + (150 - np.hypot(60, 60)) / 150) / 2, abs=0.01)


def test_rebalanced_auc_equals_zhangs_where_the_prior_is_above_the_floor():
    rng = np.random.default_rng(0)
    prior = rng.dirichlet(np.ones(Q)) * 0.5 + 0.5 / Q  # every bin above the floor 1/(10 Q)
    assert prior.min() > REBALANCE_FLOOR
    true, pred = torch.randn(2, 2, 12, 12) * 35, torch.randn(2, 2, 12, 12) * 35
    # Zhang's definition written out: weight 1/p of the nearest bin, by brute force
    d = ((ab_bins()[:, :, None, None, None] - true.permute(1, 0, 2, 3).numpy()[None]) ** 2).sum(1)
    zhang = torch.from_numpy(1.0 / prior[d.argmin(0)])
    assert auc(pred, true, weights=inverse_prior_weights(true, prior))[0] == auc(pred, true, weights=zhang)[0]


def test_a_bin_the_prior_never_saw_is_floored_not_infinite():
    true, pred = _grey_scene_with_one_vivid_pixel()
    grey_bin = nearest_bin(torch.zeros(1, 2, 1, 1)).item()
    prior = np.zeros(Q)
    prior[grey_bin] = 1.0  # the training split never saw the vivid pixel's bin
    w = inverse_prior_weights(true, prior)
    assert torch.isfinite(w).all() and w[0, 0, 0] == pytest.approx(1 / REBALANCE_FLOOR)
    # the unseen pixel counts, weighing 1/floor = 10 Q against a grey pixel's 1
    share = (w[0, 0, 0] / w.sum()).item()
    assert 0 < share < 1 and share == pytest.approx((1 / REBALANCE_FLOOR) / (1 / REBALANCE_FLOOR + 99), rel=1e-9)
    score, _ = auc(pred, true, weights=w)
    assert 0 < score < 1


def test_topk_hits_agree_with_scikit_learn():
    rng = np.random.default_rng(0)
    scores = rng.random((200, 12))
    labels = rng.integers(0, 12, 200)
    for k in (1, 3, 5):
        assert topk_accuracy(scores, labels, k) == pytest.approx(top_k_accuracy_score(labels, scores, k=k,
                                                                                      labels=np.arange(12)))
    assert topk_hits(scores, labels, 1).tolist() == (scores.argmax(1) == labels).tolist()


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
    c = topk_confusion(topk_classes(scores, 2), labels, 4)
    np.testing.assert_allclose(c[0], [0.5, 1.0, 0.5, 0.0])
    np.testing.assert_allclose(c[1], [0.0, 1.0, 1.0, 0.0])
    assert np.isnan(c[2]).all()
    np.testing.assert_allclose(c[3], [1.0, 0.0, 0.0, 1.0])


def test_colorfulness_by_hand():
    grey = np.full((1, 8, 8, 3), 128, np.uint8)
    assert colorfulness(grey)[0] == 0.0
    flat_red = np.zeros((1, 4, 4, 3), np.uint8)
    flat_red[..., 0] = 200  # rg = 200, yb = 100 everywhere: sigma 0, mu = sqrt(200^2 + 100^2)
    assert colorfulness(flat_red)[0] == pytest.approx(0.3 * np.hypot(200, 100))
    halves = np.zeros((1, 2, 2, 3), np.uint8)
    halves[0, 0, :, 1] = 100  # top row green: rg = -100, yb = 50; bottom row black: 0, 0
    # signed, as Hasler & Suesstrunk: std(rg) = 50, std(yb) = 25, mean(rg) = -50, mean(yb) = 25
    assert colorfulness(halves)[0] == pytest.approx(np.hypot(50, 25) + 0.3 * np.hypot(-50, 25))


def test_psnr_and_ssim_of_an_image_against_itself_and_others():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (2, 16, 16, 3), dtype=np.uint8)
    assert np.isinf(psnr(a, a)).all() and (ssim(a, a) == 1.0).all()
    assert mean_psnr(psnr(a, a)) == float("inf")
    b = a.copy()
    b[0, 0, 0, 0] ^= 0x10  # one channel of one pixel off by 16
    mse = 16**2 / (16 * 16 * 3)
    assert psnr(b[:1], a[:1])[0] == pytest.approx(10 * np.log10(255**2 / mse))
    assert mean_psnr(psnr(b, a)) == pytest.approx((psnr(b[:1], a[:1])[0] + PSNR_CAP) / 2)  # the identical one capped
    assert 0 < ssim(b[:1], a[:1])[0] < 1
