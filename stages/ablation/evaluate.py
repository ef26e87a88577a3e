"""Stage `evaluate` of ablation/dvc.yaml: the three loss variants of Zhang et al.'s Table 1
colourize the main run's val selection and are scored by its classifier, with bootstrap
intervals: reports/ablation.{md,json}, reports/figures/ablation.png."""

from pathlib import Path

import numpy as np

from colorization import figures as F
from colorization.devices import pick_device
from colorization.evaluation import evaluate_variants, evaluation_set
from colorization.inference import colorize_set, load_colorizer
from colorization.report import ABLATION_COLUMNS, ablation_table
from colorization.variants import ABLATION, ABLATION_LABELS
from stages.common import atomic_path, load_params, run, say, write_json
from stages.params import colorize, evaluate as evaluate_rules, runtime

MODELS, REP = Path("models/ablation"), Path("reports")
N_FIGURE = 6


def main():
    p = load_params(colorize, evaluate_rules, runtime)
    device = pick_device(p["runtime"]["device"])
    e, T = p["evaluate"], p["colorize"]["T"]
    ev = evaluation_set(e["classifier"], e["bootstrap"], e["seed"], device, evaluate_rules.vgg16_weights(e))
    variants = ev.variants(**{v: colorize_set(load_colorizer(MODELS / v / "model.pt", device), ev.gt, T, device,
                                              desc=f"ablation {v}") for v in ABLATION})
    _, point, ci = evaluate_variants(variants, ev.prior, ev.scores_of, ev.labels, ev.resamples, {})
    metrics = {v: {k: point[v][k] for k, *_ in ABLATION_COLUMNS} for v in variants}
    intervals = {v: {k: ci[v][k] for k, *_ in ABLATION_COLUMNS} for v in variants}
    for v, m in metrics.items():
        say(f"ablation: {v:5s} " + "  ".join(f"{k} {x:.3f}" for k, x in m.items()))
    write_json(REP / "ablation.json", {"ablation": metrics})  # its own key: names unique across metrics files
    write_json(REP / "ablation_ci.json", {"ablation": intervals})
    t = p["train"]
    settings = (f"{t['iterations']} iterations of batch {t['batch_size']}, width {p['model']['width']}, lr {t['lr']} "
                f"({t['lr_schedule']}), T {T}, classifier {e['classifier']}")
    with atomic_path(REP / "ablation.md") as tmp:
        tmp.write_text(ablation_table(metrics, intervals, settings))
    idx = np.linspace(0, len(ev.gt) - 1, min(N_FIGURE, len(ev.gt))).astype(int)
    rows = {ABLATION_LABELS[v]: [variants[v][i] for i in idx] for v in ("grey", *ABLATION, "gt")}
    F.save_png(F.examples(rows, [f"val {i}" for i in idx]), REP / "figures" / "ablation.png")


if __name__ == "__main__":
    run(main)
