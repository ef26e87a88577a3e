"""Stage `evaluate`: the paper's Table 2 and section 5.4 for every variant: AuC (raw,
rebalanced as Zhang defines it with a floored prior, and rebalanced with equal weight
per ground-truth bin), top-1 / top-5 of a VGG-16, per-synset top-5, top-5 confusion
matrices, the confusions colourization amplifies, and colourfulness, its gap to the
ground truth (delta CF), PSNR and SSIM. Every number has a bootstrap 95% interval
over val images, and the paper's findings have paired intervals (ours - grey,
gt - ours) from the same resamples (reports/metrics_ci.json)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd

from colorization.confusion import amplified_confusions, topk_confusion
from colorization.devices import pick_device
from colorization.evaluation import (VIVID_CHROMA, evaluate_variants, evaluation_set, image_weight_totals,
                                     max_image_share, per_image_auc)
from colorization.metrics import AUC_MAX_THRESHOLD, REBALANCE_FLOOR, auc_from_histogram
from colorization.variants import PAIRS, PIPELINE
from stages.common import atomic_path, load_params, run, say, write_csv, write_json
from stages.params import evaluate, runtime

COL, REP, EVAL = Path("data/colorized"), Path("reports"), Path("data/evaluation")


def _finite(x):
    return x if isinstance(x, float) and np.isfinite(x) else None


def main():
    p = load_params(evaluate, runtime)
    e = p["evaluate"]
    device = pick_device(p["runtime"]["device"])
    ev = evaluation_set(e["classifier"], e["bootstrap"], e["seed"], device, evaluate.vgg16_weights(e), COL)
    images, synsets, prior, gt, col, names_out = ev.images, ev.synsets, ev.prior, ev.gt, ev.labels, ev.class_names
    skipped = json.loads((COL / "skipped.json").read_text())
    variants = ev.variants(**{v: np.load(COL / f"{v}.npy") for v in PIPELINE if v not in (*skipped, "gt", "grey")})
    variants = {v: variants[v] for v in PIPELINE if v in variants}  # the table's order
    scorable = col >= 0
    if not scorable.all():
        say(f"evaluate: {int((~scorable).sum())} of {len(images)} images belong to synsets outside ImageNet-1k "
            "and are left out of top-k")
    scored, point, ci = evaluate_variants(variants, prior, ev.scores_of, col, ev.resamples, PAIRS)

    metrics = {}
    for name, m in point.items():
        metrics[name] = {k: _finite(v) for k, v in m.items()}
        say(f"evaluate: {name:6s} AuC {m['auc']:.3f}  rebalanced {m['auc_rebal']:.3f} (equal-bin "
            f"{m['auc_rebal_eq']:.3f})  top-1 {m['top1']:.3f}  top-5 {m['top5']:.3f}  CF {m['colorfulness']:.1f}")
    for name, why in skipped.items():
        metrics[name] = {"skipped": why}
    pieces = {v: s["pieces"] for v, s in scored.items()}
    write_json(REP / "metrics.json", {v: metrics[v] for v in PIPELINE if v in metrics})
    write_json(REP / "metrics_ci.json", ci)
    write_json(REP / "chroma.json", {
        "vivid_threshold": VIVID_CHROMA, "n_images": len(gt), "n_scored": int(scorable.sum()),
        "classifier": e["classifier"],
        "mean_chroma": {v: {k: float(np.nanmean(x)) for k, x in pieces[v]["chroma"].items()} for v in variants}})
    write_json(REP / "rebalancing.json", {
        "prior": "train split (data/prior.csv column p, smoothed)", "floor": REBALANCE_FLOOR,
        "bins_below_floor": int((prior < REBALANCE_FLOOR).sum()),
        "max_image_share": max_image_share(pieces["gt"]["auc_rebal"][1]),
        "max_image_share_unfloored": max_image_share(image_weight_totals(gt, prior, 0.0)),
        "max_image_share_equal_bin": max_image_share(pieces["gt"]["auc_rebal_eq"][1])})
    curves = {v: auc_from_histogram(pieces[v]["auc"][0].sum(0), pieces[v]["auc"][1].sum())[1] for v in variants}
    write_csv(REP / "auc_curves.csv", pd.DataFrame({"threshold": np.arange(AUC_MAX_THRESHOLD + 1), **curves}))
    per_image = images[["val_index", "wnid", "label"]].copy()
    for name, s in scored.items():
        for kind in ("auc", "auc_rebal"):
            per_image[f"{kind}_{name}"] = per_image_auc(*s["pieces"][kind])
        per_image[f"top5_{name}"] = s["hits"]["top5"]
    write_csv(REP / "per_image.csv", per_image.round(5))
    hits = {v: s["hits"] for v, s in scored.items()}
    tops = {v: s["top"] for v, s in scored.items()}
    _per_synset(images, synsets, hits, scorable)
    _confusions(tops, col[scorable], synsets, names_out)
    EVAL.mkdir(parents=True, exist_ok=True)
    with atomic_path(EVAL / "top5.npz") as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, rows=np.nonzero(scorable)[0], labels=col[scorable], names=np.array(names_out), **tops)


def _per_synset(images, synsets, hits, scorable):
    frame = images[scorable].assign(**{f"top5_{v}": hits[v]["top5"][scorable] for v in ("gt", "grey", "ours")
                                       if v in hits})
    table = frame.groupby("wnid", sort=False).agg(
        n_images=("label", "size"), **{c: (c, "mean") for c in frame.columns if c.startswith("top5_")}).reset_index()
    write_csv(REP / "per_synset_top5.csv", synsets[["wnid", "synset"]].merge(table, on="wnid"))


def _confusions(tops, labels, synsets, names_out):
    """Top-5 confusion of gt and ours over the scored classes (rows: our synsets)."""
    n_out = len(names_out)
    conf = {v: topk_confusion(tops[v], labels, n_out) for v in ("gt", "ours") if v in tops}
    rows = sorted(set(labels.tolist()))
    long = [{"true": names_out[i], "predicted": names_out[j], "c_gt": conf["gt"][i, j], "c_ours": conf["ours"][i, j]}
            for i in rows for j in range(n_out) if conf["gt"][i, j] or conf["ours"][i, j]]
    write_csv(REP / "confusion_top5.csv", pd.DataFrame(long, columns=["true", "predicted", "c_gt", "c_ours"]))
    amp = amplified_confusions(conf["gt"][rows], conf["ours"][rows], [names_out[i] for i in rows], names_out,
                               own_column=rows)
    name_of = dict(zip(synsets.wnid, synsets.synset))
    for r in amp:
        r["true_synset"] = name_of.get(r["true"], r["true"])
        r["confused_synset"] = name_of.get(r["confused_with"], r["confused_with"])
    write_csv(REP / "amplified_confusions.csv", pd.DataFrame(amp, columns=[
        "true", "confused_with", "true_synset", "confused_synset", "c_gt", "c_colourized", "increase"]))


if __name__ == "__main__":
    run(main)
