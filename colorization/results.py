"""What `make repro` prints last: Table 2 as a person reads it (one row per variant, AuC and
accuracy in percent), the paper's findings with their paired intervals, and, when the tracked
outputs no longer match the committed reference run, what that means and what to do.

    python -m colorization results [--metrics reports/metrics.json]
"""

import json
import subprocess
import textwrap
from pathlib import Path

from .report import finding_rows
from .variants import LABELS, PIPELINE

# (key, heading, scale): AuC and accuracy in percent as in every report, the rest on their own scale
COLUMNS = [("auc", "AuC", 100), ("auc_rebal", "AuC rebal.", 100), ("top1", "top-1", 100), ("top5", "top-5", 100),
           ("colorfulness", "colourful.", 1), ("delta_cf", "ΔCF", 1), ("psnr", "PSNR dB", 1), ("ssim", "SSIM", 1)]
TRACKED_OUTPUTS = ("dvc.lock", "reports", "dvclive")


def table(metrics: dict) -> str:
    width = max(len(LABELS[v]) for v in PIPELINE)
    lines = [f"{'variant':<{width}}  " + "  ".join(f"{h:>10}" for _, h, _ in COLUMNS)]
    for v in PIPELINE:
        m = metrics.get(v, {})
        if "skipped" in m:
            lines.append(f"{LABELS[v]:<{width}}  skipped: {m['skipped']}")
            continue
        cells = []
        for key, _, scale in COLUMNS:
            x, digits = m.get(key), 3 if key == "ssim" else 1
            cells.append(f"{'–' if x is None else f'{scale * x:.{digits}f}':>10}")
        lines.append(f"{LABELS[v]:<{width}}  " + "  ".join(cells))
    return "\n".join(lines)


def findings(metrics: dict, ci: dict) -> list:
    return [f"{'holds' if holds else 'not shown':>9}: {label}: {100 * d:+.1f} points [{100 * lo:+.1f}, {100 * hi:+.1f}]"
            for label, d, (lo, hi), holds in finding_rows(metrics, ci)]


def changed_tracked_outputs(root=".") -> list:
    """Tracked output files this run changed (empty outside a git checkout)."""
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", *TRACKED_OUTPUTS],
                             cwd=root, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line[3:] for line in out.stdout.splitlines()] if out.returncode == 0 else []


def results_command(args) -> int:
    metrics = json.loads(Path(args.metrics).read_text())
    ci_path = Path(args.metrics).with_name("metrics_ci.json")
    ci = json.loads(ci_path.read_text()) if ci_path.is_file() else {}
    print("Table 2 of this run (AuC and accuracy in percent; intervals in reports/table2.md):\n")
    print(table(metrics))
    rows = findings(metrics, ci)
    if rows:
        print("\nThe paper's findings (difference, paired bootstrap 95 % interval over val images):")
        print("\n".join(rows))
    changed = changed_tracked_outputs()
    if changed:
        print()
        print(textwrap.fill(
              f"{len(changed)} tracked output file(s) differ from the committed reference run (dvc.lock, reports/, "
              "dvclive/). On another machine or after a change that is expected, not an error: `make verify` says "
              "whether this run reproduces the reference within its tolerances, and `git checkout -- dvc.lock "
              "reports dvclive` puts the committed reference's lock and reports back (`dvc repro` then re-runs what "
              "they no longer match).", width=100))
    print("\nThe report: reports/README.md; figures: reports/figures/; learning curves: `dvc plots show`.")
    return 0
