"""Stages of ablation/dvc.yaml (`make ablation`): Zhang et al.'s Table 1 loss ablation on
the current data, which no public reproduction re-runs.

* `l2`: the same network regressing ab with an L2 loss (Zhang eq. 1) - "Ours (L2)";
* `class`: classification without rebalancing (lambda = 1) - "Ours (class)";
* `full`: classification with rebalancing (lambda = 0.5) - "Ours (full)".

Every other training setting is the pipeline's own (train.*, model.width, the train
split, the prior's smoothing), so the three differ in the loss alone.

    python -m stages.ablation train full      # one variant: models/ablation/full/
    python -m stages.ablation evaluate        # reports/ablation.{md,json}, reports/figures/ablation.png
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from colorization.evaluation import bootstrap, gt_bin_counts, image_hits, image_pieces, resample_weights
from colorization.figures import LABELS
from colorization.lock import TrainingLock
from colorization.prior import rebalance_weights
from colorization.published import ZHANG_TABLE1, ZHANG_TABLE1_ABLATION
from stages.common import atomic_path, load_params, pick_device, run, say, write_json

VARIANTS = {"l2": ("regression", 0.5), "class": ("classification", 1.0), "full": ("classification", 0.5)}
NAMES = {"gt": "ground truth", "grey": "greyscale", "l2": "Ours (L2)", "class": "Ours (class)",
         "full": "Ours (full)"}
MODELS, REP = Path("models/ablation"), Path("reports")
COLUMNS = [("auc", "AuC", 100, 1), ("auc_rebal", "AuC rebalanced", 100, 1), ("top1", "top-1", 100, 1),
           ("top5", "top-5", 100, 1), ("colorfulness", "colourfulness", 1, 1)]
N_FIGURE = 6


def train(variant):
    from stages.train import LOCK, setup_distributed
    from stages.train import train as run_training

    loss, lam = VARIANTS[variant]
    p = load_params()
    cfg = {**{k: p["train"][k] for k in p["train"] if k != "loss"}, "loss": loss}  # train.loss is not read
    rank, world, device = setup_distributed(p["runtime"]["device"])
    weights = rebalance_weights(pd.read_csv("data/prior.csv")["p"].to_numpy(), lam)
    folder = MODELS / variant
    say(f"ablation: {NAMES[variant]}: {loss} loss" + (f", lambda {lam}" if loss == "classification" else ""))
    with TrainingLock(LOCK):
        run_training(cfg, p["model"]["width"], weights, rank, world, device, folder / "model.pt",
                     folder / "checkpoint.pt", folder / "log")


def evaluate():
    from colorization.inference import colorize_uint8, load_colorizer
    from stages.evaluate import load_classifier, scores_of

    p = load_params()
    device = pick_device(p["runtime"]["device"])
    e, T = p["evaluate"], p["colorize"]["T"]
    col = Path("data/colorized")
    images = pd.read_csv(col / "images.csv")
    synsets = pd.read_csv("data/synsets.csv")
    gt, grey = np.load(col / "gt.npy"), np.load(col / "grey.npy")
    variants = {"gt": gt, "grey": grey}
    for v in VARIANTS:
        model = load_colorizer(MODELS / v / "model.pt", device)
        variants[v] = np.concatenate([colorize_uint8(model, gt[i : i + 64], T, device) for i in range(0, len(gt), 64)])
    prior = pd.read_csv("data/prior.csv")["p"].to_numpy()
    eq_counts = gt_bin_counts(gt)
    classifier, _, column = load_classifier(e["classifier"], e["vgg16_weights"], synsets, device)
    labels = column[images["label"].to_numpy()]
    scorable = labels >= 0
    boot = resample_weights(len(gt), e["bootstrap"], e["seed"])
    gt_cf, metrics, ci = None, {}, {}
    for name, arr in variants.items():
        pieces = image_pieces(arr, gt, prior, eq_counts)
        gt_cf = pieces["colorfulness"] if name == "gt" else gt_cf
        hits = image_hits(scores_of(classifier, arr[scorable], device), labels, scorable)
        point, _, interval = bootstrap(pieces, hits, gt_cf, boot)
        metrics[name] = {k: point[k] for k, *_ in COLUMNS}
        ci[name] = {k: interval[k] for k, *_ in COLUMNS}
        say(f"ablation: {name:5s} " + "  ".join(f"{k} {v:.3f}" for k, v in metrics[name].items()))
    write_json(REP / "ablation.json", metrics)
    write_json(REP / "ablation_ci.json", ci)
    _table(metrics, ci, p)
    _figure(variants)


def _table(metrics, ci, p):
    def cell(v, key, scale, digits):
        lo, hi = ci[v][key]
        return f"{scale * metrics[v][key]:.{digits}f} [{scale * lo:.{digits}f}, {scale * hi:.{digits}f}]"

    lines = ["# Table 1 (Zhang et al.), the loss ablation, on this run's data", "",
             "The same network and training settings; only the loss differs. Percent except colourfulness "
             "(Hasler & Süsstrunk, RGB 0–255); bootstrap 95 % interval over val images in brackets.", "",
             "| method | " + " | ".join(t for _, t, *_ in COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for v in ("gt", "grey", "l2", "class", "full"):
        lines.append(f"| {NAMES[v]} | " + " | ".join(cell(v, k, s, d) for k, _, s, d in COLUMNS) + " |")
    lines += ["", "Zhang et al., Table 1 (ImageNet val, VGG-16 top-1; AuC in %):", "",
              "| method | AuC | AuC rebalanced | top-1 |", "|---|---|---|---|"]
    rows = {"gt": ZHANG_TABLE1["gt"][:3], "grey": ZHANG_TABLE1["grey"][:3], **ZHANG_TABLE1_ABLATION}
    lines += [f"| {NAMES.get(v, LABELS.get(v, v))} | {a} | {r} | {t} |" for v, (a, r, t) in rows.items()]
    t = p["train"]
    lines += ["", f"Settings: {t['iterations']} iterations of batch {t['batch_size']}, width {p['model']['width']}, "
              f"lr {t['lr']} ({t['lr_schedule']}), T {p['colorize']['T']}, classifier {p['evaluate']['classifier']}.",
              ""]
    with atomic_path(REP / "ablation.md") as tmp:
        tmp.write_text("\n".join(lines))


def _figure(variants):
    from colorization import figures as F

    idx = np.linspace(0, len(variants["gt"]) - 1, min(N_FIGURE, len(variants["gt"]))).astype(int)
    order = ("grey", "l2", "class", "full", "gt")
    fig = F.examples({NAMES[v]: [variants[v][i] for i in idx] for v in order}, [f"val {i}" for i in idx])
    (REP / "figures").mkdir(parents=True, exist_ok=True)
    with atomic_path(REP / "figures" / "ablation.png") as tmp:
        fig.savefig(tmp, dpi=150, format="png")


def main():
    args = sys.argv[1:]
    if args[:1] == ["train"] and len(args) == 2 and args[1] in VARIANTS:
        return train(args[1])
    if args == ["evaluate"]:
        return evaluate()
    raise SystemExit(f"usage: python -m stages.ablation train {{{','.join(VARIANTS)}}} | evaluate")


if __name__ == "__main__":
    run(main)
