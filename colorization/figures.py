"""The paper's figures, one function each, from plain arrays and tables.

Each function returns a matplotlib Figure; the figures stage saves them as 150 dpi
PNGs. Names follow the paper: Figure 1 (temperature), 2 (examples), 4 (per-synset
top-5), 5 (confusion scatter), 6 (amplified confusion); plus the prior, AuC
curves, learning curve and the synset similarity map.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (the backend must be chosen before pyplot loads)
import numpy as np  # noqa: E402

from .atomic import atomic_path  # noqa: E402
from .grid import GRID, GRID_AXIS, grid_cells  # noqa: E402
from .variants import COLOURS, LABELS  # noqa: E402

STYLE = {"font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "figure.dpi": 150,
         "axes.spines.top": False, "axes.spines.right": False}
plt.rcParams.update(STYLE)


def save_png(fig, path, dpi=150):
    """Write a figure as a PNG, atomically (a killed run leaves no half image), and free it."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png")
    plt.close(fig)


def _image_grid(rows, row_titles, col_titles=None, cell=1.3, title=None):
    n_rows, n_cols = len(rows), len(rows[0])
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(cell * n_cols + 1.0, cell * n_rows + 0.6), squeeze=False)
    for r, row in enumerate(rows):
        for c, img in enumerate(row):
            ax = axes[r, c]
            ax.imshow(img, interpolation="lanczos")
            ax.set_xticks([])
            ax.set_yticks([])
            for s in ax.spines.values():
                s.set_visible(False)
            if c == 0:
                ax.set_ylabel(row_titles[r], rotation=90, fontsize=8)
            if col_titles and r == 0:
                ax.set_title(col_titles[c], fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def temperature(images_by_T: dict, grey, truth, regressed=None):
    """Figure 1: one image decoded at several annealed-mean temperatures (an L2 model,
    which predicts ab directly, has no temperature: its one output is shown instead)."""
    if regressed is not None:
        return _image_grid([[grey, regressed, truth]], [""], ["input (L)", "L2 regression", "ground truth"], cell=1.4,
                           title="An L2 model has no distribution to anneal: its prediction")
    Ts = list(images_by_T)
    row = [grey] + [images_by_T[T] for T in Ts] + [truth]
    titles = ["input (L)"] + [("T = 0 (mode)" if T == 0 else f"T = {T:g}") for T in Ts] + ["ground truth"]
    fig = _image_grid([row], [""], titles, cell=1.4,
                      title="Annealed mean: higher T is more spatially consistent, lower T more vibrant")
    return fig


def examples(rows: dict, col_titles):
    """Figure 2: val images as grey input, ours, Zhang's (if any) and ground truth."""
    names = list(rows)
    return _image_grid([rows[n] for n in names], [LABELS.get(n, n) for n in names], col_titles, cell=1.1)


def per_synset_top5(table):
    """Figure 4: top-5 accuracy per synset on greyscale input and after our colourization."""
    t = table.sort_values("top5_grey")
    y = np.arange(len(t))
    fig, ax = plt.subplots(figsize=(6.0, 0.22 * len(t) + 1.2))
    ax.barh(y - 0.2, t.top5_grey, 0.4, color=COLOURS["grey"], label="greyscale")
    ax.barh(y + 0.2, t.top5_ours, 0.4, color=COLOURS["ours"], label="colourized (ours)")
    ax.set_yticks(y, [s.split(".")[0].replace("_", " ") for s in t.synset], fontsize=7)
    ax.set_xlabel("top-5 accuracy")
    ax.set_xlim(0, 1)
    better = int((t.top5_ours > t.top5_grey).sum())
    ax.set_title(f"Colourization raises top-5 accuracy in {better} of {len(t)} synsets")
    ax.legend(loc="lower right", fontsize=7)
    fig.tight_layout()
    return fig


def confusion_scatter(c_gt, c_ours, labels, n_label=5):
    """Figure 5: off-diagonal top-5 confusion entries, colourized vs ground truth."""
    fig, ax = plt.subplots(figsize=(4.6, 4.4))
    ax.scatter(c_gt, c_ours, s=8, alpha=0.5, color=COLOURS["ours"], linewidths=0)
    ax.plot([0, 1], [0, 1], color="#555555", lw=0.8, ls="--")
    diff = np.asarray(c_ours) - np.asarray(c_gt)
    top = np.argsort(-diff)[:n_label]
    for rank, i in enumerate(top):
        if diff[i] <= 0:
            break
        ax.scatter([c_gt[i]], [c_ours[i]], s=22, facecolors="none", edgecolors="black", linewidths=0.8)
        ax.annotate(labels[i], (c_gt[i], c_ours[i]), xytext=(6, -10 - 11 * rank), textcoords="offset points",
                    fontsize=6.5, arrowprops={"arrowstyle": "-", "lw": 0.5, "color": "#444444"})
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("$C_{ground\\ truth}[i, j]$")
    ax.set_ylabel("$C_{colourized}[i, j]$")
    ax.set_title("Off-diagonal top-5 confusion entries")
    fig.tight_layout()
    return fig


def amplified_confusion(gt_imgs, grey_imgs, ours_imgs, pair_title):
    """Figure 6: images confused only after colourization, for the most amplified pair."""
    if not len(gt_imgs):
        fig, ax = plt.subplots(figsize=(5, 1.5))
        ax.axis("off")
        ax.text(0.5, 0.5, f"{pair_title}\nno image is confused only after colourization", ha="center", va="center")
        return fig
    return _image_grid([list(grey_imgs), list(ours_imgs), list(gt_imgs)], ["greyscale", "ours", "ground truth"],
                       None, cell=1.2, title=pair_title)


def prior_and_weights(a, b, p, w):
    """The empirical ab prior (log scale) and the rebalancing weights on the ab plane."""
    ia, ib = grid_cells(np.stack([a, b], 1))
    n, lo, hi = len(GRID_AXIS), GRID_AXIS[0] - GRID / 2, GRID_AXIS[-1] + GRID / 2  # a cell spans a grid step
    fig, axes = plt.subplots(1, 2, figsize=(7.6, 3.4))
    for ax, values, title, cmap in ((axes[0], np.log10(np.maximum(p, 1e-12)), "log10 prior p(ab)", "viridis"),
                                    (axes[1], w, "rebalancing weight w", "magma")):
        img = np.full((n, n), np.nan)
        img[ib, ia] = values
        if "prior" in title:
            img[ib, ia] = np.where(np.asarray(p) > 0, values, np.nan)
        # six decades are enough to read the prior; the smoothed tails go far lower
        vmin = np.nanmax(img) - 6 if "prior" in title else None
        m = ax.imshow(img, origin="lower", extent=(lo, hi, lo, hi), cmap=cmap, vmin=vmin)
        ax.set_xlabel("a")
        ax.set_ylabel("b")
        ax.set_title(title)
        fig.colorbar(m, ax=ax, shrink=0.8)
    fig.tight_layout()
    return fig


def auc_curves(thresholds, curves: dict, aucs: dict):
    fig, ax = plt.subplots(figsize=(5.0, 3.6))
    for name, y in curves.items():
        ax.plot(thresholds, y, color=COLOURS.get(name), label=f"{LABELS.get(name, name)} (AuC {aucs[name]:.3f})")
    ax.set_xlabel("threshold on ab error")
    ax.set_ylabel("share of pixels within threshold")
    ax.set_xlim(0, thresholds[-1])
    ax.set_ylim(0, 1.01)
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title("Cumulative ab error (raw AuC)")
    fig.tight_layout()
    return fig


def learning_curve(steps, loss, kind="classification"):
    fig, ax = plt.subplots(figsize=(5.0, 3.2))
    ax.plot(steps, loss, color=COLOURS["ours"], lw=1)
    if len(loss) >= 10:
        k = max(3, len(loss) // 15)
        smooth = np.convolve(loss, np.ones(k) / k, mode="valid")
        ax.plot(steps[k - 1 :], smooth, color="black", lw=1.2, label=f"running mean of {k}")
        ax.legend(fontsize=7)
    ax.set_xlabel("iteration")
    ax.set_ylabel("rebalanced cross-entropy" if kind == "classification" else "L2 loss on ab")
    ax.set_title("Training loss")
    fig.tight_layout()
    return fig


def synset_similarity(matrix, names):
    """Pairwise WordNet path similarity, ordered by average-linkage clustering."""
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform

    m = np.asarray(matrix, float)
    order = np.arange(len(m))
    if len(m) > 2:
        dist = 1.0 - m
        np.fill_diagonal(dist, 0.0)
        order = leaves_list(linkage(squareform(np.clip(dist, 0, None), checks=False), "average"))
    m = m[np.ix_(order, order)]
    labels = [names[i].split(".")[0].replace("_", " ") for i in order]
    size = 0.2 * len(m) + 2.0
    fig, ax = plt.subplots(figsize=(size + 1.0, size))
    im = ax.imshow(m, cmap="viridis", vmin=0, vmax=max(0.5, float(np.max(m[~np.eye(len(m), dtype=bool)], initial=0))))
    ax.set_xticks(range(len(m)), labels, rotation=90, fontsize=6)
    ax.set_yticks(range(len(m)), labels, fontsize=6)
    ax.set_title("WordNet path similarity of the selected synsets")
    fig.colorbar(im, ax=ax, shrink=0.7)
    fig.tight_layout()
    return fig


def study_results(rows: dict, summaries: dict):
    """Figure 3, per method: colourized images labelled with how many participants they fooled
    (the most fooling ones, then some that fooled none). ``rows``: method -> [most, none], each
    a list of (image, label)."""
    lines = [(m, r) for m, pair in rows.items() for r in pair if r]
    n_cols = max(len(r) for _, r in lines)
    fig, axes = plt.subplots(len(lines), n_cols, figsize=(1.6 * n_cols + 1.2, 1.9 * len(lines) + 0.8), squeeze=False)
    for k, (method, row) in enumerate(lines):
        for c in range(n_cols):
            ax = axes[k, c]
            ax.axis("off")
            if c < len(row):
                img, label = row[c]
                ax.imshow(img)
                ax.set_title(label, fontsize=8)
        axes[k, 0].text(-0.15, 0.5, LABELS.get(method, method), transform=axes[k, 0].transAxes, rotation=90,
                        ha="right", va="center", fontsize=8)
    fig.suptitle("Perceptual study: " + "; ".join(f"{LABELS.get(m, m)}: {s}" for m, s in summaries.items()),
                 fontsize=8, wrap=True)
    fig.tight_layout()
    return fig


def study_placeholder(text):
    fig, ax = plt.subplots(figsize=(6, 1.4))
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=9, wrap=True)
    return fig


def seed_findings(runs, findings):
    """Each finding's paired difference per training seed with its 95 % interval (the seed
    study); the main run drawn in black. ``findings``: (label, key) pairs."""
    fig, axes = plt.subplots(1, len(findings), figsize=(3.0 * len(findings) + 0.4, 3.0), squeeze=False)
    x = np.arange(len(runs))
    for ax, (label, key) in zip(axes[0], findings):
        scale = 100.0
        d = np.array([r["findings"][key]["difference"] for r in runs]) * scale
        lo = np.array([r["findings"][key]["interval"][0] for r in runs]) * scale
        hi = np.array([r["findings"][key]["interval"][1] for r in runs]) * scale
        main = np.array([bool(r.get("main_run")) for r in runs])
        for sel, colour, name in ((~main, COLOURS["ours"], "other seeds"), (main, "black", "main run")):
            if sel.any():
                ax.errorbar(x[sel], d[sel], yerr=[d[sel] - lo[sel], hi[sel] - d[sel]], fmt="o", ms=4, capsize=3,
                            color=colour, label=name)
        ax.axhline(0, color="#555555", lw=0.8, ls="--")
        held = int((lo > 0).sum())
        ax.set_title(f"{label}\nheld in {held} of {len(runs)} seeds", fontsize=8)
        ax.set_xticks(x, [str(r["seed"]) for r in runs])
        ax.set_xlabel("training seed")
        ax.set_ylabel("difference (points)")
    axes[0][0].legend(fontsize=7, loc="best")
    fig.suptitle("The findings over training seeds: paired difference and its 95 % interval per run", fontsize=9)
    fig.tight_layout()
    return fig


PROBE_COLOURS = {"colorization": COLOURS["ours"], "random": COLOURS["grey"], "supervised": COLOURS["zhang"],
                 "random_default": "#bbbbbb"}


def _lines_with_bands(ax, x, keys, top1, intervals, inits, names, chance):
    """One line per initialisation over ``keys`` (in percent) with its 95 % band, and chance."""
    for init in inits:
        y = np.array([top1[init][k] for k in keys]) * 100
        lo = np.array([intervals[init][k][0] for k in keys]) * 100
        hi = np.array([intervals[init][k][1] for k in keys]) * 100
        ax.plot(x, y, "o-", color=PROBE_COLOURS[init], label=names[init], lw=1.4, ms=4)
        ax.fill_between(x, lo, hi, color=PROBE_COLOURS[init], alpha=0.18, lw=0)
    ax.axhline(100 * chance, color="#555555", lw=0.8, ls="--", label="chance")


def probe_layers(top1: dict, intervals: dict, chance: float, names: dict):
    """Fig. 7 style: probe top-1 against layer, one line per initialisation (``names``: their
    labels), 95 % bands, chance."""
    fig, ax = plt.subplots(figsize=(5.4, 3.6))
    inits = [i for i in ("supervised", "colorization", "random", "random_default") if i in top1]
    layers = list(top1[inits[0]])
    x = np.arange(len(layers))
    _lines_with_bands(ax, x, layers, top1, intervals, inits, names, chance)
    ax.set_xticks(x, layers)
    ax.set_xlabel("layer (frozen)")
    ax.set_ylabel("linear probe top-1 (%)")
    ax.set_title("Linear probes on frozen features (Zhang et al. Fig. 7)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def finetune_curves(top1: dict, intervals: dict, n_labelled: dict, chance: float, names: dict):
    """Top-1 after fine-tuning every layer against the share of labels (log scale), one line per
    start (``names``: their labels) with its 95 % band, and chance."""
    fig, ax = plt.subplots(figsize=(5.4, 3.6))
    keys = list(n_labelled)
    x = np.array([float(k) for k in keys]) * 100
    _lines_with_bands(ax, x, keys, top1, intervals, list(top1), names, chance)
    ax.set_xscale("log")
    ax.set_xticks(x, [f"{v:g} %\n({n_labelled[k]})" for v, k in zip(x, keys)])
    ax.minorticks_off()
    ax.set_xlabel("labelled train images (share, count)")
    ax.set_ylabel("val top-1 after fine-tuning (%)")
    ax.set_title("Fine-tuning every layer with few labels")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
