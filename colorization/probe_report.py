"""The probe's report: Table 4 style (one row per initialisation, one column per layer), the
paired differences, the paper's rows beside, and the findings in words, generated from the
paired intervals."""

from .probe import LAYERS
from .published import ZHANG_PASCAL_CLASSIFICATION, ZHANG_PROBE, ZHANG_PROBE_LAYERS

PAIRS = (("colorization", "random"), ("supervised", "random"), ("supervised", "colorization"))
NAMES = {"colorization": "colourization (ours)", "random": "random (rescaled on data)",
         "random_default": "random (default initialisation, no rescaling)", "supervised": "labels (supervised)"}
PROBE_ROWS = ("supervised", "random", "random_default", "colorization")
FINETUNE_STARTS = ("colorization", "random", "supervised")
FINETUNE_PAIRS = (("colorization", "random"), ("supervised", "colorization"))


def _layers(names):
    if not names:
        return "no layer"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def probe_findings(top1: dict, ci: dict) -> list:
    """Sentences on the paper's shape, each decided by a paired 95 % interval."""
    col, sup = ci["colorization_minus_random"], ci["supervised_minus_colorization"]
    above = [layer for layer in LAYERS if col[layer][0] > 0]
    below = [layer for layer in LAYERS if col[layer][1] < 0]
    labels_over = [layer for layer in LAYERS if sup[layer][0] > 0]
    col_over = [layer for layer in LAYERS if sup[layer][1] < 0]
    best = {init: max(LAYERS, key=lambda layer: by[layer]) for init, by in top1.items()}
    sup_best, col_best = best["supervised"], best["colorization"]
    lo, hi = ci["supervised_minus_random"][sup_best]
    out = [f"Colourization features beat random ones at {_layers(above)} (of {len(LAYERS)})"
           + (f", and fall below them at {_layers(below)}." if below else "."),
           f"Labels beat colourization at {_layers(labels_over)}"
           + (f"; colourization beats labels at {_layers(col_over)}." if col_over else "."),
           f"Colourization features peak at {col_best} ({100 * top1['colorization'][col_best]:.1f} %), supervised "
           f"ones at {sup_best} ({100 * top1['supervised'][sup_best]:.1f} %).",
           f"The probe is competent: supervised beats random at its best layer by [{100 * lo:+.1f}, "
           f"{100 * hi:+.1f}] points." if lo > 0 else
           f"The probe is not competent here: supervised does not beat random at its best layer ([{100 * lo:+.1f}, "
           f"{100 * hi:+.1f}])."]
    return out


def probe_table(top1, intervals, ci, findings, n_classes, n_train, n_val, params) -> str:
    t = params["train"]
    lines = ["# Colourization as self-supervised feature learning (Zhang et al. section 3.3)", "",
             f"Top-1 (%) of a linear probe (batch norm without affine parameters, one linear layer, SGD with "
             f"momentum, {params['probe']['epochs']} epochs on a step schedule) on each block's frozen output, "
             f"average-pooled to about {params['probe']['dims']} values; fitted on the {n_train} train images, "
             f"scored on the {n_val} val images, {n_classes} classes (chance {100 / n_classes:.1f} %). The "
             f"bodies: trained to colourize (the main run); random with seed {t['seed']}, rescaled layer by layer "
             f"to unit variance on {params['probe']['rescale_images']} train images (Krähenbühl et al.'s "
             "data-dependent initialisation), and the same without rescaling; and trained with labels "
             f"for the same {t['iterations']} iterations of batch {t['batch_size']}. Bootstrap 95 % intervals over "
             "val images (one training run of each body: they do not cover another training seed).", "",
             "| initialisation | " + " | ".join(LAYERS) + " |", "|---" * (len(LAYERS) + 1) + "|"]
    lines += _rows(top1, intervals, [r for r in PROBE_ROWS if r in top1], LAYERS)
    lines += ["", "Paired differences (points; the same val resamples for both):", "",
              "| difference | " + " | ".join(LAYERS) + " |", "|---" * (len(LAYERS) + 1) + "|"]
    lines += _difference_rows(top1, ci, PAIRS, LAYERS)
    lines += ["", "## Findings", "", *[f"- {f}" for f in findings], "",
              "## Published: Zhang et al. (AlexNet on ImageNet-1k, 1000 classes)", "",
              "Top-1 (%) with the released protocol, read from the split-brain paper's plot (approximate); "
              "AlexNet's conv1..conv5, not the ECCV16 body's blocks, and 1000 classes: compare the shape across "
              "layers, not the level. The paper's shape: colourization above random from conv2 on, peaking in the "
              "middle (conv4), well below labels.", "",
              "| initialisation | " + " | ".join(ZHANG_PROBE_LAYERS) + " |",
              "|---" * (len(ZHANG_PROBE_LAYERS) + 1) + "|"]
    for init in ("supervised", "random", "colorization"):  # Zhang's random row is a Gaussian, not rescaled
        name = _short(init) if init != "random" else "random (Gaussian)"
        lines.append(f"| {name} | " + " | ".join(f"{v:.1f}" for v in ZHANG_PROBE[init]) + " |")
    return "\n".join(lines) + "\n"


