"""Stage `figures`: every figure and table of the paper for this run, in reports/."""

import json
from pathlib import Path

import numpy as np
import pandas as pd

from colorization import figures as F
from colorization.inference import colorize_uint8, grey_uint8, load_colorizer
from colorization.published import KTH_TABLE2
from stages.common import atomic_path, load_params, say

REP, FIG, COL = Path("reports"), Path("reports/figures"), Path("data/colorized")
TEMPERATURES = (1.0, 0.77, 0.58, 0.38, 0.29, 0.14, 0.0)
N_EXAMPLES = 4  # best, worst and random columns each


def save(fig, name):
    FIG.mkdir(parents=True, exist_ok=True)
    with atomic_path(FIG / name) as tmp:
        fig.savefig(tmp, dpi=150, format="png")
    F.plt.close(fig)


def vivid_index(gt):
    """Figure 1's image: the val image with the most saturated ground truth (a clear example)."""
    from colorization.evaluation import to_lab

    chroma = [float(np.linalg.norm(to_lab(gt[i : i + 1])[0, 1:].numpy(), axis=0).mean()) for i in range(len(gt))]
    return int(np.argmax(chroma))


def fig_temperature(gt, device="cpu"):
    model = load_colorizer("models/colorizer.pt", device)
    i = vivid_index(gt)
    img = gt[i : i + 1]
    by_T = {T: colorize_uint8(model, img, T, device)[0] for T in TEMPERATURES}
    save(F.temperature(by_T, grey_uint8(img)[0], img[0]), "fig1_temperature.png")


def example_columns(per_image, seed):
    """Rule: the N best and N worst val images by our rebalanced per-image AuC, and N
    drawn at random (seeded)."""
    order = per_image.sort_values("auc_rebal_ours", na_position="first").index.to_numpy()
    worst, best = list(order[:N_EXAMPLES]), list(order[::-1][:N_EXAMPLES])
    rest = [i for i in per_image.index if i not in best + worst]
    rand = sorted(np.random.default_rng(seed).choice(rest, min(N_EXAMPLES, len(rest)), replace=False).tolist())
    titles = [f"best {k + 1}" for k in range(len(best))] + [f"worst {k + 1}" for k in range(len(worst))] + \
             [f"random {k + 1}" for k in range(len(rand))]
    return best + worst + rand, titles


def fig_examples(variants, per_image, seed):
    cols, titles = example_columns(per_image, seed)
    rows = {v: [variants[v][i] for i in cols] for v in ("grey", "ours", "zhang", "gt") if v in variants}
    save(F.examples(rows, titles), "fig2_examples.png")


def fig_confusions(variants, per_image, synsets):
    conf = pd.read_csv(REP / "confusion_top5.csv")
    off = conf[conf.true != conf.predicted]
    name = dict(zip(synsets.wnid, synsets.synset.str.split(".").str[0]))
    labels = [f"{name.get(t, t)} → {name.get(p, p)}" for t, p in zip(off.true, off.predicted)]
    save(F.confusion_scatter(off.c_gt.to_numpy(), off.c_ours.to_numpy(), labels), "fig5_confusion_scatter.png")
    amp = pd.read_csv(REP / "amplified_confusions.csv")
    if amp.empty:
        save(F.amplified_confusion([], [], [], "no confusion increased"), "fig6_amplified_confusion.png")
        return
    top = amp.iloc[0]
    has = lambda col, w: col.fillna("").str.split().apply(lambda s: w in s)  # noqa: E731
    rows = per_image[(per_image.wnid == top.true) & has(per_image.top5_ours, top.confused_with)
                     & ~has(per_image.top5_gt, top.confused_with)].index[:6]
    title = (f"{top.true_synset} confused with {top.confused_synset}: top-5 confusion "
             f"{top.c_gt:.2f} → {top.c_colourized:.2f}")
    save(F.amplified_confusion(variants["gt"][rows], variants["grey"][rows], variants["ours"][rows], title),
         "fig6_amplified_confusion.png")


