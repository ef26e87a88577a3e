"""Evaluation metrics: the AuC of the ab error (the reproduction's section 5.4, after
Zhang et al.), top-k accuracy of a classifier on colourized images, and the image
metrics newer colourization papers report (colourfulness, PSNR, SSIM).

AuC follows Zhang et al.: per-pixel Euclidean error in ab, share of pixels within
each threshold 0..150 in steps of 1, area under that curve normalised to [0, 1].
Everything goes through one additive histogram of weighted errors, so a set's AuC,
an image's AuC and a bootstrap resample's AuC are the same computation.

The class-rebalanced AuC weights each pixel by the inverse prior probability of its
ground-truth bin, so that getting rare (saturated) colours right counts as much as
getting grey right. Zhang's prior comes from 1.3 M ImageNet photos; a prior from a
few thousand photos is 0 or nearly 0 in bins it barely saw, and one val pixel there
would weigh as much as millions of others (on imagenette-dev, one image carried 98 %
of the weight). So the prior is floored at ``REBALANCE_FLOOR``: no bin weighs more
than 10 times a bin of uniform probability 1/Q (the training weights of reproduction eq. 2 cap
it at 2 times with lambda = 0.5). Where the prior is above the floor the weights are
exactly Zhang's.
"""

import numpy as np
import torch

from .bins import Q, nearest_bin

AUC_MAX_THRESHOLD = 150  # ab units; Zhang et al. and the reproduction
REBALANCE_FLOOR = 1.0 / (10 * Q)
# PSNR of two uint8 images that differ by rounding noise alone (MSE 1/12): the most an
# 8-bit comparison can resolve. Identical images (infinite PSNR) count as this in a mean.
PSNR_CAP = 10 * np.log10(255.0**2 * 12)


def ab_norm(ab: torch.Tensor) -> torch.Tensor:
    """Per-pixel Euclidean length of ab, (N,2,H,W) -> (N,H,W): chroma, or an error's size.
    Written out rather than ``linalg.vector_norm(dim=1)``, which reduces over a strided
    dimension 150x slower on the CPU (6 of the evaluate stage's 10 s)."""
    return (ab[:, 0].square() + ab[:, 1].square()).sqrt()


def ab_error(ab_pred: torch.Tensor, ab_true: torch.Tensor) -> torch.Tensor:
    """Per-pixel Euclidean ab distance, (N,2,H,W) x2 -> (N,H,W)."""
    return ab_norm(ab_pred.float() - ab_true.float())


def error_histogram(err: np.ndarray, w: np.ndarray, max_threshold: int = AUC_MAX_THRESHOLD):
    """Weighted mass of pixels per integer error step -> (hist (max+2,), total weight);
    additive over pixels, images and batches.

    Bin t holds errors in (t-1, t]; bin 0 holds error 0 exactly (and below), and
    errors above the last threshold go to an overflow bin.
    """
    steps = np.clip(np.ceil(np.asarray(err, dtype=np.float64)), 0, max_threshold + 1).astype(int)
    hist = np.bincount(steps.ravel(), weights=np.asarray(w, dtype=np.float64).ravel(), minlength=max_threshold + 2)
    return hist, float(np.sum(w))


def auc_from_histogram(hist: np.ndarray, total) -> tuple:
    """AuC from error histograms (..., max+2) and their total weights (...,) -> (score
    (...), curve (..., max+1)): the cumulative share of weight within each threshold
    and its trapezoid area over [0, max], normalised. NaN where the total is 0."""
    hist, total = np.asarray(hist, dtype=np.float64), np.asarray(total, dtype=np.float64)
    max_threshold = hist.shape[-1] - 2
    with np.errstate(invalid="ignore", divide="ignore"):
        # a share of the weight cannot exceed 1: summed in another order than ``total``, the
        # cumulative sum of large weights can overshoot it in the last bits
        curve = np.minimum(np.cumsum(hist, -1)[..., :-1] / total[..., None], 1.0)
    score = np.trapezoid(curve, np.arange(max_threshold + 1), axis=-1) / max_threshold
    return score, curve


def auc(ab_pred, ab_true, max_threshold: int = AUC_MAX_THRESHOLD, weights=None):
    """Area under the cumulative ab-error curve -> (score in [0, 1], curve (max_threshold + 1,)).

    The reference implementation over whole tensors, for tests and one-off use; the pipeline
    builds the same numbers from per-image histograms (``error_histogram``,
    ``auc_from_histogram``) so that bootstrap resamples cost nothing. ``weights`` (N,H,W)
    weights pixels, e.g. ``inverse_prior_weights`` for the rebalanced AuC. Errors are compared
    with ``<=``, so identical images score 1.
    """
    err = ab_error(torch.as_tensor(ab_pred), torch.as_tensor(ab_true)).double().cpu().numpy()
    w = np.ones_like(err) if weights is None else torch.as_tensor(weights).double().cpu().numpy()
    hist, total = error_histogram(err, w, max_threshold)
    if total <= 0:
        raise ValueError("AuC over zero total weight")
    score, curve = auc_from_histogram(hist, total)
    return float(score), curve


def rebalancing_prior(prior: np.ndarray, floor: float = REBALANCE_FLOOR) -> np.ndarray:
    """The prior the rebalanced AuC divides by: ``prior`` floored at ``floor``."""
    return np.maximum(np.asarray(prior, dtype=np.float64), floor)


