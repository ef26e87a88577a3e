"""dvc.yaml must be provably complete and no more than complete: every project file a
stage's command imports (transitively, lazy imports included) and every package data file
those modules open is a dependency of that stage, and no other project file is; every params
key a stage reads is declared (recorded during the end-to-end run in test_pipeline.py);
files that params name are dependencies, so editing one makes `dvc status` report the
stage. No stage script imports another stage script."""

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

PACKAGES = ("colorization", "stages")


def module_file(name):
    parts = name.split(".")
    if parts[0] not in PACKAGES:
        return None
    p = ROOT.joinpath(*parts)
    if p.with_suffix(".py").is_file():
        return p.with_suffix(".py")
    if (p / "__init__.py").is_file():
        return p / "__init__.py"
    return None


def imported_names(path):
    """Every module an import statement in ``path`` names, at any depth of the file."""
    tree = ast.parse(path.read_text())
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([node.module] if node.module else []))
            names.add(base)
            names.update(f"{base}.{a.name}" for a in node.names)
    return names


def import_closure(module):
    """Project source files that running ``python -m module`` can import."""
    seen, todo = set(), [module]
    while todo:
        name = todo.pop()
        path = module_file(name)
        if path is None or path in seen:
            continue
        seen.add(path)
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # parent packages run too
        todo += sorted(imported_names(path))
    return seen


def package_data(files):
    """Non-Python entries of colorization/ that a module names in a string (a word list,
    the study site's folder): files the code opens."""
    entries = {p.name: p for p in (ROOT / "colorization").iterdir()
               if p.suffix != ".py" and p.name != "__pycache__"}
    found = set()
    for f in files:
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in entries:
                found.add(entries[node.value])
    return found


def inert(path):
    """An __init__.py with only a docstring and constants cannot change any output."""
    if path.name != "__init__.py":
        return False
    tree = ast.parse(path.read_text())
    return all(
        isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)
        or isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant) for n in tree.body)


# The optional pipelines' dvc.yaml is written from their pipeline.yaml by `make ablation` etc.
PIPELINES = ("dvc.yaml", "ablation/pipeline.yaml", "seeds/pipeline.yaml", "probe/pipeline.yaml")


def stages():
    """Every stage of every pipeline (a foreach stage once, with its first item)."""
    out = {}
    for rel in PIPELINES:
        path = ROOT / rel
        if not path.is_file():
            continue
        for name, stage in yaml.safe_load(path.read_text())["stages"].items():
            if "foreach" in stage:
                item = stage["foreach"][0]
                stage = {k: (v.replace("${item}", item) if isinstance(v, str) else v) for k, v in stage["do"].items()}
            out[name if path.parent == ROOT else f"{path.parent.name}:{name}"] = stage
    return out


def declared_deps(stage):
    return {str(d) for d in stage.get("deps", [])}


def stage_code(stage):
    """The project files (code and package data) a stage's command can load."""
    module = stage["cmd"].split("python -m ", 1)[1].split()[0]
    code = import_closure(module)
    return {str(p.relative_to(ROOT)) for p in code | package_data(code) if not inert(p)}


def is_project_code(dep):
    return dep.split("/")[0] in PACKAGES


@pytest.mark.parametrize("name", list(stages()))
def test_every_imported_project_file_is_a_dependency(name):
    missing = sorted(stage_code(stages()[name]) - declared_deps(stages()[name]))
    assert not missing, f"stage {name} runs {missing} but dvc.yaml does not list them as deps"


@pytest.mark.parametrize("name", list(stages()))
def test_no_stage_depends_on_code_it_cannot_run(name):
    """The converse: a change must not re-run a stage it cannot affect."""
    stage = stages()[name]
    extra = sorted(d for d in declared_deps(stage) if is_project_code(d) and d not in stage_code(stage))
    assert not extra, f"stage {name} lists {extra} as deps but never imports or opens them"


def stage_scripts():
    """Module names of every stage command (stages/<name>.py and stages/<pipeline>/<name>.py)."""
    return {stage["cmd"].split("python -m ", 1)[1].split()[0] for stage in stages().values()}


def test_no_stage_script_imports_another_stage_script():
    scripts = stage_scripts()
    assert {"stages.train", "stages.ablation.train", "stages.ablation.evaluate"} <= scripts
    for script in sorted(scripts):
        names = imported_names(module_file(script))
        others = sorted(s for s in scripts - {script} if s in names or any(n.startswith(s + ".") for n in names))
        assert not others, f"{script} imports {others}: what two stages share belongs in colorization/"


def test_a_stage_reads_only_the_rules_of_the_sections_it_declares():
    """A stage imports stages/params/<section>.py only for sections whose keys it declares,
    so a new study param cannot re-run the training."""
    for name, stage in stages().items():
        rules = {Path(d).stem for d in stage_code(stage) if d.startswith("stages/params/") and not d.endswith(
            "checks.py")}
        declared = {str(k).split(".")[0] for k in stage.get("params", [])}
        assert rules <= declared, f"stage {name} imports the rules of {sorted(rules - declared)} but reads none of them"


