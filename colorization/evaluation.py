"""Per-image pieces of the evaluation, so that every number gets a bootstrap interval
cheaply: an image's share of an AuC is a histogram of its pixel errors, its share of
top-k accuracy a hit, its colourfulness, PSNR and SSIM one value each. A resample of
images is a vector of multiplicities, and every statistic of a resample is a weighted
sum of per-image pieces. Paired intervals (ours - grey, gt - ours) use the same
resamples for both variants, as a paired test must.

``evaluation_set`` reads what every evaluate stage (the main one, the ablation's, the
seeds') scores against, and ``evaluate_variants`` is the per-variant loop they share.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .bins import Q, nearest_bin
from .classifier import load_scorer
from .lab import uint8_to_lab
from .metrics import (AUC_MAX_THRESHOLD, ab_error, ab_norm, auc_from_histogram, colorfulness, equal_bin_table,
                      error_histogram, inverse_prior_table, mean_psnr, psnr, ssim, topk_classes)

VIVID_CHROMA = 20.0  # ground-truth chroma above which a pixel counts as vivid
AUC_KINDS = ("auc", "auc_rebal", "auc_rebal_eq")
TOP_K = 5


def gt_bin_counts(gt_rgb: np.ndarray, batch=256) -> np.ndarray:
    """Pixel counts per ground-truth bin over the whole evaluated set (for equal-bin weights)."""
    counts = np.zeros(Q)
    for i in range(0, len(gt_rgb), batch):
        counts += np.bincount(nearest_bin(uint8_to_lab(gt_rgb[i : i + batch])[:, 1:]).flatten().numpy(), minlength=Q)
    return counts


def image_pieces(pred_rgb, gt_rgb, prior, eq_counts, batch=128) -> dict:
    """Per image: the weighted error histograms behind the three AuCs ("<kind>": (hist
    (N, max+2), total (N,))), mean chroma of the prediction on vivid and desaturated
    ground-truth pixels, colourfulness, PSNR and SSIM."""
    tables = {"auc": np.ones(Q), "auc_rebal": inverse_prior_table(prior), "auc_rebal_eq": equal_bin_table(eq_counts)}
    hists = {k: ([], []) for k in AUC_KINDS}
    chroma = {"vivid": [], "dull": []}
    for i in range(0, len(gt_rgb), batch):
        p_lab, g_lab = uint8_to_lab(pred_rgb[i : i + batch]), uint8_to_lab(gt_rgb[i : i + batch])
        err = ab_error(p_lab[:, 1:], g_lab[:, 1:]).double().numpy()
        q = nearest_bin(g_lab[:, 1:]).numpy()
        for name, table in tables.items():
            for e_img, w_img in zip(err, table[q]):
                h, t = error_histogram(e_img, w_img, AUC_MAX_THRESHOLD)
                hists[name][0].append(h)
                hists[name][1].append(t)
        g_chroma = ab_norm(g_lab[:, 1:]).numpy()
        p_chroma = ab_norm(p_lab[:, 1:]).numpy()
        for pc, vivid in zip(p_chroma, g_chroma > VIVID_CHROMA):
            chroma["vivid"].append(pc[vivid].mean() if vivid.any() else np.nan)
            chroma["dull"].append(pc[~vivid].mean() if (~vivid).any() else np.nan)
    out = {k: (np.array(h), np.array(t)) for k, (h, t) in hists.items()}
    out["chroma"] = {k: np.array(v) for k, v in chroma.items()}
    out["colorfulness"] = colorfulness(pred_rgb)
    out["psnr"], out["ssim"] = psnr(pred_rgb, gt_rgb), ssim(pred_rgb, gt_rgb)
    return out


def image_hits(top: np.ndarray, labels: np.ndarray, scorable: np.ndarray, ks=(1, 5)) -> dict:
    """Per image top-k hits ("top1", "top5") from the top classes of the scorable images
    (``metrics.topk_classes``), NaN for images the classifier cannot score (synsets outside
    ImageNet-1k)."""
    out = {}
    for k in ks:
        h = np.full(len(scorable), np.nan)
        if scorable.any():
            h[scorable] = (np.asarray(top)[:, :k] == labels[scorable][:, None]).any(axis=1)
        out[f"top{k}"] = h
    return out


def statistics(pieces: dict, hits: dict, gt_colorfulness: np.ndarray, weights=None) -> dict:
    """Every metric of one variant for a weighting of the images (None = each once; a
    bootstrap resample = multiplicities). ``hits`` maps "top1"/"top5" to per-image
    booleans, NaN for images the classifier cannot score."""
    w = np.ones(len(gt_colorfulness)) if weights is None else np.asarray(weights, dtype=np.float64)
    out = {k: float(auc_from_histogram(w @ pieces[k][0], w @ pieces[k][1])[0]) for k in AUC_KINDS}
    for k, h in hits.items():
        scored = ~np.isnan(h)
        out[k] = float(np.average(h[scored], weights=w[scored])) if (w[scored] > 0).any() else float("nan")
    cf = float(np.average(pieces["colorfulness"], weights=w))
    out["colorfulness"] = cf
    out["delta_cf"] = abs(cf - float(np.average(gt_colorfulness, weights=w)))
    out["psnr"] = mean_psnr(pieces["psnr"], w)
    out["ssim"] = float(np.average(pieces["ssim"], weights=w))
    return out


def bootstrap(pieces: dict, hits: dict, gt_colorfulness: np.ndarray, resamples: np.ndarray) -> tuple:
    """One variant's statistics, their value on every resample (rows of ``resamples``, the
    same for every variant so that differences can be paired) and 95 % intervals."""
    point = statistics(pieces, hits, gt_colorfulness)
    samples = [statistics(pieces, hits, gt_colorfulness, w) for w in resamples]
    return point, samples, {k: percentile_interval([s[k] for s in samples]) for k in point}


def resample_weights(n: int, n_boot: int, seed: int) -> np.ndarray:
    """(n_boot, n) multiplicities of n images drawn with replacement: the same resamples
    for every variant, so intervals (and paired differences) are comparable."""
    rng = np.random.default_rng(seed)
    return np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(n_boot)]).astype(np.float64)


def percentile_interval(values, alpha=0.05) -> list:
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if not len(values):
        return [float("nan"), float("nan")]
    return [float(np.quantile(values, alpha / 2)), float(np.quantile(values, 1 - alpha / 2))]


def score_variant(images, gt, prior, eq_counts, scores_of, labels) -> dict:
    """One variant's per-image pieces, its top-k classes and hits. ``scores_of(images)`` gives
    the classifier's (N, C) scores; ``labels`` holds each image's class column, -1 where the
    classifier has none."""
    scorable = labels >= 0
    top = topk_classes(scores_of(images[scorable]), TOP_K) if scorable.any() else np.zeros((0, TOP_K), int)
    return {"pieces": image_pieces(images, gt, prior, eq_counts), "top": top,
            "hits": image_hits(top, labels, scorable)}


def summarise_variants(scored: dict, resamples: np.ndarray, pairs: dict) -> tuple:
    """(point metrics, 95 % intervals) of every scored variant, and the paired intervals of
    ``pairs`` ({"ours_minus_grey": ("ours", "grey"), ...}) over the same resamples."""
    gt_cf = scored["gt"]["pieces"]["colorfulness"]
    point, samples, ci = {}, {}, {}
    for name, s in scored.items():
        point[name], samples[name], ci[name] = bootstrap(s["pieces"], s["hits"], gt_cf, resamples)
    for pair, (a, b) in pairs.items():
        if a in samples and b in samples:
            ci[pair] = {k: percentile_interval([sa[k] - sb[k] for sa, sb in zip(samples[a], samples[b])])
                        for k in point[a] if k != "delta_cf"}
    return point, ci


def evaluate_variants(variants: dict, prior, scores_of, labels, resamples, pairs) -> tuple:
    """The per-variant loop: every variant (``variants["gt"]`` is the ground truth) scored
    and summarised -> (scored, point metrics, intervals with the paired ones)."""
    gt = variants["gt"]
    eq_counts = gt_bin_counts(gt)
    scored = {name: score_variant(arr, gt, prior, eq_counts, scores_of, labels) for name, arr in variants.items()}
    point, ci = summarise_variants(scored, resamples, pairs)
    return scored, point, ci


def image_weight_totals(gt_rgb: np.ndarray, prior: np.ndarray, floor: float, batch=256) -> np.ndarray:
    """Total rebalancing weight of each image's pixels under the prior floored at ``floor``
    (0: Zhang's definition to the letter, where unseen bins weigh 0), (N,)."""
    table = inverse_prior_table(prior, floor)
    out = [table[nearest_bin(uint8_to_lab(gt_rgb[i : i + batch])[:, 1:]).numpy()].sum(axis=(1, 2))
           for i in range(0, len(gt_rgb), batch)]
    return np.concatenate(out)


def max_image_share(totals: np.ndarray) -> float:
    """The largest share of a weighted AuC's total weight that one image carries."""
    totals = np.asarray(totals, dtype=np.float64)
    return float(totals.max() / totals.sum()) if totals.sum() > 0 else float("nan")


def per_image_auc(hist: np.ndarray, total: np.ndarray) -> np.ndarray:
    """AuC of each image on its own, (N,); NaN where an image has zero total weight."""
    return auc_from_histogram(hist, total)[0]


@dataclass(frozen=True)
class EvaluationSet:
    """The colourize stage's val selection with its ground truth and greyscale, the train
    split's prior, the scoring classifier and the bootstrap resamples over the images."""

    images: pd.DataFrame  # data/colorized/images.csv: val_index, wnid, label per image
    synsets: pd.DataFrame  # data/synsets.csv
    gt: np.ndarray  # (N, h, w, 3) uint8
    grey: np.ndarray
    prior: np.ndarray  # (Q,) the smoothed train-split prior
    scores_of: object  # uint8 images -> softmax scores
    labels: np.ndarray  # each image's column in the scores (-1: a class the classifier lacks)
    class_names: list  # the classifier's output classes
    resamples: np.ndarray  # (bootstrap, N) multiplicities

    def variants(self, **more) -> dict:
        return {"gt": self.gt, "grey": self.grey, **more}


def evaluation_set(classifier: str, bootstrap: int, seed: int, device, vgg16_weights=None,
                   colorized="data/colorized", synsets="data/synsets.csv", prior="data/prior.csv") -> EvaluationSet:
    """Read the evaluation's inputs as every evaluate stage does (``classifier``, ``bootstrap``
    and ``seed`` are the evaluate params; ``vgg16_weights`` a file or None)."""
    colorized = Path(colorized)
    images, table = pd.read_csv(colorized / "images.csv"), pd.read_csv(synsets)
    gt = np.load(colorized / "gt.npy")
    scores_of, labels, names = load_scorer(classifier, table.wnid, images["label"], device, vgg16_weights)
    return EvaluationSet(images, table, gt, np.load(colorized / "grey.npy"), pd.read_csv(prior)["p"].to_numpy(),
                         scores_of, labels, names, resample_weights(len(gt), bootstrap, seed))
