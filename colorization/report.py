"""The text of reports/table2.md, reports/README.md and reports/ablation.md: the run's tables
and a one-page report, readable on GitHub. Every claim is made from the paired intervals of
metrics_ci.json. Functions return Markdown; the figures and ablation stages write it."""

from .published import KTH_FOOL_RATE, KTH_TABLE2, ZHANG_TABLE1, ZHANG_TABLE1_ABLATION
from .variants import ABLATION, ABLATION_LABELS, FINDINGS, LABELS, PIPELINE

PAPER_COLUMNS = [("auc", "AuC"), ("auc_rebal", "AuC rebalanced"), ("auc_rebal_eq", "AuC rebalanced (equal per bin)"),
                 ("top1", "top-1"), ("top5", "top-5")]
MODERN_COLUMNS = [("colorfulness", "colourfulness"), ("delta_cf", "ΔCF"), ("psnr", "PSNR (dB)"), ("ssim", "SSIM")]
METRIC_NAMES = dict(PAPER_COLUMNS + MODERN_COLUMNS)  # a metric's name in every generated table
ABLATION_COLUMNS = [("auc", "AuC", 100, 1), ("auc_rebal", "AuC rebalanced", 100, 1), ("top1", "top-1", 100, 1),
                    ("top5", "top-5", 100, 1), ("colorfulness", "colourfulness", 1, 1)]
FIGURES = [
    ("fig1_temperature.png", "Figure 1: one val image decoded at annealed-mean temperatures from T = 1 (mean) "
                             "to 0 (mode)."),
    ("fig2_examples.png", "Figure 2: val images (greyscale input, ours, Zhang et al.'s when given, ground truth): "
                          "the four best, four typical and four worst by our rebalanced per-image AuC."),
    ("fig3_study.png", "Figure 3: perceptual study: the images that fooled most participants, and some that "
                       "fooled none."),
    ("fig4_per_synset.png", "Figure 4: top-5 accuracy per synset on greyscale input and after our colourization."),
    ("fig5_confusion_scatter.png", "Figure 5: off-diagonal top-5 confusion entries after colourization against "
                                   "ground truth; the largest increases are labelled."),
    ("fig6_amplified_confusion.png", "Figure 6: images of the most amplified confusion pair that are confused only "
                                     "after colourization."),
    ("prior.png", "The empirical ab prior of the training split (log scale) and the class-rebalancing weights."),
    ("auc_curves.png", "Share of pixels within each ab-error threshold, per variant: the curves behind the raw AuC."),
    ("learning_curve.png", "Training loss over iterations, from the dvclive log."),
    ("synsets.png", "Pairwise WordNet path similarity of the selected synsets, ordered by clustering."),
]


def _pct(x):
    return "–" if x is None else f"{100 * x:.1f}"


def with_interval(value, interval, scale=100.0, digits=1) -> str:
    """"80.2 [79.2, 81.4]": a value and its interval on one scale (100: percent)."""
    lo, hi = interval if interval is not None else (float("nan"), float("nan"))
    return f"{scale * value:.{digits}f} [{scale * lo:.{digits}f}, {scale * hi:.{digits}f}]"


def _cell(metrics, ci, v, key, scale=100.0, digits=1):
    m = metrics.get(v, {})
    if "skipped" in m:
        return "skipped"
    value = m.get(key)
    if value is None:
        return "∞ (identical)" if key == "psnr" else "–"
    return with_interval(value, ci.get(v, {}).get(key), scale, digits)


def finding_rows(metrics, ci):
    """(label, difference, interval, holds) for each finding with both variants present."""
    out = []
    for label, pair, key in FINDINGS:
        a, b = pair.split("_minus_")
        if pair not in ci or metrics.get(a, {}).get(key) is None or metrics.get(b, {}).get(key) is None:
            continue
        lo, hi = ci[pair][key]
        out.append((label, metrics[a][key] - metrics[b][key], (lo, hi), lo > 0))
    return out