def test_the_closure_follows_lazy_imports():
    # stages.figures imports colorization.inference, which imports model, decode, images...
    closure = {p.name for p in import_closure("stages.figures")}
    assert {"inference.py", "model.py", "decode.py", "lab.py", "report.py", "published.py"} <= closure
    assert "images.py" not in closure  # the photo decoder is the CLI's (colorization.photos), not the figures'
    assert "bins.py" not in {p.name for p in import_closure("stages.synsets")}
    assert "imagenet1k_wnids.txt" in {p.name for p in package_data(import_closure("stages.evaluate"))}


def assert_log_matches_dvc_yaml(log: Path):
    """For the end-to-end run (test_pipeline.py), which sets COLORIZATION_PARAMS_LOG: every
    params key each stage read is declared under its params, and every project file it
    actually imported is among its deps."""
    declared = stages()
    read, loaded = {}, {}
    for line in log.read_text().splitlines():
        entry = json.loads(line)
        read.setdefault(entry["stage"], set()).update(entry["keys"])
        loaded.setdefault(entry["stage"], set()).update(entry["modules"])
    assert set(read) >= {"synsets", "resize", "prior", "train", "classifier", "colorize", "evaluate", "figures",
                         "study"}, sorted(read)
    for name in read:
        keys = {str(k) for k in declared[name].get("params", [])}
        missing = sorted(k for k in read[name] if k not in keys and k.split(".")[0] not in keys)
        assert not missing, f"stage {name} read {missing} but dvc.yaml does not declare them under params"
        code = {m for m in loaded[name] if not inert(ROOT / m)}
        missing = sorted(code - declared_deps(declared[name]))
        assert not missing, f"stage {name} imported {missing} but dvc.yaml does not list them as deps"


def _git_dvc_repo(tmp_path, params):
    """A copy of the project (code, dvc.yaml) with its own git and the given params."""
    repo = tmp_path / "repo"
    skip = {".venv", ".git", "data", "models", "dvclive", "__pycache__", ".pytest_cache", "reports", "dvc.lock"}
    shutil.copytree(ROOT, repo, ignore=lambda d, names: [n for n in names if n in skip])
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
           "DVC_NO_ANALYTICS": "1"}
    env.pop("COLORIZATION_PARAMS", None)
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "t"]):
        subprocess.run(cmd, cwd=repo, env=env, check=True, capture_output=True)
    return repo, env


def _status(repo, env):
    proc = subprocess.run([sys.executable, "-m", "dvc", "status", "--json"], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout or "{}")