def _rows(top1, intervals, inits, keys) -> list:
    """One table row per initialisation: top-1 (%) and its interval under each of ``keys``."""
    return [f"| {NAMES[i]} | " + " | ".join(f"{100 * top1[i][k]:.1f} [{100 * intervals[i][k][0]:.1f}, "
                                             f"{100 * intervals[i][k][1]:.1f}]" for k in keys) + " |" for i in inits]


def _difference_rows(top1, ci, pairs, keys) -> list:
    """One row per pair a − b: the difference (points) and its paired interval under each key."""
    rows = []
    for a, b in pairs:
        d = ci[f"{a}_minus_{b}"]
        cells = [f"{100 * (top1[a][k] - top1[b][k]):+.1f} [{100 * d[k][0]:+.1f}, {100 * d[k][1]:+.1f}]" for k in keys]
        rows.append(f"| {_short(a)} − {_short(b)} | " + " | ".join(cells) + " |")
    return rows


def _short(init: str) -> str:
    """"colourization", "random", "labels": an initialisation's name in prose and row labels."""
    return NAMES[init].split(" (")[0]


def _fraction(key: str) -> str:
    return f"{100 * float(key):g} %"


def finetune_findings(top1: dict, ci: dict) -> list:
    """Per label fraction, whether colourization pretraining helps over the rescaled random
    start (the paired 95 % interval of the difference excludes 0), and the ceiling's gap."""
    col = ci["colorization_minus_random"]
    helps = [k for k in col if col[k][0] > 0]
    hurts = [k for k in col if col[k][1] < 0]
    out = []
    for k, (lo, hi) in col.items():
        d = 100 * (top1["colorization"][k] - top1["random"][k])
        verdict = ("helps" if lo > 0 else "hurts" if hi < 0 else "makes no measurable difference")
        out.append(f"With {_fraction(k)} of the labels, colourization pretraining {verdict} against the rescaled "
                   f"random start: {d:+.1f} points [{100 * lo:+.1f}, {100 * hi:+.1f}].")
    if helps:
        gain = {k: top1["colorization"][k] - top1["random"][k] for k in helps}
        most = max(gain, key=gain.get)
        out.append(f"It helps most with {_fraction(most)} of the labels ({100 * gain[most]:+.1f} points)"
                   + (f", and not at {', '.join(_fraction(k) for k in col if k not in helps)}." if len(helps) < len(col)
                      else "."))
    else:
        out.append("Colourization pretraining helps at no label fraction here.")
    if hurts:
        out.append(f"It is worse than the random start at {', '.join(_fraction(k) for k in hurts)}.")
    sup = ci["supervised_minus_colorization"]
    above = [k for k in sup if sup[k][0] > 0]
    out.append(f"Starting from the body trained with labels beats colourization at {len(above)} of {len(sup)} "
               "fractions" + (f" ({', '.join(_fraction(k) for k in above)})." if above else "."))
    return out


def finetune_table(top1, intervals, ci, findings, n_labelled, n_classes, n_val, params) -> str:
    f = params["finetune"]
    keys = list(n_labelled)
    lines = ["# Fine-tuning every layer with few labels (label efficiency)", "",
             f"Top-1 (%) on the {n_val} val images ({n_classes} classes, chance {100 / n_classes:.1f} %) after "
             f"training with the labels of a class-balanced, seeded share of the train split (the same images for "
             f"every start): first a new head (the probe's: pooled last block, batch norm, linear) fitted as a linear "
             f"probe on the frozen body's features ({f['head_epochs']} epochs at lr {f['head_lr']}), then "
             f"{f['iterations']} SGD steps of every layer at "
             f"lr {f['lr']}, batch {f['batch_size']}, cosine decay, random crops of {f['crop']} px and flips; the "
             "schedule was chosen on a held-out part of the train split, before any val image was scored, and is "
             "the same for every start and share. Bootstrap 95 % intervals "
             "over val images (one fine-tuning run each: they do not cover another seed).", "",
             "| start | " + " | ".join(f"{_fraction(k)} ({n_labelled[k]} images)" for k in keys) + " |",
             "|---" * (len(keys) + 1) + "|"]
    lines += _rows(top1, intervals, FINETUNE_STARTS, keys)
    lines += ["", "Paired differences (points; the same val resamples for both):", "",
              "| difference | " + " | ".join(_fraction(k) for k in keys) + " |", "|---" * (len(keys) + 1) + "|"]
    lines += _difference_rows(top1, ci, FINETUNE_PAIRS, keys)
    lines += ["", "## Findings", "", *[f"- {x}" for x in findings], "",
              "## Published: Zhang et al. Table 4, right-hand side", "",
              "PASCAL VOC 2007 classification (%mAP), every layer of an AlexNet fine-tuned on all of VOC's labels: "
              "another task, network and data than the table above, for the direction of the comparison only.", "",
              "| start | %mAP |", "|---|---|"]
    lines += [f"| {'random (Gaussian)' if init == 'random' else _short(init)} | {ZHANG_PASCAL_CLASSIFICATION[init]} |"
              for init in ("supervised", "random", "colorization")]
    return "\n".join(lines) + "\n"
