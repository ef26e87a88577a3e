import numpy as np
import pytest
import torch

from colorization.confusion import amplified_confusions, confused_only_after, off_diagonal
from colorization.evaluation import (gt_bin_counts, image_pieces, image_weight_totals, max_image_share,
                                     per_image_auc, percentile_interval, resample_weights, statistics)
from colorization.lab import lab_to_rgb, uint8_to_lab
from colorization.metrics import auc, colorfulness, equal_bin_weights, inverse_prior_weights, ssim


def _rgb(lab):
    return (lab_to_rgb(lab).permute(0, 2, 3, 1).numpy() * 255 + 0.5).astype(np.uint8)


@pytest.fixture(scope="module")
def pair():
    rng = np.random.default_rng(0)
    gt_lab = torch.from_numpy(np.stack([rng.uniform(30, 80, (4, 12, 12)), rng.uniform(-40, 60, (4, 12, 12)),
                                        rng.uniform(-30, 70, (4, 12, 12))], 1).astype(np.float32))
    gt = _rgb(gt_lab)
    pred = gt.copy()
    pred[:2] = _rgb(torch.cat([uint8_to_lab(gt[:2])[:, :1], torch.zeros(2, 2, 12, 12)], 1))  # two images greyed
    return gt, pred


def _prior():
    return np.random.default_rng(1).dirichlet(np.ones(313)) * 0.5 + 0.5 / 313


def test_histogram_auc_equals_direct_auc(pair):
    gt, pred = pair
    prior = _prior()
    pieces = image_pieces(pred, gt, prior, gt_bin_counts(gt), batch=3)
    hits = {"top1": np.array([1.0, 0.0, 1.0, np.nan])}
    stats = statistics(pieces, hits, colorfulness(gt))
    g, p = uint8_to_lab(gt)[:, 1:], uint8_to_lab(pred)[:, 1:]
    assert stats["auc"] == pytest.approx(auc(p, g)[0], abs=1e-9)
    assert stats["auc_rebal"] == pytest.approx(auc(p, g, weights=inverse_prior_weights(g, prior))[0], abs=1e-9)
    assert stats["auc_rebal_eq"] == pytest.approx(auc(p, g, weights=equal_bin_weights(g))[0], abs=1e-9)
    assert stats["top1"] == pytest.approx(2 / 3)  # the unscored image is left out
    assert stats["ssim"] == pytest.approx(ssim(pred, gt).mean())
    assert stats["delta_cf"] == pytest.approx(abs(colorfulness(pred).mean() - colorfulness(gt).mean()))


def test_weighted_statistics_equal_the_statistics_of_the_resampled_images(pair):
    gt, pred = pair
    prior = _prior()
    rows = np.array([0, 0, 2, 3, 3, 3])  # a bootstrap draw, as multiplicities
    weights = np.bincount(rows, minlength=4)
    pieces = image_pieces(pred, gt, prior, gt_bin_counts(gt))
    hits = {"top5": np.array([1.0, 0.0, 1.0, 0.0])}
    weighted = statistics(pieces, hits, colorfulness(gt), weights)
    drawn = statistics(image_pieces(pred[rows], gt[rows], prior, gt_bin_counts(gt)), {"top5": hits["top5"][rows]},
                       colorfulness(gt[rows]))
    for key, value in drawn.items():
        assert weighted[key] == pytest.approx(value, rel=1e-9), key


def test_per_image_auc_and_weight_shares(pair):
    gt, pred = pair
    pieces = image_pieces(pred, gt, np.full(313, 1 / 313), gt_bin_counts(gt))
    per = per_image_auc(*pieces["auc"])
    g, p = uint8_to_lab(gt)[:, 1:], uint8_to_lab(pred)[:, 1:]
    for i in range(4):
        assert per[i] == pytest.approx(auc(p[i : i + 1], g[i : i + 1])[0], abs=1e-9)
    assert per[2] == pytest.approx(1.0) and per[0] < 1.0
    assert pieces["chroma"]["vivid"][0] < 2 < pieces["chroma"]["vivid"][2]  # greyed images have no chroma left
    totals = image_weight_totals(gt, np.full(313, 1 / 313), 0.0)
    assert max_image_share(totals) == pytest.approx(0.25)  # uniform prior: each image its pixel share
    np.testing.assert_allclose(totals, pieces["auc_rebal"][1])


def test_resamples_and_paired_intervals():
    w = resample_weights(50, 200, 0)
    assert w.shape == (200, 50) and (w.sum(1) == 50).all()
    x = np.random.default_rng(0).normal(5, 1, 400)
    y = x - 0.3 + np.random.default_rng(1).normal(0, 0.05, 400)  # y tracks x: paired differences are tight
    boot = resample_weights(400, 500, 0)
    means_x, means_y = boot @ x / 400, boot @ y / 400
    lo, hi = percentile_interval(means_x)
    assert lo < 5 < hi and hi - lo < 0.5
    dlo, dhi = percentile_interval(means_x - means_y)
    assert 0.28 < dlo < 0.3 < dhi < 0.32  # the paired interval excludes 0; unpaired ones would overlap


def test_amplified_confusions_by_hand():
    c_gt = np.array([[1.0, 0.2, 0.0], [0.0, 0.8, 0.5], [0.1, 0.1, 0.9]])
    c_col = np.array([[1.0, 0.9, 0.1], [0.3, 0.9, 0.5], [0.1, 0.1, 0.2]])
    rows = amplified_confusions(c_gt, c_col, ["a", "b", "c"], top=3)
    assert [(r["true"], r["confused_with"]) for r in rows] == [("a", "b"), ("b", "a"), ("a", "c")]
    assert rows[0]["increase"] == pytest.approx(0.7)


def test_amplified_confusions_into_other_columns():
    # rows: two of our classes; columns: four classes (e.g. ImageNet), own columns 1 and 3
    c_gt = np.array([[0.0, 0.9, 0.1, 0.0], [0.2, 0.0, 0.0, 0.7]])
    c_col = np.array([[0.5, 0.2, 0.1, 0.0], [0.2, 0.1, 0.0, 0.9]])
    rows = amplified_confusions(c_gt, c_col, ["x", "y"], ["a", "x", "b", "y"], own_column=[1, 3], top=2)
    assert [(r["true"], r["confused_with"]) for r in rows] == [("x", "a"), ("y", "x")]


def test_figure_5_and_6_data():
    c_gt = np.array([[0.9, 0.2, 0.0], [0.0, 0.8, 0.0], [0.0, 0.0, 1.0]])
    c_col = np.array([[0.9, 0.5, 0.1], [0.0, 0.8, 0.0], [0.0, 0.0, 1.0]])
    r, c, g, o = off_diagonal(c_gt, c_col, [0, 1, 2], [0, 1, 2])
    assert sorted(zip(r.tolist(), c.tolist())) == [(0, 1), (0, 2)]
    top_gt = np.array([[0, 2], [0, 1], [1, 0]])
    top_col = np.array([[0, 1], [0, 1], [1, 2]])
    labels = np.array([0, 0, 1])
    assert confused_only_after(top_gt, top_col, labels, 0, 1).tolist() == [0]  # image 1 was confused already