def _commit(repo, env, *stages_):
    proc = subprocess.run([sys.executable, "-m", "dvc", "commit", "-f", *stages_], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.slow
def test_editing_a_file_a_param_names_reruns_its_stage(tmp_path, micro_data):
    from conftest import micro_params

    params = micro_params()
    given = tmp_path / "given_prior.csv"
    given.write_text("p\n" + "\n".join(["0.003194888"] * 313) + "\n")
    params["prior"]["file"] = str(given)
    repo, env = _git_dvc_repo(tmp_path, params)
    shutil.copytree(micro_data / "data", repo / "data")
    (repo / "data" / "prior.csv").unlink()
    subprocess.run([sys.executable, "-m", "dvc", "repro", "prior"], cwd=repo, env=env, check=True,
                   capture_output=True, timeout=600)
    assert "prior" not in _status(repo, env)
    given.write_text("p\n" + "\n".join(["0.003194888"] * 312 + ["0.004"]) + "\n")
    assert "prior" in _status(repo, env)


@pytest.mark.slow
def test_changes_in_the_data_folder_reach_dvc_status(tmp_path, wordnet):
    """Adding, replacing or removing an image under data.root makes `dvc status` report
    resize; a new class folder reports synsets too."""
    from PIL import Image

    from conftest import micro_params

    root = tmp_path / "photos"
    for split, n in (("train", 3), ("val", 2)):
        for wnid, colour in (("n07753592", (230, 200, 40)), ("n07749582", (240, 230, 60))):
            (root / split / wnid).mkdir(parents=True)
            for i in range(n):
                Image.new("RGB", (40, 40), colour).save(root / split / wnid / f"{i}.jpg")
    params = micro_params({"data": {"source": "folder", "root": str(root), "train_per_class": "none",
                                    "val_per_class": "none"}, "synsets": {"count": 2}})
    repo, env = _git_dvc_repo(tmp_path, params)
    subprocess.run([sys.executable, "-m", "dvc", "repro", "resize"], cwd=repo, env=env, check=True,
                   capture_output=True, timeout=600)
    assert not {"synsets", "resize"} & set(_status(repo, env))
    Image.new("RGB", (40, 40), (0, 0, 255)).save(root / "train" / "n07753592" / "0.jpg")  # replaced
    assert "resize" in _status(repo, env)
    _commit(repo, env, "synsets", "resize")
    (root / "val" / "n07749582" / "1.jpg").unlink()  # removed
    assert "resize" in _status(repo, env)
    _commit(repo, env, "synsets", "resize")
    Image.new("RGB", (40, 40), (9, 9, 9)).save(root / "train" / "n07749582" / "new.jpg")  # added
    assert "resize" in _status(repo, env)
    _commit(repo, env, "synsets", "resize")
    (root / "train" / "n07745940").mkdir()  # a new class
    Image.new("RGB", (40, 40), (200, 0, 0)).save(root / "train" / "n07745940" / "0.jpg")
    assert {"synsets", "resize"} <= set(_status(repo, env))


@pytest.mark.slow
def test_a_vanished_data_folder_leaves_the_workspace_its_outputs(tmp_path, wordnet):
    """DVC removes a stage's outputs before it runs, and only then finds a dependency missing:
    the first stage that reads data.root keeps its outputs (persist), and `make check` names
    the key first."""
    from PIL import Image

    from conftest import micro_params

    root = tmp_path / "photos"
    for split, n in (("train", 2), ("val", 1)):
        for wnid in ("n07753592", "n07749582"):
            (root / split / wnid).mkdir(parents=True)
            for i in range(n):
                Image.new("RGB", (40, 40), (200, 30 * i, 40)).save(root / split / wnid / f"{i}.jpg")
    params = micro_params({"data": {"source": "folder", "root": str(root), "train_per_class": "none",
                                    "val_per_class": "none"}, "synsets": {"count": 2}})
    repo, env = _git_dvc_repo(tmp_path, params)
    subprocess.run([sys.executable, "-m", "dvc", "repro", "synsets"], cwd=repo, env=env, check=True,
                   capture_output=True, timeout=600)
    before = (repo / "data" / "synsets.csv").read_bytes()
    root.rename(tmp_path / "moved")
    check = subprocess.run([sys.executable, "-m", "stages.params", "check"], cwd=repo, env=env, capture_output=True,
                           text=True)
    assert check.returncode != 0 and "'data.root'" in check.stderr and "does not exist" in check.stderr
    proc = subprocess.run([sys.executable, "-m", "dvc", "repro", "synsets"], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode != 0
    assert (repo / "data" / "synsets.csv").read_bytes() == before


def test_the_optional_pipelines_outputs_are_neither_committed_nor_left_untracked():
    """A fresh clone's `make repro` ends with one consistent set of numbers: no other machine's
    ablation, seed or probe results beside them (the reference run's live in reports/reference/)."""
    outputs = []
    for name, stage in stages().items():
        if ":" in name:
            for out in list(stage.get("outs", [])) + list(stage.get("metrics", [])):
                path = next(iter(out)) if isinstance(out, dict) else out
                if path.startswith("reports/"):
                    outputs.append(path)
    assert {"reports/ablation.json", "reports/seeds.json", "reports/probe.json"} <= set(outputs)
    tracked = subprocess.run(["git", "ls-files", *outputs], cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert not tracked, f"committed outputs of optional pipelines: {tracked}"
    ignored = subprocess.run(["git", "check-ignore", *outputs], cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert sorted(ignored) == sorted(outputs)
    # nor their lock files, which would record another machine's hashes (and, stale, make a
    # fresh clone's `dvc status` call the stages modified and a reader's `dvc pull` fail)
    # nor their dvc.yaml, written by `make <pipeline>` from pipeline.yaml: DVC's `dvc status`
    # reports every stage of every dvc.yaml it finds, and a pipeline never run here is no news
    locks = [f"{name}/dvc.{kind}" for name in ("ablation", "seeds", "probe") for kind in ("lock", "yaml")]
    assert all((ROOT / lock).parent.joinpath("pipeline.yaml").is_file() for lock in locks)
    tracked = subprocess.run(["git", "ls-files", *locks], cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert not tracked, f"committed lock or pipeline files of optional pipelines: {tracked}"


def test_each_stage_says_which_of_the_pipeline_it_is_in_dvc_yaml_order():
    from stages.common import PIPELINE

    assert list(PIPELINE) == [n for n in stages() if ":" not in n]


def test_every_make_target_is_documented_in_the_readme():
    makefile = (ROOT / "Makefile").read_text()
    phony = re.search(r"^\.PHONY:(.*?)(?<!\\)$", makefile, re.M | re.S).group(1).replace("\\\n", " ").split()
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Every `make` target", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\| `make ([\w-]+)`", table, re.M)
    assert sorted(listed) == sorted(phony), f"undocumented: {sorted(set(phony) - set(listed))}; " \
                                           f"not targets: {sorted(set(listed) - set(phony))}"