def scoring_lines(kind, n_classes, n_images, n_scored) -> list:
    """What top-1/top-5 measure in this run: classes, chance levels, and whether top-5 can be set
    beside the KTH reproduction's 1000-class top-5."""
    scored = f"{n_scored} of {n_images}" if n_scored != n_images else f"{n_images}"
    classes = 1000 if kind == "imagenet" else n_classes
    lines = [f"This run: {n_images} val images of {n_classes} synsets, {scored} scored by "
             + ("torchvision's ImageNet VGG-16 over its 1000 classes" if kind == "imagenet" else
                f"a VGG-16-BN trained here on the colour train split, over {n_classes} classes")
             + f" (chance: top-1 {100 / classes:.1f} %, top-5 {100 * min(5, classes) / classes:.1f} %). "
             "Percent; bootstrap 95 % interval over val images in brackets.", ""]
    if classes < 50:
        ceiling = " is near its ceiling and" if 5 / classes >= 0.25 else ""
        lines += [f"With {classes} classes, top-5{ceiling} is not comparable with the KTH reproduction's top-5 "
                  "over ImageNet's 1000 classes; the finding is judged on top-1 (top-5 is shown too).", ""]
    return lines


def labelled_real(study: dict | None, variant: str) -> str:
    """Table 1's "labelled real" cell: the study's fool rate of a variant with its two-way
    bootstrap interval, "–" where it was not in the study, "no responses" before any."""
    if variant == "gt":
        return "50 (by design)"
    m = (study or {}).get("methods", {}).get(variant)
    if not m:
        return "–"
    if m["fool_rate"] is None:
        return m["summary"] if m.get("n_excluded") else "no responses"
    return f"{with_interval(m['fool_rate'], m['ci95'])} ({m['n_participants']} people)"


def table2(metrics, ci, params, n_classes, rebal, chroma, study=None) -> str:
    """reports/table2.md: Table 2 with intervals and the study's "labelled real" column, the
    findings, the newer metrics, the rebalanced AuC's definition and the published rows.
    ``rebal`` and ``chroma`` are the evaluate stage's rebalancing.json and chroma.json,
    ``study`` the study's results.json."""
    # imported here, not at the top: both modules load PyTorch, which the results screen
    # (finding_rows) does without
    from .bins import Q
    from .metrics import REBALANCE_FLOOR

    cap = round(1 / (REBALANCE_FLOOR * Q))
    lines = ["# Table 2: colourization accuracy and semantic interpretability", ""]
    kind = params["evaluate"]["classifier"]
    lines += scoring_lines(kind, n_classes, chroma["n_images"], chroma["n_scored"])
    lines += ["| method | " + " | ".join(t for _, t in PAPER_COLUMNS) + " | labelled real |",
              "|---" * (len(PAPER_COLUMNS) + 2) + "|"]
    for v in PIPELINE:
        lines.append(f"| {LABELS[v]} | " + " | ".join(_cell(metrics, ci, v, k) for k, _ in PAPER_COLUMNS)
                     + f" | {labelled_real(study, v)} |")
    lines += ["", "Labelled real: the perceptual study's fool rate (share of trials in which the colourized photo "
              "was taken for the real one; 50 % is indistinguishable), with a 95 % bootstrap interval over both "
              f"participants and images. Zhang et al.: 32.3 % (full), 13.0 % (random); the KTH reproduction: "
              f"{KTH_FOOL_RATE} % (ours, 10 participants)."]
    lines += ["", "## The paper's findings, by paired bootstrap intervals", "",
              "The same image resamples for both variants; a finding holds when the 95 % interval of the "
              "difference excludes 0.", "", "| finding | difference | 95 % interval | holds |", "|---|---|---|---|"]
    for label, diff, (lo, hi), holds in finding_rows(metrics, ci):
        verdict = "yes" if holds else "no"
        lines.append(f"| {label} | {100 * diff:+.1f} | [{100 * lo:+.1f}, {100 * hi:+.1f}] | {verdict} |")
    lines += ["", "## Beyond the paper: colourfulness, ΔCF, PSNR, SSIM", "",
              "Colourfulness: Hasler & Süsstrunk (2003), signed opponent channels rg = R − G, "
              "yb = (R + G)/2 − B, M = σ + 0.3 μ on RGB uint8 (0–255), mean over images; ΔCF = |CF − CF of the "
              "ground truth|. PSNR and SSIM (scikit-image, 7×7 window) on RGB uint8 at the evaluation "
              "resolution with data range 255, mean over images; an image identical to its ground truth counts "
              "as 58.9 dB (rounding noise), the ground truth itself as ∞.", "",
              "| method | " + " | ".join(t for _, t in MODERN_COLUMNS) + " |", "|---" * (len(MODERN_COLUMNS) + 1) + "|"]
    for v in PIPELINE:
        lines.append(f"| {LABELS[v]} | " + " | ".join(
            _cell(metrics, ci, v, k, 1.0, 3 if k == "ssim" else 1) for k, _ in MODERN_COLUMNS) + " |")
    lines += ["", "## How the rebalanced AuC is defined", "",
              "As Zhang et al. define it: each pixel weighs 1/p(q), q the bin nearest its ground-truth ab and p the "
              "colour prior of the training data (data/prior.csv: the train split's empirical prior smoothed with "
              f"σ = {params['prior']['sigma']}, or the prior given in prior.file). A prior from a few thousand "
              f"photos is 0 or nearly 0 in bins it barely saw, so p is floored at 1/({cap:g}·Q) = "
              f"{REBALANCE_FLOOR:.2g} (a bin weighs at most {cap:g}× a bin of uniform probability); where p is "
              "above the floor the weights are exactly Zhang's. "
              f"Bins of this prior below the floor: {rebal['bins_below_floor']} of {Q}. Largest share of the total "
              f"weight carried by one val image: {100 * rebal['max_image_share']:.2f} % (without the floor: "
              f"{100 * rebal['max_image_share_unfloored']:.2f} %; equal per bin: "
              f"{100 * rebal['max_image_share_equal_bin']:.2f} %).", "",
              "AuC rebalanced (equal per bin) weighs every ground-truth bin occupied in the evaluated set equally "
              "(the inverse prior of the evaluated ground truth): steadier, but not Zhang's definition.", ""]
    lines += ["## Published", "", "KTH reproduction, Table 2 (ImageNet val, 1000 images of 20 synsets; VGG-16 "
              "pretrained on ImageNet, top-5 over 1000 classes):", "",
              "| method | AuC | AuC rebalanced | top-5 |", "|---|---|---|---|"]
    published = {**LABELS, "ours": "KTH reproduction"}
    lines += [f"| {published[v]} | {a} | {r} | {t} |" for v, (a, r, t) in KTH_TABLE2.items()]
    lines += ["", "Zhang et al., Table 1 (ImageNet val, 10,000 images; VGG-16 top-1 over 1000 classes):", "",
              "| method | AuC | AuC rebalanced | top-1 | labelled real (AMT) |", "|---|---|---|---|---|"]
    lines += [f"| {LABELS[v]} | {a} | {r} | {t} | {'–' if s is None else s} |"
              for v, (a, r, t, s) in ZHANG_TABLE1.items()]
    d, t = params["data"], params["train"]
    lines += ["", "Key params of this run: "
              f"source {d['source']}, {d['size']} px, width {params['model']['width']}, {t['loss']} loss, "
              f"{t['iterations']} iterations of batch {t['batch_size']} (crop {t['crop']}, lr {t['lr']}, "
              f"{t['lr_schedule']} schedule), lambda {params['prior']['lam']}, T {params['colorize']['T']}, "
              f"classifier {kind}.", ""]
    return "\n".join(lines)


