"""Evaluation metrics of the paper's section 5.4: AuC of the ab error, top-k
accuracy of a classifier on colourized images, and top-k confusion matrices.

AuC follows Zhang et al.: per-pixel Euclidean error in ab, share of pixels within
each threshold 0..150 in steps of 1, area under that curve normalised to [0, 1].
The class-rebalanced AuC weights each pixel by the inverse prior probability of
its ground-truth bin, so that getting rare (saturated) colours right counts as
much as getting grey right.
"""

import numpy as np
import torch
from sklearn.metrics import top_k_accuracy_score

from .bins import Q, nearest_bin


def ab_error(ab_pred: torch.Tensor, ab_true: torch.Tensor) -> torch.Tensor:
    """Per-pixel Euclidean ab distance, (N,2,H,W) x2 -> (N,H,W)."""
    return torch.linalg.vector_norm(ab_pred.float() - ab_true.float(), dim=1)


def auc(ab_pred, ab_true, max_threshold: int = 150, weights=None):
    """Area under the cumulative ab-error curve -> (score in [0, 1], curve (max_threshold + 1,)).

    ``weights`` (N,H,W) weights pixels, e.g. ``inverse_prior_weights`` for the
    rebalanced AuC. Errors are compared with ``<=``, so identical images score 1.
    """
    err = ab_error(torch.as_tensor(ab_pred), torch.as_tensor(ab_true)).flatten().double()
    w = torch.ones_like(err) if weights is None else torch.as_tensor(weights).flatten().double()
    return auc_from_errors(err.cpu().numpy(), w.cpu().numpy(), max_threshold)


def auc_from_errors(err: np.ndarray, w: np.ndarray, max_threshold: int = 150):
    """AuC from flat per-pixel errors and weights; lets callers accumulate over batches."""
    curve = error_histogram_curve(*error_histogram(err, w, max_threshold))
    thresholds = np.arange(max_threshold + 1)
    return float(np.trapezoid(curve, thresholds) / max_threshold), curve


def error_histogram(err: np.ndarray, w: np.ndarray, max_threshold: int = 150):
    """Weighted mass of pixels per integer error step; additive over image batches.

    Bin t holds errors in (t-1, t]; bin 0 holds error 0 exactly (and below), and
    errors above the last threshold go to an overflow bin.
    """
    steps = np.clip(np.ceil(np.asarray(err, dtype=np.float64)), 0, max_threshold + 1).astype(int)
    hist = np.bincount(steps, weights=np.asarray(w, dtype=np.float64), minlength=max_threshold + 2)
    return hist, float(np.sum(w))


def error_histogram_curve(hist: np.ndarray, total: float) -> np.ndarray:
    """Cumulative share of (weighted) pixels within each threshold 0..max."""
    if total <= 0:
        raise ValueError("AuC over zero total weight")
    return np.cumsum(hist)[:-1] / total


def inverse_prior_weights(ab_true: torch.Tensor, prior: np.ndarray) -> torch.Tensor:
    """Zhang's rebalancing for AuC: weight 1 / p(bin of the true ab) per pixel (N,H,W).

    Bins the prior never saw get weight 0, since 1/0 would let one pixel decide.
    """
    p = torch.as_tensor(np.asarray(prior), dtype=torch.float64, device=ab_true.device)
    inv = torch.where(p > 0, 1.0 / p.clamp_min(1e-300), torch.zeros_like(p))
    return inv[nearest_bin(ab_true)]


def equal_bin_weights(ab_true: torch.Tensor) -> torch.Tensor:
    """Steadier rebalancing: every occupied ground-truth bin gets equal total weight (N,H,W)."""
    idx = nearest_bin(ab_true)
    counts = torch.bincount(idx.flatten(), minlength=Q).double()
    return 1.0 / counts[idx]


def topk_correct(scores: np.ndarray, labels: np.ndarray, k: int = 5) -> np.ndarray:
    """Boolean per image: is the true label among the k highest scores? scores (N,C)."""
    top = np.argsort(-np.asarray(scores), axis=1, kind="stable")[:, :k]
    return (top == np.asarray(labels)[:, None]).any(axis=1)


def topk_accuracy(scores: np.ndarray, labels: np.ndarray, k: int = 5) -> float:
    """Top-k accuracy via scikit-learn, over all classes the scores cover."""
    scores = np.asarray(scores)
    return float(top_k_accuracy_score(labels, scores, k=k, labels=np.arange(scores.shape[1])))


def topk_confusion(scores: np.ndarray, labels: np.ndarray, n_classes: int, k: int = 5) -> np.ndarray:
    """C[i, j] = share of images of class i that have class j among their top k.

    The paper's top-5 confusion matrix: the diagonal is per-class top-k accuracy
    and each row sums to k over all classes (when scores cover exactly them).
    Rows of classes without images are NaN.
    """
    top = np.argsort(-np.asarray(scores), axis=1, kind="stable")[:, :k]
    hits = np.zeros((n_classes, n_classes))
    np.add.at(hits, (np.repeat(labels, top.shape[1]), top.ravel()), 1.0)
    per_class = np.bincount(labels, minlength=n_classes).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return hits / per_class[:, None]