def write_table2(metrics, ci, params):
    def cell(v, key):
        m = metrics.get(v, {})
        if "skipped" in m:
            return "skipped"
        lo, hi = ci.get(v, {}).get(key, [np.nan, np.nan])
        return f"{100 * m[key]:.1f} [{100 * lo:.1f}, {100 * hi:.1f}]"

    lines = ["# Table 2: colourization accuracy and semantic interpretability", "",
             "This run (percent, bootstrap 95% interval over val images in brackets):", "",
             "| method | AuC | AuC rebalanced | AuC rebalanced (equal per bin) | top-5 |", "|---|---|---|---|---|"]
    for v in ("gt", "grey", "random", "zhang", "ours"):
        lines.append(f"| {F.LABELS[v]} | {cell(v, 'auc')} | {cell(v, 'auc_rebal')} | {cell(v, 'auc_rebal_eq')} | "
                     f"{cell(v, 'top5')} |")
    lines += ["", "Published by the KTH reproduction (Table 2; ImageNet, VGG-16 pretrained on ImageNet):", "",
              "| method | AuC | AuC rebalanced | top-5 |", "|---|---|---|---|"]
    published = {**F.LABELS, "ours": "KTH reproduction"}
    lines += [f"| {published[v]} | {a} | {r} | {t} |" for v, (a, r, t) in KTH_TABLE2.items()]
    d, t, e = params["data"], params["train"], params["evaluate"]
    lines += ["", "Key params of this run: "
              f"source {d['source']}, {d['size']} px, width {params['model']['width']}, "
              f"{t['iterations']} iterations of batch {t['batch_size']} (crop {t['crop']}, lr {t['lr']}), "
              f"lambda {params['prior']['lam']}, T {params['colorize']['T']}, classifier {e['classifier']}.", ""]
    with atomic_path(REP / "table2.md") as tmp:
        tmp.write_text("\n".join(lines))


def main():
    p = load_params()
    synsets = pd.read_csv("data/synsets.csv")
    skipped = json.loads((COL / "skipped.json").read_text())
    variants = {v: np.load(COL / f"{v}.npy") for v in ("gt", "grey", "random", "zhang", "ours") if v not in skipped}
    per_image = pd.read_csv(REP / "per_image.csv")
    metrics, ci = json.loads((REP / "metrics.json").read_text()), json.loads((REP / "metrics_ci.json").read_text())

    fig_temperature(variants["gt"])
    fig_examples(variants, per_image, p["evaluate"]["seed"])
    per_synset = pd.read_csv(REP / "per_synset_top5.csv")
    save(F.per_synset_top5(per_synset), "fig4_per_synset.png")
    fig_confusions(variants, per_image, synsets)
    prior = pd.read_csv("data/prior.csv")
    save(F.prior_and_weights(prior.a, prior.b, prior.p, prior.weight), "prior.png")
    curves = pd.read_csv(REP / "auc_curves.csv")
    names = [c for c in curves.columns if c != "threshold"]
    save(F.auc_curves(curves.threshold.to_numpy(), {n: curves[n].to_numpy() for n in names},
                      {n: metrics[n]["auc"] for n in names}), "auc_curves.png")
    log = pd.read_csv("dvclive/plots/metrics/train/loss.tsv", sep="\t")
    save(F.learning_curve(log.step.to_numpy(), log.loss.to_numpy()), "learning_curve.png")
    sim = pd.read_csv("data/synset_similarity.csv", index_col=0)
    save(F.synset_similarity(sim.to_numpy(), list(synsets.synset)), "synsets.png")
    write_table2(metrics, ci, p)
    from stages.report import write_report

    write_report(metrics, p)
    say(f"figures: wrote {len(list(FIG.glob('*.png')))} figures to {FIG}, {REP / 'table2.md'} and {REP / 'README.md'}")


if __name__ == "__main__":
    main()
