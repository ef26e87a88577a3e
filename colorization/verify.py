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


PERCENT = ("auc", "auc_rebal", "auc_rebal_eq", "top1", "top5")  # fractions, shown in percent as every report does
RANGE = {**{m: (0.0, 1.0) for m in PERCENT}, "ssim": (-1.0, 1.0), "colorfulness": (0.0, math.inf),
         "psnr": (0.0, math.inf)}


def band(variant, metric, ref_metrics, ref_ci, seeds) -> tuple:
    """(low, high, what the band covers), clipped to the values the metric can take (a top-1
    band never reaches past 100 %), or None when the reference lacks the metric."""
    b = _band(variant, metric, ref_metrics, ref_ci, seeds)
    if b is None:
        return None
    floor, ceiling = RANGE.get(metric, (-math.inf, math.inf))
    return max(b[0], floor), min(b[1], ceiling), b[2]


def _band(variant, metric, ref_metrics, ref_ci, seeds) -> tuple:
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
        metric = name.split(".", 1)[1]
        if metric in PERCENT:
            return f"{100 * x:.2f}"
        return f"{x:.4f}" if metric == "ssim" else f"{x:.2f}"

    head = f"{'metric':<22} {'this run':>9} {'reference':>9}   {'band':<19} {'covers':<25} verdict"
    lines = ["AuC and top-k in percent, SSIM in [-1, 1], colourfulness and PSNR on their own scales.", "", head,
             "-" * len(head)]
    for name, value, ref, lo, hi, covers, ok in rows:
        lines.append(f"{name:<22} {num(name, value):>9} {num(name, ref):>9}   [{num(name, lo)}, {num(name, hi)}]"
                     .ljust(64) + f" {covers:<25} {'within' if ok else 'OUTSIDE'}")
    return "\n".join(lines)


def verify_command(args) -> int:
    """`python -m colorization verify`: the artefacts' bytes against dvc.lock, the environment
    beside the reference's, the stage walk, then the metric table; 0 only when all pass.
    With ``--environment``: only the replays that need no pipeline output."""
    import json
    from pathlib import Path

    import yaml

    from . import integrity, provenance, reference, stagewalk

    params = yaml.safe_load(Path(args.params).read_text())
    folder = Path(args.reference_dir) if args.reference_dir else reference.reference_dir(params)
    try:
        ref_sig, ref = reference.load_reference(folder)
    except FileNotFoundError as e:
        raise SystemExit(f"verify: no committed reference at {folder} ({e.filename}); `make reference` writes one "
                         "from a finished run") from None
    env_file = Path("reports/environment.json")
    run_env = json.loads(env_file.read_text()) if env_file.is_file() and not args.environment else \
        provenance.environment()
    print(f"Environment (reference {folder}, this {'run' if env_file.is_file() else 'machine'}):\n")
    print(provenance.table(provenance.compare(ref_sig["environment"], run_env)) + "\n")
    checks = stagewalk.params_checks(params, ref_sig["params"])
    if args.environment:
        checks += reference.environment_walk(ref_sig, ref, params)
        return _conclude(checks, [], "this environment can reproduce the reference")
    bad = integrity.check(reference.artefacts(), "dvc.lock")
    if bad:
        for path, want, got in bad:
            print(f"verify: {path} is not the bytes dvc.lock records ({want[:12]} recorded, "
                  f"{got[:12] if got else 'missing'} on disk): {integrity.recovery(path)}")
        print("\nverify: nothing compared; a run whose artefacts changed after it ended proves nothing")
        return 1
    print(f"Artefacts: {len(reference.artefacts())} read, each the bytes dvc.lock records.\n")
    checks += reference.environment_walk(ref_sig, ref, params)
    checks += reference.stage_walk(ref_sig, ref, params)
    seeds_path = folder.parent / "seeds.json"
    seeds = json.loads(seeds_path.read_text()) if seeds_path.is_file() else None
    rows = verify(json.loads(Path(args.metrics).read_text()), ref_sig["metrics"], ref_sig["metrics_ci"], seeds)
    return _conclude(checks, rows, "this run reproduces the reference")


def _conclude(checks, rows, success) -> int:
    from .stagewalk import first_divergence
    from .stagewalk import table as walk_table

    print("Stage walk, in pipeline order:\n")
    print(walk_table(checks) + "\n")
    if rows:
        print("Headline metrics against the reference's seed spread:\n")
        print(table(rows) + "\n")
    first = first_divergence(checks)
    outside = [r[0] for r in rows if not r[-1]]
    if first:
        n = sum(c.verdict == "DIVERGES" for c in checks)
        print(f"DIVERGES: first at stage '{first}' ({n} check(s) diverge in all)"
              + (f"; {len(outside)} metric(s) outside their band: {', '.join(outside)}" if outside else ""))
        return 1
    if outside:
        print(f"every stage within tolerance, but {len(outside)} of {len(rows)} metrics outside the reference's "
              f"band: {', '.join(outside)}")
        return 1
    print(f"every stage within tolerance{f' and all {len(rows)} metrics within their band' if rows else ''}: "
          f"{success}")
    return 0
