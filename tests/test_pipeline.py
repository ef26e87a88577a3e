"""End to end, on a micro profile in a temporary git copy of the repository: `dvc repro`
recording the params keys and project files each stage used (checked against dvc.yaml);
`dvc metrics show`; a no-op second repro; an edit of each project file re-runs exactly the
stages that import it; an experiment that re-runs only `colorize` and what follows; the
optional pipelines through their make targets (ablation, seeds, probe) and `make verify`;
the README's sweep command; `dvc plots show` with no network; and a reader's path through a
DVC remote: push, a fresh clone, pull, nothing re-runs, figures regenerate without training."""

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, micro_params
from test_dvc_integrity import assert_log_matches_dvc_yaml, import_closure, inert, stages

SKIP = {".venv", ".git", "data", "models", "dvclive", "__pycache__", ".pytest_cache", "cache", "tmp", "reports",
        "dvc_plots"}
MAIN = ("synsets", "resize", "prior", "train", "classifier", "colorize", "evaluate", "study", "study_analysis",
        "figures")
VENV = Path(sys.executable).parent.parent
pytestmark = pytest.mark.slow


def _env(**extra):
    env = {**os.environ, **extra, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
           "OMP_NUM_THREADS": "1", "DVC_NO_ANALYTICS": "1", "COLORIZATION_PROGRESS_SECONDS": "0"}
    env.pop("COLORIZATION_PARAMS", None)
    return env


def _run(cmd, cwd, ok=True, **extra):
    proc = subprocess.run(cmd, cwd=cwd, env=_env(**extra), capture_output=True, text=True, timeout=900)
    if ok:
        assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc.stdout + proc.stderr


def _ran(log):
    return {line.split("'")[1] for line in log.splitlines() if line.startswith("Running stage '")}


DVC = [sys.executable, "-m", "dvc"]


def micro_repo(tmp):
    """A git copy of the project with the micro params, committed, nothing run yet."""
    repo = tmp / "repo"
    shutil.copytree(ROOT, repo, ignore=lambda d, names: [n for n in names if n in SKIP or n == "dvc.lock"])
    (repo / "params.yaml").write_text(yaml.safe_dump(micro_params(), sort_keys=False))
    shutil.copytree(ROOT / "data" / "study" / "responses", repo / "data" / "study" / "responses")
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "micro"]):
        _run(cmd, repo)
    return repo


@pytest.fixture(scope="module")
def repo(tmp_path_factory, wordnet):
    """The micro project after a full `dvc repro`, committed."""
    tmp = tmp_path_factory.mktemp("e2e")
    repo = micro_repo(tmp)
    log = tmp / "params_read.jsonl"
    first = _run(DVC + ["repro"], repo, COLORIZATION_PARAMS_LOG=str(log))
    assert _ran(first) == set(MAIN)
    assert_log_matches_dvc_yaml(log)
    assert re.search(r"^train: \d+/6 it, loss", first, re.M), "no progress line without a terminal"
    _run(["git", "add", "-A"], repo)
    _run(["git", "commit", "-qm", "after repro"], repo)
    return repo


def test_every_output_and_metric(repo):
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
    shown = _run(DVC + ["metrics", "show"], repo)
    assert "reports/metrics.json" in shown and "auc_rebal" in shown
    assert all(k in shown for k in ("colorfulness", "delta_cf", "psnr", "ssim"))
    again = _run(DVC + ["repro"], repo)
    assert _ran(again) == set() and "Data and pipelines are up to date" in again
    # nothing "modified" that the user did not modify: the optional pipelines have no dvc.yaml yet
    assert not (repo / "probe" / "dvc.yaml").exists()
    assert "Data and pipelines are up to date" in _run(DVC + ["status"], repo)


def _project_files():
    """Every project file a main-pipeline stage can depend on, and the stages that import it."""
    main = {name: s for name, s in stages().items() if ":" not in name}
    importers = {}
    for name, stage in main.items():
        module = stage["cmd"].split("python -m ", 1)[1].split()[0]
        for path in import_closure(module):
            if not inert(path):
                importers.setdefault(str(path.relative_to(ROOT)), set()).add(name)
    files = sorted(str(p.relative_to(ROOT)) for d in ("colorization", "stages") for p in (ROOT / d).rglob("*.py")
                   if "__pycache__" not in p.parts and not inert(p))
    return files, importers


