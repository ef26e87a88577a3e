"""The seed study's statistics: how much each metric and finding moves from one training
seed to the next (the data, the val selection and the classifier fixed). A single run's
bootstrap interval covers the choice of val images; this covers the training run."""

import math

import numpy as np

from .report import METRIC_NAMES
from .variants import FINDINGS

METRICS = ("auc", "auc_rebal", "auc_rebal_eq", "top1", "top5", "colorfulness", "delta_cf", "psnr", "ssim")
# (scale, digits) for tables: fractions as percent, the rest as they are
SCALES = {"colorfulness": (1, 1), "delta_cf": (1, 1), "psnr": (1, 2), "ssim": (1, 3)}


def finding_key(pair: str, metric: str) -> str:
    """"ours_minus_grey.top1": a finding's name in seeds.json (the pair and metric of its difference)."""
    return f"{pair}.{metric}"


def spread(values) -> dict:
    """mean, sd (n - 1), min and max of one number over the seeds."""
    v = np.asarray(values, dtype=np.float64)
    return {"mean": float(v.mean()), "sd": float(v.std(ddof=1)) if len(v) > 1 else math.nan,
            "min": float(v.min()), "max": float(v.max())}


def summarise_seeds(runs: list) -> dict:
    """reports/seeds.json from the per-seed runs ({"seed", "ours": metrics, "findings": {key:
    {"difference", "interval"}}}): the spread of every metric of ours, and each finding held
    (its paired 95 % interval above 0) in k of N seeds."""
    n = len(runs)
    out = {"n_seeds": n, "main_seed": next((r["seed"] for r in runs if r.get("main_run")), runs[0]["seed"]),
           "metrics": {f"ours.{k}": spread([r["ours"][k] for r in runs]) for k in METRICS if k in runs[0]["ours"]},
           "findings": {}}
    for key in runs[0]["findings"]:
        diffs = [r["findings"][key]["difference"] for r in runs]
        held = sum(r["findings"][key]["interval"][0] > 0 for r in runs)
        out["findings"][key] = {"holds": held, "of": n, "difference": {k: v for k, v in spread(diffs).items()
                                                                       if k != "sd"}}
    return out


def _fmt(metric, value, signed=False):
    scale, digits = SCALES.get(metric, (100, 1))
    return f"{scale * value:{'+' if signed else ''}.{digits}f}"


def seed_table(summary: dict, runs: list, source: str, iterations: int) -> str:
    """reports/seeds.md: every metric of ours over the seeds, and each finding held in k of N."""
    main = next((r for r in runs if r.get("main_run")), runs[0])
    n = summary["n_seeds"]
    lines = ["# The seed study: how much another training run moves the numbers", "",
             f"{n} training seeds ({', '.join(str(r['seed']) for r in runs)}; seed {main['seed']} is the main run) "
             f"of the colourizer on the `{source}` data, {iterations} iterations each; the data, the val selection, "
             "the classifier and the bootstrap resamples are the same for every seed. Percent except colourfulness, "
             "ΔCF, PSNR (dB) and SSIM. The spread covers training seeds on this machine; a single run's bootstrap "
             "interval covers the choice of val images instead.", "",
             "| metric (ours) | main run | mean ± sd | min | max |", "|---|---|---|---|---|"]
    for name, s in summary["metrics"].items():
        metric = name.split(".", 1)[1]
        lines.append(f"| {METRIC_NAMES.get(metric, metric)} | {_fmt(metric, main['ours'][metric])} | "
                     f"{_fmt(metric, s['mean'])} ± {_fmt(metric, s['sd'])} | {_fmt(metric, s['min'])} | "
                     f"{_fmt(metric, s['max'])} |")
    lines += ["", "## The findings over seeds", "",
              "A finding holds in a seed when that run's paired 95 % interval (the same image resamples for both "
              "variants) excludes 0.", "",
              "| finding | held in | difference: mean [min, max] over seeds | main run: difference [95 % interval] |",
              "|---|---|---|---|"]
    for label, pair, metric in FINDINGS:
        key = finding_key(pair, metric)
        if key not in summary["findings"]:
            continue
        f, m = summary["findings"][key], main["findings"][key]
        d, (lo, hi) = f["difference"], m["interval"]
        lines.append(f"| {label} | {f['holds']} of {f['of']} | {_fmt(metric, d['mean'], True)} "
                     f"[{_fmt(metric, d['min'], True)}, {_fmt(metric, d['max'], True)}] | "
                     f"{_fmt(metric, m['difference'], True)} [{_fmt(metric, lo, True)}, {_fmt(metric, hi, True)}] |")
    failing = [label for label, pair, metric in FINDINGS if finding_key(pair, metric) in summary["findings"]
               and summary["findings"][finding_key(pair, metric)]["holds"] < n]
    lines += ["", ("Every finding held in every seed." if not failing else
                   "Not in every seed: " + "; ".join(failing) + ". A finding that fails in some seeds depends on "
                   "the training run as much as on the method."), ""]
    return "\n".join(lines)
