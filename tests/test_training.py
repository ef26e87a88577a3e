"""Training-stage behaviour: it learns, resumes after kill -9 to the same weights,
resumes only the run a checkpoint belongs to (never relabels a longer run, never
resumes other pixels), runs under torchrun (DDP, gloo on CPU) with agreeing
replicas, stops on NaN, and its step never syncs with or copies from the host."""

import json
import shutil
import subprocess
import sys
import time
from unittest import mock

import numpy as np
import pytest
import torch
import yaml

from colorization.bins import ab_bins
from colorization.data import batch_plan, epoch_permutation
from colorization.model import ColorizationNet
from colorization.training import lr_at, make_optimizer, train_step
from conftest import ROOT, run_stage

CFG = {"loss": "classification", "soft_k": 5, "soft_sigma": 5.0, "drop_grey_images": True, "lr": 1e-3,
       "betas": [0.9, 0.99], "weight_decay": 1e-3}


def _weights(project):
    return torch.load(project / "models" / "colorizer.pt", weights_only=True)["model"]


def _same(a, b):
    return all(torch.equal(a[k], b[k]) for k in a)


def _set(project, **train):
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["train"].update(train)
    (project / "params.yaml").write_text(yaml.safe_dump(params))


def test_batch_plan_is_a_function_of_iteration_and_shards_ranks():
    a = batch_plan(10, 4, 3, 0, 32, 24, 0.5)
    assert a == batch_plan(10, 4, 3, 0, 32, 24, 0.5) and a != batch_plan(10, 4, 4, 0, 32, 24, 0.5)
    r0 = batch_plan(10, 2, 3, 0, 32, 24, 0.5, rank=0, world=2)
    r1 = batch_plan(10, 2, 3, 0, 32, 24, 0.5, rank=1, world=2)
    assert sorted(r0 + r1) == sorted(a)
    epoch = [i for it in range(5) for i, *_ in batch_plan(10, 2, it, 0, 32, 24, 0.5)]
    assert sorted(epoch) == list(range(10))  # every image once per epoch


def test_batch_plan_draws_each_epoch_permutation_once():
    epoch_permutation.cache_clear()
    with mock.patch("numpy.random.default_rng", wraps=np.random.default_rng) as rng:
        for it in range(50):  # 50 batches of 4 from 1000 images: one epoch
            batch_plan(1000, 4, it, 0, 32, 24, 0.5)
    permutation_draws = [c for c in rng.call_args_list if len(c.args[0]) == 2]
    assert len(permutation_draws) == 1  # planning a batch is O(batch), not O(images)


def test_learning_rate_schedule():
    cfg = {"lr": 1.0, "lr_warmup": 4, "iterations": 14, "lr_schedule": "cosine"}
    assert [lr_at(i, cfg) for i in range(4)] == [0.25, 0.5, 0.75, 1.0]
    assert lr_at(9, cfg) == pytest.approx(0.5)  # half way through the decay
    assert lr_at(13, cfg) == pytest.approx(0.5 * (1 + np.cos(np.pi * 0.9)))
    assert lr_at(100, {"lr": 0.3, "iterations": 5}) == 0.3  # constant, the paper's


class _NoOptimizer:
    """Stands in for Adam, whose CPU implementation reads its step counter back (on CUDA
    the fused kernel keeps it on the device): what is counted is our own step."""

    def zero_grad(self, set_to_none=True):
        pass

    def step(self):
        pass


