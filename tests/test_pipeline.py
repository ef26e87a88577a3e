"""End to end: `dvc repro` on a micro profile in a temporary copy of the repo, recording
the params keys and project files each stage used (checked against dvc.yaml), then
`dvc metrics show`, a no-op second repro, and a param change that re-runs only
`colorize` and what follows it."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, micro_params
from test_dvc_integrity import assert_log_matches_dvc_yaml

SKIP = {".venv", ".git", "data", "models", "dvclive", "__pycache__", ".pytest_cache", "cache", "tmp", "reports"}


def _run(cmd, cwd, **extra):
    env = {**os.environ, **extra, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
           "OMP_NUM_THREADS": "1", "DVC_NO_ANALYTICS": "1"}
    env.pop("COLORIZATION_PARAMS", None)
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc.stdout + proc.stderr


def _ran(log):
    return {line.split("'")[1] for line in log.splitlines() if line.startswith("Running stage '")}


@pytest.mark.slow
def test_dvc_repro_micro_profile_end_to_end(tmp_path, wordnet):
    repo = tmp_path / "repo"
    shutil.copytree(ROOT, repo, ignore=lambda d, names: [n for n in names if n in SKIP or n == "dvc.lock"])
    (repo / "params.yaml").write_text(yaml.safe_dump(micro_params(), sort_keys=False))
    shutil.copytree(ROOT / "data" / "study" / "responses", repo / "data" / "study" / "responses")
    dvc = [sys.executable, "-m", "dvc"]
    _run(["git", "init", "-q"], repo)
    _run(["git", "add", "-A"], repo)
    _run(["git", "commit", "-qm", "micro"], repo)

    log = tmp_path / "params_read.jsonl"
    first = _run(dvc + ["repro"], repo, COLORIZATION_PARAMS_LOG=str(log))
    assert _ran(first) == {"synsets", "resize", "prior", "train", "classifier", "colorize", "evaluate", "figures",
                           "study", "study_analysis"}
    assert_log_matches_dvc_yaml(log)
    metrics = json.loads((repo / "reports" / "metrics.json").read_text())
    assert set(metrics) == {"gt", "grey", "random", "zhang", "ours"} and "skipped" in metrics["zhang"]
    for v in ("gt", "grey", "random", "ours"):
        assert {"auc", "auc_rebal", "top1", "top5", "colorfulness", "delta_cf", "psnr", "ssim"} <= set(metrics[v])
        assert all(0 <= metrics[v][k] <= 1 for k in ("auc", "auc_rebal", "top1", "top5", "ssim"))
    ci = json.loads((repo / "reports" / "metrics_ci.json").read_text())
    for pair in ("ours_minus_grey", "gt_minus_ours"):
        assert {"auc_rebal", "top1", "top5"} <= set(ci[pair]) and all(len(v) == 2 for v in ci[pair].values())
    assert metrics["gt"]["auc"] == pytest.approx(1.0)
    assert (repo / "reports" / "study" / "index.html").is_file()
    assert json.loads((repo / "reports" / "study" / "results.json").read_text())["n_responses"] == 0
    for fig in ("fig1_temperature", "fig3_study", "fig2_examples", "fig4_per_synset", "fig5_confusion_scatter",
                "fig6_amplified_confusion", "prior", "auc_curves", "learning_curve", "synsets"):
        assert (repo / "reports" / "figures" / f"{fig}.png").stat().st_size > 2000, fig
    assert (repo / "reports" / "table2.md").read_text().count("|") > 20

    shown = _run(dvc + ["metrics", "show"], repo)
    assert "reports/metrics.json" in shown and "auc_rebal" in shown
    assert all(k in shown for k in ("colorfulness", "delta_cf", "psnr", "ssim"))

    again = _run(dvc + ["repro"], repo)
    assert _ran(again) == set() and "Data and pipelines are up to date" in again

    _run(["git", "add", "-A"], repo)
    _run(["git", "commit", "-qm", "after repro"], repo)
    exp = _run(dvc + ["exp", "run", "-S", "colorize.T=0.5"], repo)
    assert _ran(exp) == {"colorize", "evaluate", "figures", "study", "study_analysis"}
    git_ignored = _run(["git", "check-ignore", "dvclive/plots/images"], repo)
    assert "dvclive/plots/images" in git_ignored  # previews are DVC outputs, not committed to git

    ablation = _run(dvc + ["repro", "ablation/dvc.yaml"], repo)
    assert {"ablation/dvc.yaml:train@l2", "ablation/dvc.yaml:train@class", "ablation/dvc.yaml:train@full",
            "ablation/dvc.yaml:evaluate"} <= _ran(ablation)
    table = json.loads((repo / "reports" / "ablation.json").read_text())
    assert set(table) == {"gt", "grey", "l2", "class", "full"}
    assert all({"auc", "auc_rebal", "top1", "top5", "colorfulness"} <= set(m) for m in table.values())
    md = (repo / "reports" / "ablation.md").read_text()
    assert all(row in md for row in ("Ours (L2)", "Ours (class)", "Ours (full)"))
    assert (repo / "reports" / "figures" / "ablation.png").stat().st_size > 2000
    assert "reports/ablation.json" in _run(dvc + ["metrics", "show", "reports/ablation.json"], repo)
