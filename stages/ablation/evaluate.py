"""Stage `evaluate` of ablation/dvc.yaml: the three loss variants of Zhang et al.'s Table 1
colourize the main run's val selection and are scored by its classifier, with bootstrap
intervals: reports/ablation.{md,json}, reports/figures/ablation.png."""

from pathlib import Path

import numpy as np
import pandas as pd

from colorization import figures as F
from colorization.classifier import load_scorer
from colorization.devices import pick_device
from colorization.evaluation import evaluate_variants, resample_weights
from colorization.inference import colorize_set, load_colorizer
from colorization.published import ZHANG_TABLE1, ZHANG_TABLE1_ABLATION
from colorization.report import with_interval
from colorization.variants import ABLATION, ABLATION_LABELS
from stages.common import atomic_path, load_params, run, say, write_json
from stages.params import colorize, evaluate as evaluate_rules, runtime

MODELS, REP = Path("models/ablation"), Path("reports")
COLUMNS = [("auc", "AuC", 100, 1), ("auc_rebal", "AuC rebalanced", 100, 1), ("top1", "top-1", 100, 1),
           ("top5", "top-5", 100, 1), ("colorfulness", "colourfulness", 1, 1)]
N_FIGURE = 6


def main():
    p = load_params(colorize, evaluate_rules, runtime)
    device = pick_device(p["runtime"]["device"])
    e, T = p["evaluate"], p["colorize"]["T"]
    col = Path("data/colorized")
    images = pd.read_csv(col / "images.csv")
    synsets = pd.read_csv("data/synsets.csv")
    gt = np.load(col / "gt.npy")
    variants = {"gt": gt, "grey": np.load(col / "grey.npy")}
    for v in ABLATION:
        variants[v] = colorize_set(load_colorizer(MODELS / v / "model.pt", device), gt, T, device, desc=f"ablation {v}")
    scores_of, labels, _ = load_scorer(e["classifier"], synsets.wnid, images["label"], device,
                                       evaluate_rules.vgg16_weights(e))
    boot = resample_weights(len(gt), e["bootstrap"], e["seed"])
    prior = pd.read_csv("data/prior.csv")["p"].to_numpy()
    _, point, ci = evaluate_variants(variants, prior, scores_of, labels, boot, {})
    metrics = {v: {k: point[v][k] for k, *_ in COLUMNS} for v in variants}
    intervals = {v: {k: ci[v][k] for k, *_ in COLUMNS} for v in variants}
    for v, m in metrics.items():
        say(f"ablation: {v:5s} " + "  ".join(f"{k} {x:.3f}" for k, x in m.items()))
    write_json(REP / "ablation.json", {"ablation": metrics})  # its own key: names unique across metrics files
    write_json(REP / "ablation_ci.json", {"ablation": intervals})
    with atomic_path(REP / "ablation.md") as tmp:
        tmp.write_text(_table(metrics, intervals, p))
    idx = np.linspace(0, len(gt) - 1, min(N_FIGURE, len(gt))).astype(int)
    rows = {ABLATION_LABELS[v]: [variants[v][i] for i in idx] for v in ("grey", *ABLATION, "gt")}
    F.save_png(F.examples(rows, [f"val {i}" for i in idx]), REP / "figures" / "ablation.png")


def _table(metrics, ci, p) -> str:
    lines = ["# Table 1 (Zhang et al.), the loss ablation, on this run's data", "",
             "The same network and training settings; only the loss differs. Percent except colourfulness "
             "(Hasler & Süsstrunk, RGB 0–255); bootstrap 95 % interval over val images in brackets (one training "
             "run each: the interval does not cover another training seed).", "",
             "| method | " + " | ".join(t for _, t, *_ in COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for v in ("gt", "grey", *ABLATION):
        cells = [with_interval(metrics[v][k], ci[v][k], scale, digits) for k, _, scale, digits in COLUMNS]
        lines.append(f"| {ABLATION_LABELS[v]} | " + " | ".join(cells) + " |")
    lines += ["", "Zhang et al., Table 1 (ImageNet val, VGG-16 top-1; AuC in %):", "",
              "| method | AuC | AuC rebalanced | top-1 |", "|---|---|---|---|"]
    rows = {"gt": ZHANG_TABLE1["gt"][:3], "grey": ZHANG_TABLE1["grey"][:3], **ZHANG_TABLE1_ABLATION}
    lines += [f"| {ABLATION_LABELS[v]} | {a} | {r} | {t} |" for v, (a, r, t) in rows.items()]
    t = p["train"]
    lines += ["", f"Settings: {t['iterations']} iterations of batch {t['batch_size']}, width {p['model']['width']}, "
              f"lr {t['lr']} ({t['lr_schedule']}), T {p['colorize']['T']}, classifier {p['evaluate']['classifier']}.",
              ""]
    return "\n".join(lines)


if __name__ == "__main__":
    run(main)