def test_editing_a_file_reruns_only_the_stages_that_import_it(repo, monkeypatch):
    """The converse of complete deps, derived from the import graph: a comment appended to each
    project file in turn (each stage's rules module, each library module, each stage script)
    makes `dvc status` list exactly the main-pipeline stages that import that file."""
    from dvc.repo import Repo

    files, importers = _project_files()
    monkeypatch.chdir(repo)  # DVC names stages relative to the working directory
    assert "stages/params/study.py" in files and "colorization/figures.py" in files
    def changed():  # the main pipeline's stages (the optional pipelines have not run yet); a fresh
        with Repo(str(repo)) as dvc:  # Repo each time: one instance keeps what it has hashed
            return {name for name in dvc.status() if ":" not in name}

    assert not changed()
    for rel in files:
        path = repo / rel
        before = path.read_bytes()
        path.write_bytes(before + b"\n# an edit\n")
        try:
            assert changed() == importers.get(rel, set()), rel
        finally:
            path.write_bytes(before)
    # what the issue measured: a study rule re-runs nothing before study, a figures edit nothing before figures
    assert importers["stages/params/study.py"] == {"study", "study_analysis"}
    assert importers["colorization/report.py"] == {"figures"}


def test_an_experiment_reruns_only_what_it_affects_and_the_readme_sweep_shows_every_column(repo):
    exp = _run(DVC + ["exp", "run", "-n", "t05", "-S", "colorize.T=0.5"], repo)
    assert _ran(exp) == {"colorize", "evaluate", "figures", "study", "study_analysis"}
    assert "dvclive/plots/images" in _run(["git", "check-ignore", "dvclive/plots/images"], repo)
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"(dvc exp show --hide-workspace[^\n]*\\\n[^\n]*)", readme).group(1)
    args = [a for a in re.findall(r"'[^']*'|\S+", block.replace("\\\n", " ")) if a != "\\"]
    args = [a.strip("'") for a in args][1:]  # the README's exact flags, without the leading "dvc"
    table = _run(DVC + args + ["--csv"], repo)
    header = next(csv.reader(io.StringIO(table)))
    for column in ("ours.auc_rebal", "grey.auc_rebal", "ours.top1", "grey.top1", "prior.lam", "colorize.T"):
        assert column in header, (column, header)
    _run(["git", "checkout", "--", "."], repo)  # back to the committed run
    _run(DVC + ["checkout", "-f", "dvc.yaml"], repo)
    assert not {n for n in json.loads(_run(DVC + ["status", "dvc.yaml", "--json"], repo) or "{}")}