def _findings_text(m, ci):
    out = []
    if "skipped" in m.get("ours", {"skipped": 1}):
        return out
    o, g = m["ours"], m["grey"]
    rows = {label: (diff, iv, holds) for label, diff, iv, holds in finding_rows(m, ci)}
    if "rebalanced AuC: ours > greyscale" in rows:
        _, (lo, hi), holds = rows["rebalanced AuC: ours > greyscale"]
        out.append(f"- Rebalanced AuC: ours {_pct(o['auc_rebal'])} vs greyscale {_pct(g['auc_rebal'])} "
                   f"(paired 95 % interval of the difference [{100 * lo:+.1f}, {100 * hi:+.1f}]): "
                   + ("higher, as the paper finds." if holds else "not higher by this interval, unlike the paper."))
    raw_up = o["auc"] > g["auc"]
    out.append(f"- Raw AuC: ours {_pct(o['auc'])} vs greyscale {_pct(g['auc'])}. " + (
        "Ours is higher even without rebalancing." if raw_up else
        "Greyscale scores higher: raw AuC rewards desaturated predictions (most pixels are nearly grey), "
        "which is why the paper rebalances."))
    if "top-1: ours > greyscale" in rows:
        _, (lo, hi), holds = rows["top-1: ours > greyscale"]
        out.append(f"- Top-1 accuracy: ground truth {_pct(m['gt']['top1'])}, ours {_pct(o['top1'])}, greyscale "
                   f"{_pct(g['top1'])}, random {_pct(m['random']['top1'])} (ours − greyscale "
                   f"[{100 * lo:+.1f}, {100 * hi:+.1f}]): colourization "
                   + ("helps the classifier, as the paper finds." if holds else "does not help by this interval."))
    if "ground truth best: top-1 ground truth > ours" in rows:
        _, (lo, hi), holds = rows["ground truth best: top-1 ground truth > ours"]
        out.append(f"- Ground truth best: top-1 ground truth − ours [{100 * lo:+.1f}, {100 * hi:+.1f}]"
                   + (" (holds)." if holds else " (does not hold by this interval)."))
    return out


