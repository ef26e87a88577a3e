"""Per-image pieces of the paper's evaluation, kept separable so that bootstrap
intervals over images come cheaply: an image's AuC contribution is a histogram
of its pixel errors, and a set's AuC is computed from the summed histograms."""

import numpy as np
import torch

from .bins import Q, nearest_bin
from .lab import uint8_to_lab
from .metrics import error_histogram, error_histogram_curve

MAX_THRESHOLD = 150
VIVID_CHROMA = 20.0  # ground-truth chroma above which a pixel counts as vivid


def to_lab(rgb_uint8: np.ndarray) -> torch.Tensor:
    return uint8_to_lab(rgb_uint8)


def gt_bin_counts(gt_rgb: np.ndarray, batch=256) -> np.ndarray:
    """Pixel counts per ground-truth bin over the whole evaluated set (for equal-bin weights)."""
    counts = np.zeros(Q)
    for i in range(0, len(gt_rgb), batch):
        counts += np.bincount(nearest_bin(to_lab(gt_rgb[i : i + batch])[:, 1:]).flatten().numpy(), minlength=Q)
    return counts


def image_histograms(pred_rgb, gt_rgb, prior, eq_counts, batch=128):
    """Per image, the weighted error histograms behind AuC: raw, rebalanced by 1/prior
    (Zhang), and rebalanced with equal weight per ground-truth bin. Returns a dict of
    (hist (N, MAX+2), total (N,)) plus per-image mean chroma on vivid / desaturated pixels."""
    prior = np.asarray(prior, dtype=np.float64)
    inv_prior = np.divide(1.0, prior, out=np.zeros_like(prior), where=prior > 0)
    inv_count = np.divide(1.0, eq_counts, out=np.zeros_like(eq_counts, dtype=float), where=eq_counts > 0)
    out = {k: ([], []) for k in ("auc", "auc_rebal", "auc_rebal_eq")}
    chroma = {"vivid": [], "dull": []}
    for i in range(0, len(gt_rgb), batch):
        p_lab, g_lab = to_lab(pred_rgb[i : i + batch]), to_lab(gt_rgb[i : i + batch])
        err = torch.linalg.vector_norm(p_lab[:, 1:] - g_lab[:, 1:], dim=1).double().numpy()
        q = nearest_bin(g_lab[:, 1:]).numpy()
        weights = {"auc": np.ones_like(err), "auc_rebal": inv_prior[q], "auc_rebal_eq": inv_count[q]}
        for name, w in weights.items():
            for e_img, w_img in zip(err, w):
                h, t = error_histogram(e_img.ravel(), w_img.ravel(), MAX_THRESHOLD)
                out[name][0].append(h)
                out[name][1].append(t)
        g_chroma = torch.linalg.vector_norm(g_lab[:, 1:], dim=1).numpy()
        p_chroma = torch.linalg.vector_norm(p_lab[:, 1:], dim=1).numpy()
        vivid = g_chroma > VIVID_CHROMA
        for pc, v in zip(p_chroma, vivid):
            chroma["vivid"].append(pc[v].mean() if v.any() else np.nan)
            chroma["dull"].append(pc[~v].mean() if (~v).any() else np.nan)
    hists = {k: (np.array(h), np.array(t)) for k, (h, t) in out.items()}
    return hists, {k: np.array(v) for k, v in chroma.items()}


def auc_of(hist: np.ndarray, total: np.ndarray, rows=None) -> float:
    """AuC of the images ``rows`` (all if None) from their per-image histograms."""
    h = hist if rows is None else hist[rows]
    t = total if rows is None else total[rows]
    curve = error_histogram_curve(h.sum(0), t.sum())
    return float(np.trapezoid(curve, np.arange(MAX_THRESHOLD + 1)) / MAX_THRESHOLD)


def auc_curve(hist: np.ndarray, total: np.ndarray) -> np.ndarray:
    return error_histogram_curve(hist.sum(0), total.sum())


def bootstrap_rows(n: int, n_boot: int, seed: int):
    """The same image resamples for every variant, so intervals are comparable."""
    rng = np.random.default_rng(seed)
    return [rng.integers(0, n, n) for _ in range(n_boot)]


def interval(stat, resamples, alpha=0.05):
    if not resamples:
        return [float("nan"), float("nan")]
    vals = np.array([stat(r) for r in resamples])
    return [float(np.nanquantile(vals, alpha / 2)), float(np.nanquantile(vals, 1 - alpha / 2))]


def amplified_confusions(c_gt: np.ndarray, c_col: np.ndarray, row_names, col_names=None, own_column=None, top=10):
    """Confusion entries that colourization raised most: C_col - C_gt, largest first.

    Matrices are (rows, columns): rows are true classes, columns predicted ones (the same
    classes, or e.g. all 1000 ImageNet classes); ``own_column[r]`` is row r's own column,
    left out as it is accuracy, not confusion (default: the diagonal).
    """
    col_names = row_names if col_names is None else col_names
    own_column = range(len(row_names)) if own_column is None else own_column
    diff = np.nan_to_num(np.asarray(c_col, float) - np.asarray(c_gt, float), nan=-np.inf)
    diff[np.arange(len(diff)), list(own_column)] = -np.inf
    rows = []
    for flat in np.argsort(-diff, axis=None, kind="stable")[:top]:
        i, j = np.unravel_index(flat, diff.shape)
        if not np.isfinite(diff[i, j]):
            break
        rows.append({"true": row_names[i], "confused_with": col_names[j], "c_gt": float(c_gt[i, j]),
                     "c_colourized": float(c_col[i, j]), "increase": float(diff[i, j])})
    return rows


def per_image_auc(hist: np.ndarray, total: np.ndarray) -> np.ndarray:
    """AuC of each image on its own, (N,); NaN where an image has zero total weight."""
    with np.errstate(invalid="ignore", divide="ignore"):
        curves = np.cumsum(hist, 1)[:, :-1] / total[:, None]
    return np.trapezoid(curves, np.arange(MAX_THRESHOLD + 1), axis=1) / MAX_THRESHOLD