def test_optional_pipelines_by_their_make_targets(repo):
    make = ["make", f"VENV={VENV}"]
    ablation = _run(make + ["ablation"], repo)
    assert {"ablation/dvc.yaml:train@l2", "ablation/dvc.yaml:train@class", "ablation/dvc.yaml:train_full",
            "ablation/dvc.yaml:evaluate"} <= _ran(ablation)
    assert "is this very run" in ablation  # "Ours (full)" is the main run: copied, not trained again
    assert (repo / "models/ablation/full/model.pt").read_bytes() == (repo / "models/colorizer.pt").read_bytes()
    table = json.loads((repo / "reports" / "ablation.json").read_text())["ablation"]
    assert set(table) == {"gt", "grey", "l2", "class", "full"}
    assert all({"auc", "auc_rebal", "top1", "top5", "colorfulness"} <= set(m) for m in table.values())
    md = (repo / "reports" / "ablation.md").read_text()
    assert all(row in md for row in ("Ours (L2)", "Ours (class)", "Ours (full)"))
    assert (repo / "reports" / "figures" / "ablation.png").stat().st_size > 2000

    seeds = _run(make + ["seeds"], repo)
    assert {"seeds/dvc.yaml:train", "seeds/dvc.yaml:evaluate"} <= _ran(seeds)
    summary = json.loads((repo / "reports" / "seeds.json").read_text())
    assert summary["n_seeds"] == 3 and {"ours.top1", "ours.auc_rebal", "ours.top5"} <= set(summary["metrics"])
    assert all({"mean", "sd", "min", "max"} == set(s) for s in summary["metrics"].values())
    assert all(f["of"] == 3 and 0 <= f["holds"] <= 3 for f in summary["findings"].values())
    assert (repo / "reports" / "figures" / "seeds.png").stat().st_size > 2000
    assert "held in" in (repo / "reports" / "seeds.md").read_text().lower()

    probe = _run(make + ["probe"], repo)
    assert {"probe/dvc.yaml:supervised", "probe/dvc.yaml:evaluate", "probe/dvc.yaml:finetune"} <= _ran(probe)
    result = json.loads((repo / "reports" / "probe.json").read_text())
    assert result["layers"][:5] == ["conv1", "conv2", "conv3", "conv4", "conv5"]
    assert set(result["top1"]) == {"colorization", "random", "random_default", "supervised"}
    finetuned = json.loads((repo / "reports" / "finetune.json").read_text())
    assert finetuned["fractions"] == ["0.05", "0.25", "1"] and set(finetuned["top1"]) == {"colorization", "random",
                                                                                          "supervised"}
    assert set(json.loads((repo / "reports" / "finetune_ci.json").read_text())) == {
        "colorization_minus_random", "supervised_minus_colorization"}
    assert "## Findings" in (repo / "reports" / "finetune.md").read_text()
    assert (repo / "reports" / "figures" / "finetune.png").stat().st_size > 2000
    ci = json.loads((repo / "reports" / "probe_ci.json").read_text())
    assert {"colorization_minus_random", "supervised_minus_random", "supervised_minus_colorization"} <= set(ci)
    assert (repo / "reports" / "figures" / "probe.png").stat().st_size > 2000

    # `dvc status` of the main pipeline stays clean; the sweep columns stay unique
    assert not {n for n in json.loads(_run(DVC + ["status", "--json"], repo) or "{}") if ":" not in n}
    shown = _run(DVC + ["metrics", "show"], repo)
    assert "ablation.ours" not in shown and "reports/seeds.json" in shown


def test_verify_passes_on_the_run_itself_and_refuses_an_edited_result(repo):
    make = ["make", f"VENV={VENV}"]
    out = _run(make + ["reference"], repo)
    assert (repo / "reports" / "reference" / "verify" / "signatures.json").is_file()
    assert (repo / "reports" / "reference" / "seeds.json").is_file()
    out = _run(make + ["verify"], repo)
    assert "Stage walk, in pipeline order" in out and "this run reproduces the reference" in out
    metrics = json.loads((repo / "reports" / "metrics.json").read_text())
    metrics["ours"]["top1"] -= 1.0
    (repo / "reports" / "metrics.json").write_text(json.dumps(metrics))
    proc = subprocess.run(make + ["verify"], cwd=repo, env=_env(), capture_output=True, text=True)
    assert proc.returncode != 0 and "reports/metrics.json is not the bytes dvc.lock records" in proc.stdout
    _run(["git", "checkout", "--", "reports/metrics.json"], repo)


def test_the_plots_page_shows_each_curve_once_with_readable_axes_and_one_colour_per_variant(repo):
    import json

    out = subprocess.run(DVC + ["plots", "show", "--json"], cwd=repo, env=_env(), capture_output=True, text=True)
    plots = json.loads(out.stdout)["data"]
    vega = {name: p[0]["content"] for name, p in plots.items() if p[0]["type"] == "vega"}
    assert set(vega) == {"learning_curve", "learning_rate", "training_throughput", "auc_curves"}  # loss once
    assert vega["learning_rate"]["encoding"]["y"]["axis"]["format"] == ".1e"  # 3.0e-4, not "0"
    assert vega["auc_curves"]["encoding"]["color"]["field"] == "field"  # a colour per variant, not per revision
    assert {row["field"] for row in vega["auc_curves"]["data"]["values"]} == {"gt", "grey", "random", "ours"}
    images = [name for name, p in plots.items() if p[0]["type"] == "image"]
    assert images and all("preview" in name for name in images)


