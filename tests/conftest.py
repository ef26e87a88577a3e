import os
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
FRUITS = Path(os.environ.get("FRUITS360_MINI", ROOT.parent / "shared" / "datasets" / "fruits360-mini"))

torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


@pytest.fixture(scope="session")
def fruits360():
    if not (FRUITS / "train").is_dir():
        pytest.skip(f"fruits360-mini not found at {FRUITS}")
    return FRUITS


@pytest.fixture(scope="session")
def wordnet():
    from colorization.wordnet import load_wordnet

    try:
        return load_wordnet()
    except RuntimeError as e:
        pytest.skip(str(e))


needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


MICRO = {
    "data": {"size": 32, "train_per_class": 8, "val_per_class": 3},
    "synsets": {"count": 4},
    "model": {"width": 0.0625},
    "train": {"iterations": 6, "batch_size": 4, "crop": 24, "lr": 3.0e-4, "lr_schedule": "constant", "lr_warmup": 0,
              "checkpoint_every": 2, "log_every": 2, "preview_every": 3, "workers": 0},
    # input_size unset (none: the data's 32 px): the stages and verify's replays read `none` as None
    "classifier": {"width": 0.0625, "iterations": 5, "batch_size": 8, "input_size": "none"},
    "evaluate": {"bootstrap": 100},
    "study": {"n_images": 4, "practice": 1, "vigilance": 0.25},
    "seeds": {"n": 3},
    "probe": {"epochs": 3, "dims": 512, "batch_size": 16, "rescale_images": 16},
    "finetune": {"head_epochs": 3, "iterations": 4, "batch_size": 4, "crop": 24, "dims": 256},
}


def micro_params(overrides=None):
    import yaml

    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    for section, values in {**MICRO}.items():
        params[section].update(values)
    for section, values in (overrides or {}).items():
        params[section].update(values)
    return params


def run_stage(name, cwd, *args, env=None, check=True, launcher=None):
    """Run a stage script as DVC would, in ``cwd`` with its own params.yaml."""
    import subprocess
    import sys

    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "COLORIZATION_PARAMS": str(Path(cwd) / "params.yaml"),
                "OMP_NUM_THREADS": "1", **(env or {})}
    cmd = (launcher or [sys.executable]) + ["-m", f"stages.{name}", *args]
    proc = subprocess.run(cmd, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"stage {name} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def make_micro_project(path, overrides=None):
    import yaml

    path.mkdir(parents=True, exist_ok=True)
    (path / "params.yaml").write_text(yaml.safe_dump(micro_params(overrides)))
    for stage in ("synsets", "resize", "prior"):
        run_stage(stage, path)
    return path


@pytest.fixture(scope="session")
def micro_data(tmp_path_factory, wordnet):
    """A tiny project with synsets, resized data and prior, made once per session."""
    return make_micro_project(tmp_path_factory.mktemp("micro"))


@pytest.fixture
def micro_project(micro_data, tmp_path):
    """A private copy of the tiny project, for tests that write to it."""
    import shutil

    shutil.copytree(micro_data, tmp_path / "p")
    return tmp_path / "p"
