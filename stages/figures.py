"""Stage `figures`: every figure and table of the paper for this run, in reports/."""

import json
from pathlib import Path

import numpy as np
import pandas as pd

from colorization import figures as F
from colorization.atomic import sweep_temporaries
from colorization.confusion import confused_only_after, off_diagonal, topk_confusion
from colorization.devices import pick_device
from colorization.inference import colorize_uint8, grey_uint8, load_colorizer
from colorization.lab import uint8_to_lab
from colorization.report import report, table2
from colorization.variants import PIPELINE
from stages.common import atomic_path, load_params, run, say
from stages.params import runtime

REP, FIG, COL = Path("reports"), Path("reports/figures"), Path("data/colorized")
TEMPERATURES = (1.0, 0.77, 0.58, 0.38, 0.29, 0.14, 0.0)
N_EXAMPLES = 4  # best, typical and worst columns each


def save(fig, name):
    F.save_png(fig, FIG / name)


def vivid_index(gt):
    """Figure 1's image: the val image with the most saturated ground truth (a clear example)."""
    chroma = [float(uint8_to_lab(gt[i : i + 1])[0, 1:].norm(dim=0).mean()) for i in range(len(gt))]
    return int(np.argmax(chroma))


def fig_temperature(gt, device):
    model = load_colorizer("models/colorizer.pt", device)
    i = vivid_index(gt)
    img = gt[i : i + 1]
    if model.head == "regression":  # an L2 model has no distribution to anneal
        save(F.temperature({}, grey_uint8(img)[0], img[0], regressed=colorize_uint8(model, img, 0.0, device)[0]),
             "fig1_temperature.png")
        return
    by_T = {T: colorize_uint8(model, img, T, device)[0] for T in TEMPERATURES}
    save(F.temperature(by_T, grey_uint8(img)[0], img[0]), "fig1_temperature.png")


def example_columns(per_image):
    """Rule: the N best and N worst val images by our rebalanced per-image AuC, and N
    typical ones (at evenly spaced ranks between them)."""
    order = per_image.sort_values("auc_rebal_ours", na_position="first").index.to_numpy()
    worst, best = list(order[:N_EXAMPLES]), list(order[::-1][:N_EXAMPLES])
    middle = order[N_EXAMPLES:-N_EXAMPLES] if len(order) > 2 * N_EXAMPLES else order[:0]
    quantiles = np.linspace(0.2, 0.8, N_EXAMPLES) if len(middle) else []
    typical = [int(middle[int(q * (len(middle) - 1))]) for q in quantiles]
    titles = ([f"best {k + 1}" for k in range(len(best))] + [f"typical {k + 1}" for k in range(len(typical))]
              + [f"worst {k + 1}" for k in range(len(worst))])
    return best + typical + worst, titles


def fig_examples(variants, per_image):
    cols, titles = example_columns(per_image)
    rows = {v: [variants[v][i] for i in cols] for v in ("grey", "ours", "zhang", "gt") if v in variants}
    save(F.examples(rows, titles), "fig2_examples.png")


def fig_confusions(variants, synsets):
    """Figures 5 and 6 from the top-5 predictions the evaluate stage saved."""
    top = np.load("data/evaluation/top5.npz")
    labels, names, rows_of = top["labels"], list(top["names"]), top["rows"]
    n_out = len(names)
    c_gt, c_ours = topk_confusion(top["gt"], labels, n_out), topk_confusion(top["ours"], labels, n_out)
    classes = sorted(set(labels.tolist()))
    short = dict(zip(synsets.wnid, synsets.synset.str.split(".").str[0]))
    r, c, g, o = off_diagonal(c_gt, c_ours, classes, classes)
    pair_names = [f"{short.get(names[i], names[i])} → {short.get(names[j], names[j])}" for i, j in zip(r, c)]
    save(F.confusion_scatter(g, o, pair_names), "fig5_confusion_scatter.png")
    amp = pd.read_csv(REP / "amplified_confusions.csv")
    if amp.empty:
        save(F.amplified_confusion([], [], [], "no confusion increased"), "fig6_amplified_confusion.png")
        return
    first = amp.iloc[0]
    true, other = names.index(first.true), names.index(first.confused_with)
    rows = rows_of[confused_only_after(top["gt"], top["ours"], labels, true, other)][:6]
    title = (f"{first.true_synset} confused with {first.confused_synset}: top-5 confusion "
             f"{first.c_gt:.2f} → {first.c_colourized:.2f}")
    save(F.amplified_confusion(variants["gt"][rows], variants["grey"][rows], variants["ours"][rows], title),
         "fig6_amplified_confusion.png")


def main():
    p = load_params(runtime)
    for stale in sweep_temporaries(FIG):  # left by a run killed mid-write
        say(f"figures: removed {stale}, left by an interrupted run")
    device = pick_device(p["runtime"]["device"])
    synsets = pd.read_csv("data/synsets.csv")
    skipped = json.loads((COL / "skipped.json").read_text())
    variants = {v: np.load(COL / f"{v}.npy") for v in PIPELINE if v not in skipped}
    per_image = pd.read_csv(REP / "per_image.csv")
    metrics, ci = json.loads((REP / "metrics.json").read_text()), json.loads((REP / "metrics_ci.json").read_text())

    fig_temperature(variants["gt"], device)
    fig_examples(variants, per_image)
    save(F.per_synset_top5(pd.read_csv(REP / "per_synset_top5.csv")), "fig4_per_synset.png")
    fig_confusions(variants, synsets)
    prior = pd.read_csv("data/prior.csv")
    save(F.prior_and_weights(prior.a, prior.b, prior.p, prior.weight), "prior.png")
    curves = pd.read_csv(REP / "auc_curves.csv")
    names = [c for c in curves.columns if c != "threshold"]
    save(F.auc_curves(curves.threshold.to_numpy(), {n: curves[n].to_numpy() for n in names},
                      {n: metrics[n]["auc"] for n in names}), "auc_curves.png")
    log = pd.read_csv("dvclive/plots/metrics/train/loss.tsv", sep="\t")
    save(F.learning_curve(log.step.to_numpy(), log.loss.to_numpy(), p["train"]["loss"]), "learning_curve.png")
    sim = pd.read_csv("data/synset_similarity.csv", index_col=0)
    save(F.synset_similarity(sim.to_numpy(), list(synsets.synset)), "synsets.png")
    chroma = json.loads((REP / "chroma.json").read_text())
    study_file = REP / "study" / "results.json"
    study = json.loads(study_file.read_text()) if study_file.is_file() else None
    text = table2(metrics, ci, p, len(synsets), json.loads((REP / "rebalancing.json").read_text()), chroma, study)
    summary = study.get("summary", "no responses yet") if study else "not run yet"
    n_skipped = len(pd.read_csv(REP / "skipped.csv")) if (REP / "skipped.csv").is_file() else 0
    figures = {f.name for f in FIG.glob("*.png")}
    for path, content in ((REP / "table2.md", text),
                          (REP / "README.md", report(metrics, ci, p, text, chroma, n_skipped, figures, summary))):
        with atomic_path(path) as tmp:
            tmp.write_text(content)
    say(f"figures: wrote {len(list(FIG.glob('*.png')))} figures to {FIG}, {REP / 'table2.md'} and {REP / 'README.md'}")


if __name__ == "__main__":
    run(main)
