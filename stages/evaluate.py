"""Stage `evaluate`: the paper's Table 2 and section 5.4 for every variant:
AuC (raw, rebalanced as Zhang defines it, and rebalanced with equal weight per
ground-truth bin), top-1 / top-5 accuracy of a VGG-16, per-synset top-5, top-5
confusion matrices for gt and ours, and the confusions colourization amplifies.
Every number has a bootstrap 95% interval over val images (reports/metrics_ci.json)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from colorization.classifier import ImageNetInput, imagenet1k_wnids, load_imagenet_vgg16, small_vgg16_bn
from colorization.evaluation import (amplified_confusions, auc_curve, auc_of, bootstrap_rows, gt_bin_counts,
                                     image_histograms, interval, per_image_auc)
from colorization.lab import uint8_to_rgb
from colorization.metrics import topk_accuracy, topk_confusion, topk_correct
from stages.common import load_params, pick_device, say, write_csv, write_json

COL, REP = Path("data/colorized"), Path("reports")
VARIANTS = ("gt", "grey", "random", "zhang", "ours")


def load_classifier(kind, weights, n_classes, device):
    """(model taking float RGB in [0,1], column index of each synset or -1 where not scorable)."""
    synsets = pd.read_csv("data/synsets.csv")
    if kind == "imagenet":
        index = {w: i for i, w in enumerate(imagenet1k_wnids())}
        return ImageNetInput(load_imagenet_vgg16(weights)).to(device).eval(), np.array([index.get(w, -1) for w in synsets.wnid])
    state = torch.load("models/classifier.pt", map_location="cpu", weights_only=True)
    net = small_vgg16_bn(state["n_classes"], state["width"])
    net.load_state_dict(state["model"])
    net.eval().to(device)
    return (lambda x: net(x - 0.5)), np.arange(n_classes)


@torch.no_grad()
def scores_of(model, images, device, batch=64):
    out = []
    for i in range(0, len(images), batch):
        x = uint8_to_rgb(images[i : i + batch], device)
        out.append(torch.softmax(model(x).float(), 1).cpu().numpy())
    return np.concatenate(out)


def main():
    p = load_params()
    e = p["evaluate"]
    device = pick_device(p["train"]["device"])
    images = pd.read_csv(COL / "images.csv")
    synsets = pd.read_csv("data/synsets.csv")
    skipped = json.loads((COL / "skipped.json").read_text())
    variants = {v: np.load(COL / f"{v}.npy") for v in VARIANTS if v not in skipped}
    prior = pd.read_csv("data/prior.csv")["p"].to_numpy()
    gt = variants["gt"]
    eq_counts = gt_bin_counts(gt)

    model, column = load_classifier(e["classifier"], e["vgg16_weights"], len(synsets), device)
    labels_local = images["label"].to_numpy()
    scorable = column[labels_local] >= 0
    labels = column[labels_local][scorable]
    if not scorable.all():
        say(f"evaluate: {int((~scorable).sum())} of {len(images)} images belong to synsets outside ImageNet-1k "
            "and are left out of top-k")
    resamples = bootstrap_rows(len(gt), e["bootstrap"], e["seed"])
    k_resamples = bootstrap_rows(int(scorable.sum()), e["bootstrap"], e["seed"] + 1)

    metrics, ci, chroma, curves, scores, hits5 = {}, {}, {}, {}, {}, {}
    per_image = images[["val_index", "wnid", "label"]].copy()
    names_out = imagenet1k_wnids() if e["classifier"] == "imagenet" else list(synsets.wnid)
    for name, arr in variants.items():
        hists, chroma_img = image_histograms(arr, gt, prior, eq_counts)
        m, c = {}, {}
        for key, (h, t) in hists.items():
            m[key] = auc_of(h, t)
            c[key] = interval(lambda r, h=h, t=t: auc_of(h, t, r), resamples)
        curves[name] = auc_curve(*hists["auc"])
        per_image[f"auc_{name}"] = per_image_auc(*hists["auc"])
        per_image[f"auc_rebal_{name}"] = per_image_auc(*hists["auc_rebal"])
        s = scores_of(model, arr[scorable], device)
        scores[name] = s
        for k in (1, 5):
            correct = topk_correct(s, labels, k)
            m[f"top{k}"] = topk_accuracy(s, labels, k) if len(labels) else float("nan")
            c[f"top{k}"] = interval(lambda r, x=correct: float(x[r].mean()), k_resamples)
        hits5[name] = topk_correct(s, labels, 5)
        top5 = np.full(len(images), "", dtype=object)
        top5[scorable] = [" ".join(names_out[j] for j in r) for r in np.argsort(-s, axis=1, kind="stable")[:, :5]]
        per_image[f"top5_{name}"] = top5
        metrics[name], ci[name] = m, c
        chroma[name] = {k: float(np.nanmean(v)) for k, v in chroma_img.items()}
        say(f"evaluate: {name:6s} AuC {m['auc']:.3f}  rebalanced {m['auc_rebal']:.3f} "
            f"(equal-bin {m['auc_rebal_eq']:.3f})  top-1 {m['top1']:.3f}  top-5 {m['top5']:.3f}")
    for name, why in skipped.items():
        metrics[name] = {"skipped": why}
    write_json(REP / "metrics.json", {v: metrics[v] for v in VARIANTS if v in metrics})
    write_json(REP / "metrics_ci.json", ci)
    write_json(REP / "chroma.json", {"vivid_threshold": 20.0, "mean_chroma": chroma, "n_images": len(gt),
                                     "n_scored": int(scorable.sum()), "classifier": e["classifier"]})
    write_csv(REP / "auc_curves.csv", pd.DataFrame({"threshold": np.arange(151), **curves}))
    write_csv(REP / "per_image.csv", per_image.round(5))
    _per_synset(images[scorable], synsets, hits5)
    _confusions(scores, labels, synsets, names_out)


def _per_synset(images, synsets, hits5):
    frame = images.assign(**{f"top5_{v}": hits5[v] for v in ("gt", "grey", "ours") if v in hits5})
    table = frame.groupby("wnid", sort=False).agg(
        n_images=("label", "size"), **{c: (c, "mean") for c in frame.columns if c.startswith("top5_")}).reset_index()
    table = synsets[["wnid", "synset"]].merge(table, on="wnid")
    write_csv(REP / "per_synset_top5.csv", table)


def _confusions(scores, labels, synsets, names_out):
    """Top-5 confusion of gt and ours over the scored classes (rows: our synsets)."""
    n_out = len(names_out)
    conf = {v: topk_confusion(scores[v], labels, n_out, 5) for v in ("gt", "ours") if v in scores}
    rows = sorted(set(labels))
    long = []
    for i in rows:
        for j in range(n_out):
            g, o = conf["gt"][i, j], conf["ours"][i, j]
            if g or o:
                long.append({"true": names_out[i], "predicted": names_out[j], "c_gt": g, "c_ours": o})
    write_csv(REP / "confusion_top5.csv", pd.DataFrame(long))
    # rows: our synsets; columns: every class the classifier scores (ours, or all of ImageNet-1k)
    amp = amplified_confusions(conf["gt"][rows], conf["ours"][rows], [names_out[i] for i in rows], names_out,
                               own_column=rows)
    name_of = dict(zip(synsets.wnid, synsets.synset))
    for r in amp:
        r["true_synset"], r["confused_synset"] = name_of.get(r["true"], r["true"]), name_of.get(r["confused_with"], r["confused_with"])
    write_csv(REP / "amplified_confusions.csv", pd.DataFrame(amp, columns=[
        "true", "confused_with", "true_synset", "confused_synset", "c_gt", "c_colourized", "increase"]))


if __name__ == "__main__":
    main()