def report(metrics, ci, params, table2_text, chroma, n_skipped, figures, study_summary) -> str:
    """reports/README.md: the findings in words, the chroma check, Table 2, every figure that
    exists (``figures``: their file names) and the study's fool rate."""
    lines = ["# Report: Colorful Image Colorization, reproduced", "",
             f"Generated by `dvc repro` (data source `{params['data']['source']}`). "
             "Numbers: [table2.md](table2.md); intervals: [metrics_ci.json](metrics_ci.json).", "",
             "## Findings", "", *_findings_text(metrics, ci), "",
             "Every interval here is a bootstrap over val images: it covers the choice of val images, not "
             "another training seed or another machine. `make seeds` measures the spread over training seeds "
             "(reports/seeds.md); `make verify` checks this run against the committed reference's.", ""]
    mc = chroma["mean_chroma"]
    if "ours" in mc:
        lines += [f"Mean chroma (|ab|) on desaturated ground-truth pixels (chroma ≤ {chroma['vivid_threshold']:g}, "
                  f"mostly background): ours {mc['ours']['dull']:.1f}, ground truth {mc['gt']['dull']:.1f}; on vivid "
                  f"ones: ours {mc['ours']['vivid']:.1f}, ground truth {mc['gt']['vivid']:.1f}. Ours above the truth "
                  "on desaturated pixels is a colour cast or tinted background; far below it on vivid pixels is a "
                  "washed-out object.", ""]
    lines += [table2_text.replace("# Table 2", "## Table 2", 1), "", "## Figures", ""]
    for name, caption in FIGURES:
        if name in figures:
            lines += [f"### {name}", "", caption, "", f"![{name}](figures/{name})", ""]
    lines += ["## Perceptual study", "", f"Fool rate: {study_summary}. The KTH reproduction: {KTH_FOOL_RATE} % "
              "(50 images, 10 participants, 1 s).", ""]
    lines += ["## Data", "", f"{n_skipped} input images were unreadable and skipped ([skipped.csv](skipped.csv)).",
              "Per-synset top-5: [per_synset_top5.csv](per_synset_top5.csv); amplified confusions: "
              "[amplified_confusions.csv](amplified_confusions.csv); per image: [per_image.csv](per_image.csv).", ""]
    return "\n".join(lines)


def ablation_table(metrics, ci, settings: str) -> str:
    """Zhang et al.'s Table 1 (the loss ablation) on this run's data beside the published one;
    ``metrics``/``ci`` per variant hold the keys of ABLATION_COLUMNS, ``settings`` says how
    the variants were trained and scored."""
    lines = ["# Table 1 (Zhang et al.), the loss ablation, on this run's data", "",
             "The same network and training settings; only the loss differs. Percent except colourfulness "
             "(Hasler & Süsstrunk, RGB 0–255); bootstrap 95 % interval over val images in brackets (one training "
             "run each: the interval does not cover another training seed).", "",
             "| method | " + " | ".join(t for _, t, *_ in ABLATION_COLUMNS) + " |",
             "|---" * (len(ABLATION_COLUMNS) + 1) + "|"]
    for v in ("gt", "grey", *ABLATION):
        cells = [with_interval(metrics[v][k], ci[v][k], scale, digits) for k, _, scale, digits in ABLATION_COLUMNS]
        lines.append(f"| {ABLATION_LABELS[v]} | " + " | ".join(cells) + " |")
    lines += ["", "Zhang et al., Table 1 (ImageNet val, VGG-16 top-1; AuC in %):", "",
              "| method | AuC | AuC rebalanced | top-1 |", "|---|---|---|---|"]
    rows = {"gt": ZHANG_TABLE1["gt"][:3], "grey": ZHANG_TABLE1["grey"][:3], **ZHANG_TABLE1_ABLATION}
    lines += [f"| {ABLATION_LABELS[v]} | {a} | {r} | {t} |" for v, (a, r, t) in rows.items()]
    return "\n".join(lines + ["", f"Settings: {settings}.", ""])
