"""Did this run reproduce the reference? Each headline metric of a run's metrics.json against
the committed reference run and its seed study.

A metric of ours (it depends on the trained colourizer) is within when it lies in the
reference's seed spread [min, max] over training seeds, widened on each side by the half-width
of the reference run's bootstrap interval (the val-image noise that the seeds share). A metric
of the ground truth, greyscale or random colourization does not depend on the colourizer; it
is within when it lies in the reference's bootstrap interval widened by its own width on each
side, as the data and the classifier trained here may round differently on another machine.
"""

import math

HEADLINE = {
    "ours": ("auc", "auc_rebal", "auc_rebal_eq", "top1", "top5", "colorfulness", "psnr", "ssim"),
    "gt": ("top1", "top5"),
    "grey": ("auc", "auc_rebal", "top1", "top5"),
    "random": ("auc", "auc_rebal", "top1", "top5"),
}


def band(variant, metric, ref_metrics, ref_ci, seeds) -> tuple:
    """(low, high, what the band covers) for one metric, or None when the reference lacks it."""
    value = ref_metrics.get(variant, {}).get(metric)
    lo, hi = ref_ci.get(variant, {}).get(metric, (math.nan, math.nan))
    if value is None or not all(map(math.isfinite, (lo, hi))):
        return None
    half = (hi - lo) / 2
    spread = (seeds or {}).get("metrics", {}).get(f"{variant}.{metric}")
    if spread:
        return spread["min"] - half, spread["max"] + half, f"{seeds['n_seeds']} seeds ± val images"
    width = hi - lo
    return lo - width, hi + width, "val images, widened"


def verify(run_metrics: dict, ref_metrics: dict, ref_ci: dict, seeds: dict | None) -> list:
    """One row per headline metric: (name, this run, reference, low, high, covers, within)."""
    rows = []
    for variant, metrics in HEADLINE.items():
        for metric in metrics:
            b = band(variant, metric, ref_metrics, ref_ci, seeds)
            value = run_metrics.get(variant, {}).get(metric)
            if b is None or value is None:
                continue
            lo, hi, covers = b
            rows.append((f"{variant}.{metric}", value, ref_metrics[variant][metric], lo, hi, covers,
                         lo <= value <= hi))
    return rows


def table(rows) -> str:
    def num(name, x):
        return f"{x:.4f}" if name.endswith(("auc", "auc_rebal", "auc_rebal_eq", "top1", "top5", "ssim")) else f"{x:.2f}"

    head = f"{'metric':<22} {'this run':>9} {'reference':>9}   {'band':<19} {'covers':<25} verdict"
    lines = [head, "-" * len(head)]
    for name, value, ref, lo, hi, covers, ok in rows:
        lines.append(f"{name:<22} {num(name, value):>9} {num(name, ref):>9}   [{num(name, lo)}, {num(name, hi)}]"
                     .ljust(64) + f" {covers:<25} {'within' if ok else 'OUTSIDE'}")
    return "\n".join(lines)


def git_show(rev: str, path: str) -> str:
    """A file as committed at ``rev`` (run from the repository's root)."""
    import subprocess

    proc = subprocess.run(["git", "show", f"{rev}:{path}"], capture_output=True, text=True)
    if proc.returncode != 0:
        raise FileNotFoundError(f"{path} at {rev}: {proc.stderr.strip() or 'not in git'}")
    return proc.stdout


def verify_command(args) -> int:
    """`python -m colorization verify`: the table on stdout; 0 when every metric is within."""
    import json
    from pathlib import Path

    try:
        run = json.loads(Path(args.metrics).read_text())
        ref = json.loads(git_show(args.reference, "reports/metrics.json"))
        ref_ci = json.loads(git_show(args.reference, "reports/metrics_ci.json"))
    except (FileNotFoundError, json.JSONDecodeError) as e:
        raise SystemExit(f"verify: {e}") from None
    try:
        seeds = json.loads(git_show(args.reference, args.seeds))
    except FileNotFoundError:
        seeds = None
        print(f"note: no seed study at {args.reference}:{args.seeds}; ours is judged by the widened val-image "
              "interval too")
    rows = verify(run, ref, ref_ci, seeds)
    print(f"{args.metrics} against the reference run ({args.reference}:reports/metrics.json, seed study "
          f"{args.seeds if seeds else 'absent'}):\n")
    print(table(rows))
    outside = [r[0] for r in rows if not r[-1]]
    print()
    if outside:
        print(f"{len(outside)} of {len(rows)} metrics outside the reference's band: {', '.join(outside)}")
        return 1
    print(f"all {len(rows)} metrics within the reference's band: this run reproduces it")
    return 0