def test_train_step_never_syncs_or_copies_python_values_to_the_device():
    """Building a tensor from Python values (a host->device copy on CUDA) or reading one
    back (.item(), .cpu(), .tolist()) stalls the GPU queue; the step does neither."""
    torch.manual_seed(0)
    model = ColorizationNet(0.0625)
    device = torch.device("cpu")
    bins, weights = torch.from_numpy(ab_bins()), torch.ones(313)
    x = torch.randint(0, 256, (4, 3, 24, 24), dtype=torch.uint8)
    for loss_kind in ("classification", "regression"):
        cfg = {**CFG, "loss": loss_kind}
        net = ColorizationNet(0.0625, head=loss_kind)
        train_step(net, _NoOptimizer(), x, bins, weights, cfg, device)  # builds the per-device constants
        calls = []

        def spy(name, original, calls=calls):
            def wrapped(*a, **k):
                calls.append(name)
                return original(*a, **k)
            return wrapped

        with mock.patch.object(torch, "tensor", spy("torch.tensor", torch.tensor)), \
             mock.patch.object(torch.Tensor, "item", spy(".item()", torch.Tensor.item)), \
             mock.patch.object(torch.Tensor, "cpu", spy(".cpu()", torch.Tensor.cpu)), \
             mock.patch.object(torch.Tensor, "tolist", spy(".tolist()", torch.Tensor.tolist)), \
             mock.patch.object(torch.Tensor, "__bool__", spy("bool(tensor)", torch.Tensor.__bool__)), \
             mock.patch.object(torch, "as_tensor", spy("torch.as_tensor", torch.as_tensor)), \
             mock.patch.object(torch, "from_numpy", spy("torch.from_numpy", torch.from_numpy)):
            loss = train_step(net, _NoOptimizer(), x, bins, weights, cfg, device)
        assert calls == [], (loss_kind, calls)
        assert loss.requires_grad is False
    # and on a GPU the optimizer is the fused kernel, which keeps its state on the device
    opt = make_optimizer(list(model.parameters()), CFG, torch.device("cuda"))
    assert opt.defaults["fused"] is True


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_train_step_on_cuda_raises_on_any_sync():
    device = torch.device("cuda")
    torch.manual_seed(0)
    model = ColorizationNet(0.0625).to(device).to(memory_format=torch.channels_last)
    opt = make_optimizer([p for p in model.parameters() if p.requires_grad], CFG, device)
    bins, weights = torch.from_numpy(ab_bins()).to(device), torch.ones(313, device=device)
    x = torch.randint(0, 256, (4, 3, 24, 24), dtype=torch.uint8).pin_memory()
    train_step(model, opt, x, bins, weights, CFG, device)
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        train_step(model, opt, x, bins, weights, CFG, device)
    finally:
        torch.cuda.set_sync_debug_mode(0)


@pytest.mark.slow
def test_resume_after_kill_gives_the_same_weights(micro_project, tmp_path):
    clean = tmp_path / "clean"
    shutil.copytree(micro_project, clean)
    run_stage("train", clean)
    killed = run_stage("train", micro_project, env={"COLORIZATION_KILL_AT_ITERATION": "3"}, check=False)
    assert killed.returncode == -9
    assert not (micro_project / "models" / "colorizer.pt").exists()
    resumed = run_stage("train", micro_project)
    assert "resuming from iteration 2" in resumed.stderr
    assert _same(_weights(clean), _weights(micro_project))
    # byte for byte, whatever temporary file each run wrote through: DVC hashes the file, and a
    # fresh clone must find every stage after train up to date
    for out in ("colorizer.pt", "checkpoints/last.pt"):
        assert (clean / "models" / out).read_bytes() == (micro_project / "models" / out).read_bytes(), out


@pytest.mark.slow
def test_raising_iterations_continues_and_lowering_them_never_relabels(micro_project, tmp_path):
    fresh4, fresh8 = tmp_path / "fresh4", tmp_path / "fresh8"
    shutil.copytree(micro_project, fresh4)
    shutil.copytree(micro_project, fresh8)
    _set(fresh4, iterations=4)
    _set(fresh8, iterations=8)
    run_stage("train", fresh4)
    run_stage("train", fresh8)
    _set(micro_project, iterations=4)
    run_stage("train", micro_project)
    _set(micro_project, iterations=8)
    up = run_stage("train", micro_project)
    assert "resuming from iteration 4" in up.stderr  # raising continues (constant schedule) ...
    assert _same(_weights(micro_project), _weights(fresh8))  # ... to exactly the longer run's weights
    _set(micro_project, iterations=4)
    down = run_stage("train", micro_project)
    assert "starting afresh" in down.stderr and "past train.iterations" in down.stderr
    assert _same(_weights(micro_project), _weights(fresh4))  # a 4-iteration model, not the 8-iteration one
    saved = torch.load(micro_project / "models" / "colorizer.pt", weights_only=True)
    assert saved["iterations"] == 4


@pytest.mark.slow
def test_a_schedule_that_depends_on_the_length_is_not_resumed(micro_project):
    _set(micro_project, iterations=4, lr_schedule="cosine", lr_warmup=1)
    run_stage("train", micro_project)
    _set(micro_project, iterations=8, lr_schedule="cosine", lr_warmup=1)
    again = run_stage("train", micro_project)
    assert "starting afresh" in again.stderr and "learning-rate schedule" in again.stderr


@pytest.mark.slow
def test_changed_params_or_pixels_do_not_resume_a_stale_checkpoint(micro_project):
    run_stage("train", micro_project)
    _set(micro_project, weight_decay=0.5)
    again = run_stage("train", micro_project)
    assert "starting afresh" in again.stderr
    # new pixels under the same file names (what a new data.seed does to the synthetic source)
    train = np.load(micro_project / "data" / "resized" / "train.npy")
    np.save(micro_project / "data" / "resized" / "train.npy", 255 - train)
    other = run_stage("train", micro_project)
    assert "starting afresh" in other.stderr and "other params, data or code" in other.stderr