def inverse_prior_table(prior: np.ndarray, floor: float = REBALANCE_FLOOR) -> np.ndarray:
    """Weight per bin (Q,) of the rebalanced AuC: 1 / p, p floored (``rebalancing_prior``);
    ``floor=0`` is Zhang's definition to the letter, where a bin with p = 0 weighs 0."""
    p = rebalancing_prior(prior, floor)
    return np.divide(1.0, p, out=np.zeros_like(p), where=p > 0)


def equal_bin_table(counts: np.ndarray) -> np.ndarray:
    """Weight per bin (Q,) that gives every occupied ground-truth bin equal total weight
    (the inverse prior of the evaluated ground truth itself): 1 / count, 0 for empty bins."""
    counts = np.asarray(counts, dtype=np.float64)
    return np.divide(1.0, counts, out=np.zeros_like(counts), where=counts > 0)


def inverse_prior_weights(ab_true: torch.Tensor, prior: np.ndarray, floor: float = REBALANCE_FLOOR) -> torch.Tensor:
    """Per-pixel rebalancing weights (N,H,W) for ``auc``: ``inverse_prior_table`` at the bin
    nearest each pixel's true ab."""
    return torch.as_tensor(inverse_prior_table(prior, floor), device=ab_true.device)[nearest_bin(ab_true)]


def equal_bin_weights(ab_true: torch.Tensor) -> torch.Tensor:
    """Per-pixel equal-per-bin weights (N,H,W) for ``auc``, over the bins of ``ab_true`` itself."""
    idx = nearest_bin(ab_true)
    counts = torch.bincount(idx.flatten(), minlength=Q).cpu().numpy()
    return torch.as_tensor(equal_bin_table(counts), device=ab_true.device)[idx]


def topk_classes(scores: np.ndarray, k: int = 5) -> np.ndarray:
    """(N, C) scores -> (N, k) class indices, highest first; ties go to the lower index (a
    stable sort), so top-k accuracy and the confusion matrices always agree."""
    scores = np.asarray(scores)
    return np.argsort(-scores, axis=1, kind="stable")[:, : min(k, scores.shape[1])]


def topk_hits(scores: np.ndarray, labels: np.ndarray, k: int = 5) -> np.ndarray:
    """Boolean per image: is the true label among the k highest scores? scores (N,C).

    Per image, because bootstrap intervals resample images; the mean over images is
    scikit-learn's ``top_k_accuracy_score`` where scores do not tie (a test holds them equal)."""
    return (topk_classes(scores, k) == np.asarray(labels)[:, None]).any(axis=1)


def topk_accuracy(scores: np.ndarray, labels: np.ndarray, k: int = 5) -> float:
    return float(topk_hits(scores, labels, k).mean()) if len(labels) else float("nan")


def colorfulness(rgb_uint8: np.ndarray) -> np.ndarray:
    """Hasler & Suesstrunk (2003) colourfulness M of each image, (N,H,W,3) uint8 -> (N,).

    M = sigma_rgyb + 0.3 mu_rgyb over the opponent channels rg = R - G and
    yb = (R + G) / 2 - B, signed as in the paper (some code takes |rg|, which changes
    mu), on the 0..255 scale. A grey image has M = 0.
    """
    x = np.asarray(rgb_uint8, dtype=np.float64)
    rg = x[..., 0] - x[..., 1]
    yb = 0.5 * (x[..., 0] + x[..., 1]) - x[..., 2]
    axes = tuple(range(1, rg.ndim))
    sigma = np.sqrt(rg.var(axis=axes) + yb.var(axis=axes))
    mu = np.sqrt(rg.mean(axis=axes) ** 2 + yb.mean(axis=axes) ** 2)
    return sigma + 0.3 * mu


def psnr(pred_uint8: np.ndarray, true_uint8: np.ndarray) -> np.ndarray:
    """PSNR (dB, data range 255) of each RGB image against its ground truth, (N,H,W,3) x2 ->
    (N,); infinite for identical images (``mean_psnr`` caps those)."""
    from skimage.metrics import peak_signal_noise_ratio

    out = np.empty(len(pred_uint8))
    for i, (p, t) in enumerate(zip(pred_uint8, true_uint8)):
        out[i] = np.inf if np.array_equal(p, t) else peak_signal_noise_ratio(t, p, data_range=255)
    return out


def mean_psnr(values: np.ndarray, weights=None) -> float:
    """Mean PSNR over images, identical images counted as ``PSNR_CAP``; infinite only if
    every image is identical (the ground truth against itself)."""
    values = np.asarray(values, dtype=np.float64)
    if np.isinf(values).all():
        return float("inf")
    return float(np.average(np.minimum(values, PSNR_CAP), weights=weights))


def ssim(pred_uint8: np.ndarray, true_uint8: np.ndarray) -> np.ndarray:
    """SSIM (scikit-image, Gaussian-free 7x7 window, data range 255, over the RGB channels)
    of each image against its ground truth, (N,H,W,3) x2 -> (N,); 1 for identical images."""
    from skimage.metrics import structural_similarity

    return np.array([1.0 if np.array_equal(p, t) else
                     structural_similarity(t, p, channel_axis=-1, data_range=255, win_size=_ssim_window(t))
                     for p, t in zip(pred_uint8, true_uint8)])


def _ssim_window(img) -> int:
    side = min(img.shape[:2])
    return min(7, side if side % 2 else side - 1)