def test_plots_render_with_no_network(repo):
    _run(DVC + ["plots", "show", "-o", "dvc_plots"], repo)
    page = (repo / "dvc_plots" / "index.html").read_text()
    assert not re.search(r"<script[^>]+src=[\"']?https?://", page) and "vegaEmbed" in page
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        return
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-background-networking"])
        page_ = browser.new_page()
        remote = []
        page_.route(re.compile(r"^https?://"), lambda route: (remote.append(route.request.url), route.abort()))
        page_.goto((repo / "dvc_plots" / "index.html").as_uri())
        page_.wait_for_selector("svg, canvas", timeout=30000)
        drawn = page_.evaluate("document.querySelectorAll('svg, canvas').length")
        browser.close()
    assert drawn >= 2 and not remote


def readme_blocks(heading):
    """The bash blocks of the README section under ``heading``, as written."""
    text = (ROOT / "README.md").read_text()
    section = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)```", section, re.S)


def test_a_reader_follows_the_readme_pulls_the_artefacts_and_nothing_reruns(repo, tmp_path):
    """The README's own two blocks, run as written: the writer's in the finished repository, the
    reader's in a fresh directory. Substituted: the remote (a folder here), the repository's
    address, and the reader's `make setup`, which links the environment the tests run in
    instead of installing a second one."""
    writer, reader = readme_blocks("A reader's path without training")
    remote = tmp_path / "remote"
    _run(["bash", "-euo", "pipefail", "-c", writer.replace("<remote>", str(remote))], repo)
    home = tmp_path / "reader"
    home.mkdir()
    reader = reader.replace("<repository>", str(repo))
    assert reader.count("make setup") == 1
    reader = reader.replace("make setup", f"ln -s {VENV} .venv && touch .venv/.installed && make setup")
    log = _run(["bash", "-euo", "pipefail", "-c", reader], home)
    clone = home / "colorization"
    assert (clone / "models" / "colorizer.pt").is_file() and (clone / "models" / "checkpoints").is_dir()
    assert "Data and pipelines are up to date" in log
    assert _ran(log) == {"figures"}  # only `make figures` ran anything
    assert (clone / "reports" / "figures" / "fig2_examples.png").stat().st_size > 2000



def _free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_served_study_stores_120_concurrent_participants_and_the_stage_counts_them(repo, tmp_path):
    """`python -m colorization study serve --port P --responses DIR` on the run's study page;
    120 participants post at once; DIR copied to data/study/responses; study_analysis counts all."""
    import http.client
    from concurrent.futures import ThreadPoolExecutor

    from colorization.study import read_trials_js

    trials = read_trials_js(repo / "reports" / "study" / "trials.js")
    method = trials["methods"][0]
    port, answers = _free_port(), tmp_path / "answers"
    server = subprocess.Popen([sys.executable, "-m", "colorization", "study", "serve", "--port", str(port),
                               "--responses", str(answers)], cwd=repo, env=_env(), stdout=subprocess.PIPE, text=True)

    def results(k):
        rows = [(t["id"], "left", "right" if (k + i) % 4 == 0 else "left", kind)
                for kind, key in (("practice", f"practice:{method}"), ("scored", f"scored:{method}"),
                                  ("vigilance", "vigilance")) for i, t in enumerate(trials["trials"][key])]
        return "participant,trial,image,real_side,answer,response_ms,kind,method\n" + "".join(
            f"p{k},{i + 1},{img},{real},{ans},400,{kind},{method}\n" for i, (img, real, ans, kind) in enumerate(rows))

    def post(k):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("POST", "/responses", results(k).encode(), {"Content-Type": "text/csv"})
        status = conn.getresponse().status
        conn.close()
        return status

    try:
        assert "Serving the study" in server.stdout.readline()
        with ThreadPoolExecutor(32) as pool:
            statuses = list(pool.map(post, range(120)))
    finally:
        server.terminate()
        server.wait(10)
    assert statuses == [201] * 120
    target = repo / "data" / "study" / "responses"
    for f in answers.glob("*.csv"):
        shutil.copyfile(f, target / f.name)
    try:
        _run([sys.executable, "-m", "stages.study_analysis"], repo)
        result = json.loads((repo / "reports" / "study" / "results.json").read_text())
        assert result["methods"][method]["n_participants"] == 120 and not result["skipped_files"]
        assert result["n_responses"] == 120 and not result["excluded"]
    finally:
        for f in answers.glob("*.csv"):
            (target / f.name).unlink()
        _run(["git", "checkout", "--", "reports"], repo)