@pytest.mark.slow
def test_dvclive_metrics_show_the_final_step_after_a_resume(micro_project):
    _set(micro_project, iterations=4)
    run_stage("train", micro_project)
    _set(micro_project, iterations=8)
    run_stage("train", micro_project)
    metrics = json.loads((micro_project / "dvclive" / "metrics.json").read_text())
    assert metrics["step"] == 8
    steps = np.loadtxt(micro_project / "dvclive/plots/metrics/train/loss.tsv", skiprows=1)[:, 0]
    assert steps.tolist() == sorted(set(steps.tolist())) and steps[-1] == 8  # no step logged twice


@pytest.mark.slow
def test_loss_falls_and_logs_for_dvc_plots(micro_project):
    _set(micro_project, iterations=40, log_every=5, lr=1e-3)
    run_stage("train", micro_project)
    log = np.loadtxt(micro_project / "dvclive/plots/metrics/train/loss.tsv", skiprows=1)
    assert log.shape == (8, 2) and log[-3:, 1].mean() < log[:2, 1].mean()
    assert (micro_project / "dvclive/plots/images/preview").is_dir()


@pytest.mark.slow
def test_regression_variant_trains_and_colorizes(micro_project):
    _set(micro_project, loss="regression", iterations=30, log_every=5, lr=1e-3)
    run_stage("train", micro_project)
    log = np.loadtxt(micro_project / "dvclive/plots/metrics/train/loss.tsv", skiprows=1)
    assert log[-2:, 1].mean() < log[:2, 1].mean()
    saved = torch.load(micro_project / "models" / "colorizer.pt", weights_only=True)
    assert saved["head"] == "regression" and saved["model"]["model8.6.weight"].shape[0] == 2
    run_stage("colorize", micro_project)
    ours = np.load(micro_project / "data" / "colorized" / "ours.npy")
    assert ours.shape == np.load(micro_project / "data" / "colorized" / "gt.npy").shape


@pytest.mark.slow
def test_ddp_two_processes_on_cpu_agree(micro_project):
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    proc = run_stage("train", micro_project, launcher=launcher, env={"OMP_NUM_THREADS": "1"})
    assert "all 2 replicas agree" in proc.stderr
    assert (micro_project / "models" / "colorizer.pt").is_file()


@pytest.mark.slow
def test_nan_loss_stops_with_the_iteration(micro_project):
    _set(micro_project, lr=1e30)  # diverges at once
    proc = run_stage("train", micro_project, check=False)
    assert proc.returncode != 0 and "at iteration" in proc.stderr and "last good checkpoint" in proc.stderr


