import numpy as np
import pytest
import torch

from colorization.evaluation import (amplified_confusions, auc_of, bootstrap_rows, gt_bin_counts, image_histograms,
                                     interval, per_image_auc, to_lab)
from colorization.lab import lab_to_rgb
from colorization.metrics import auc, equal_bin_weights, inverse_prior_weights


def _rgb(lab):
    return (lab_to_rgb(lab).permute(0, 2, 3, 1).numpy() * 255 + 0.5).astype(np.uint8)


@pytest.fixture(scope="module")
def pair():
    rng = np.random.default_rng(0)
    gt_lab = torch.from_numpy(np.stack([rng.uniform(30, 80, (4, 12, 12)), rng.uniform(-40, 60, (4, 12, 12)),
                                        rng.uniform(-30, 70, (4, 12, 12))], 1).astype(np.float32))
    gt = _rgb(gt_lab)
    pred = gt.copy()
    pred[:2] = _rgb(torch.cat([to_lab(gt[:2])[:, :1], torch.zeros(2, 2, 12, 12)], 1))  # two images greyed
    return gt, pred


def test_histogram_auc_equals_direct_auc(pair):
    gt, pred = pair
    prior = np.random.default_rng(1).dirichlet(np.ones(313))
    counts = gt_bin_counts(gt)
    hists, _ = image_histograms(pred, gt, prior, counts, batch=3)
    g, p = to_lab(gt)[:, 1:], to_lab(pred)[:, 1:]
    assert auc_of(*hists["auc"]) == pytest.approx(auc(p, g)[0], abs=1e-9)
    assert auc_of(*hists["auc_rebal"]) == pytest.approx(auc(p, g, weights=inverse_prior_weights(g, prior))[0], abs=1e-9)
    assert auc_of(*hists["auc_rebal_eq"]) == pytest.approx(auc(p, g, weights=equal_bin_weights(g))[0], abs=1e-9)


def test_per_image_auc_and_resampled_rows(pair):
    gt, pred = pair
    hists, chroma = image_histograms(pred, gt, np.full(313, 1 / 313), gt_bin_counts(gt))
    per = per_image_auc(*hists["auc"])
    g, p = to_lab(gt)[:, 1:], to_lab(pred)[:, 1:]
    for i in range(4):
        assert per[i] == pytest.approx(auc(p[i : i + 1], g[i : i + 1])[0], abs=1e-9)
    assert per[2] == pytest.approx(1.0) and per[0] < 1.0
    assert auc_of(*hists["auc"], rows=np.array([2, 3])) == pytest.approx(1.0)
    assert chroma["vivid"][0] < 2 < chroma["vivid"][2]  # greyed images have no chroma left


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


def test_bootstrap_interval_covers_the_mean():
    x = np.random.default_rng(0).normal(5, 1, 400)
    lo, hi = interval(lambda r: float(x[r].mean()), bootstrap_rows(len(x), 500, 0))
    assert lo < 5 < hi and hi - lo < 0.5