@pytest.mark.slow
def test_a_second_training_in_the_workspace_is_refused_then_a_stale_lock_taken_over(micro_project):
    import os

    _set(micro_project, iterations=400, log_every=50)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLORIZATION_PARAMS": str(micro_project / "params.yaml"),
           "OMP_NUM_THREADS": "1"}
    first = subprocess.Popen([sys.executable, "-m", "stages.train"], cwd=micro_project, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lock = micro_project / "models" / "train.lock"
        for _ in range(300):
            if lock.is_file() and lock.read_text().strip() == str(first.pid):
                break
            time.sleep(0.1)
        second = run_stage("train", micro_project, check=False)
        assert second.returncode != 0 and f"PID {first.pid}" in second.stderr
    finally:
        first.kill()  # kill -9: the lock file stays behind, its holder gone
        first.wait()
    _set(micro_project, iterations=3)
    third = run_stage("train", micro_project)
    assert "train: 3 iterations done" in third.stderr


def test_the_fingerprint_covers_the_code_that_shapes_the_weights_and_nothing_else():
    """Every project module the training imports is either hashed into the run's fingerprint
    (a change there could change the weights: a new run) or listed as unable to (a change to
    progress display or locking must not discard a 20-hour checkpoint). Stage scripts and
    params rules are neither: their params are in the fingerprint, their code is glue."""
    from colorization.checkpoint import NOT_WEIGHT_CODE, WEIGHT_CODE, weight_code_digest
    from test_dvc_integrity import import_closure

    imported = {p.stem for p in import_closure("colorization.training") if p.parent.name == "colorization"}
    imported.discard("__init__")
    unclassified = imported - set(WEIGHT_CODE) - set(NOT_WEIGHT_CODE)
    assert not unclassified, f"classify {sorted(unclassified)} in colorization/checkpoint.py"
    assert {"training", "model", "loss", "bins", "lab", "data"} <= set(WEIGHT_CODE)
    assert not set(WEIGHT_CODE) & set(NOT_WEIGHT_CODE)
    assert weight_code_digest() == weight_code_digest()


def test_memory_estimate_grows_with_the_batch_and_the_crop():
    from colorization.training import memory_estimate

    small, double = memory_estimate(0.125, 64, 32), memory_estimate(0.125, 64, 64)
    weights = memory_estimate(0.125, 64, 0)
    assert double - weights == pytest.approx(2 * (small - weights))
    assert memory_estimate(0.125, 128, 32) > 3.5 * (small - weights)
    assert 50 * 2**20 < small < 2 * 2**30  # the default run's step: tens to hundreds of MB, not GB


@pytest.mark.slow
def test_ablation_training_under_torchrun_completes_with_one_lock(micro_project):
    """The ablation trains through the same run_training as `train`: under torchrun only rank 0
    takes the workspace's training lock, and every rank meets at the barrier before teardown."""
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    proc = run_stage("ablation.train", micro_project, "class", launcher=launcher, env={"OMP_NUM_THREADS": "1"})
    assert "all 2 replicas agree" in proc.stderr and "another training is running" not in proc.stderr
    assert (micro_project / "models" / "ablation" / "class" / "model.pt").is_file()


def test_one_training_run_object_decides_the_fingerprint(tmp_path):
    """The train, ablation and seeds stages describe a run with one TrainingRun: what shapes the
    weights (a seed, the loss, the width, eq. 2's weights, the pixels) changes its fingerprint;
    what only logs or schedules the run does not."""
    import inspect

    from colorization.training import TrainingRun, run_training
    from stages.params import model, runtime, train
    from stages.params.checks import section_defaults

    assert list(inspect.signature(run_training).parameters) == ["run", "say"]
    npy = tmp_path / "train.npy"
    np.save(npy, np.zeros((4, 8, 8, 3), np.uint8))
    images = np.load(npy)
    params = {"train": section_defaults(train), "model": section_defaults(model), "runtime": section_defaults(runtime)}
    weights = np.ones(313)

    def fp(train_over=None, weights=weights, **kw):
        run = TrainingRun.from_params({**params, **kw}, weights, tmp_path / "m.pt", tmp_path / "c.pt",
                                      train={**params["train"], **(train_over or {})}, train_npy=str(npy))
        return run.fingerprint(1, images)

    base = fp()
    assert fp({"log_every": 7, "checkpoint_every": 3, "workers": 2, "iterations": 9}) == base
    for shaping in ({"seed": 1}, {"loss": "regression"}, {"soft_k": 3}, {"crop": 56}):
        assert fp(shaping) != base, shaping
    assert fp(model={"width": 0.25}) != base
    assert fp(weights=np.full(313, 2.0)) != base
    np.save(npy, np.ones((4, 8, 8, 3), np.uint8))
    assert fp() != base  # other pixels


def test_the_stages_and_the_bench_scripts_build_their_runs_from_the_params_rules():
    """No hand-written training configuration: every stage that trains passes a TrainingRun,
    and the bench scripts' step settings are the train section's defaults."""
    sys.path.insert(0, str(ROOT))
    from bench.train_throughput import CFG, WIDTH
    from stages.params import model, train
    from stages.params.checks import section_defaults

    assert CFG == section_defaults(train) and WIDTH == section_defaults(model)["width"]
    for stage in ("train.py", "ablation/train.py", "seeds/train.py"):
        text = (ROOT / "stages" / stage).read_text()
        assert "run_training(run" in text or "run_training(TrainingRun" in text, stage


def test_the_training_preview_labels_its_rows():
    from colorization.inference import PREVIEW_ROWS, preview_grid

    torch.manual_seed(0)
    truth = np.random.default_rng(0).integers(0, 255, (4, 16, 16, 3), dtype=np.uint8)
    grid = np.asarray(preview_grid(ColorizationNet(0.0625), truth, torch.device("cpu")))
    assert grid.shape == (16 * len(PREVIEW_ROWS), 40 + 4 * 16, 3)
    assert (grid[32:, 40:] == truth.transpose(1, 0, 2, 3).reshape(16, 64, 3)).all()  # the last row is the truth
    for k in range(len(PREVIEW_ROWS)):  # each row's label strip has ink
        assert (grid[16 * k : 16 * (k + 1), :40] < 128).any(), PREVIEW_ROWS[k]
