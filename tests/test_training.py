"""Training-stage behaviour: it learns, resumes after kill -9 to the same weights,
runs under torchrun (DDP, gloo on CPU) with agreeing replicas, and stops on NaN."""

import shutil
import sys

import numpy as np
import pytest
import torch
import yaml

from colorization.data import batch_plan
from conftest import run_stage


def _weights(project):
    return torch.load(project / "models" / "colorizer.pt", weights_only=True)["model"]


def test_batch_plan_is_a_function_of_iteration_and_shards_ranks():
    a = batch_plan(10, 4, 3, 0, 32, 24, 0.5)
    assert a == batch_plan(10, 4, 3, 0, 32, 24, 0.5) and a != batch_plan(10, 4, 4, 0, 32, 24, 0.5)
    r0 = batch_plan(10, 2, 3, 0, 32, 24, 0.5, rank=0, world=2)
    r1 = batch_plan(10, 2, 3, 0, 32, 24, 0.5, rank=1, world=2)
    assert sorted(r0 + r1) == sorted(a)
    epoch = [i for it in range(5) for i, *_ in batch_plan(10, 2, it, 0, 32, 24, 0.5)]
    assert sorted(epoch) == list(range(10))  # every image once per epoch


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
    a, b = _weights(clean), _weights(micro_project)
    assert all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.slow
def test_changed_params_do_not_resume_a_stale_checkpoint(micro_project):
    run_stage("train", micro_project)
    params = yaml.safe_load((micro_project / "params.yaml").read_text())
    params["train"]["lr"] = 1e-4
    (micro_project / "params.yaml").write_text(yaml.safe_dump(params))
    again = run_stage("train", micro_project)
    assert "starting afresh" in again.stderr


@pytest.mark.slow
def test_loss_falls_and_logs_for_dvc_plots(micro_project):
    params = yaml.safe_load((micro_project / "params.yaml").read_text())
    params["train"].update(iterations=40, log_every=5, lr=1e-3)
    (micro_project / "params.yaml").write_text(yaml.safe_dump(params))
    run_stage("train", micro_project)
    log = np.loadtxt(micro_project / "dvclive/plots/metrics/train/loss.tsv", skiprows=1)
    assert log.shape == (8, 2) and log[-3:, 1].mean() < log[:2, 1].mean()
    assert (micro_project / "dvclive/plots/images/preview").is_dir()


@pytest.mark.slow
def test_ddp_two_processes_on_cpu_agree(micro_project):
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    proc = run_stage("train", micro_project, launcher=launcher, env={"OMP_NUM_THREADS": "1"})
    assert "all 2 replicas agree" in proc.stderr
    assert (micro_project / "models" / "colorizer.pt").is_file()


@pytest.mark.slow
def test_nan_loss_stops_with_the_iteration(micro_project):
    params = yaml.safe_load((micro_project / "params.yaml").read_text())
    params["train"]["lr"] = 1e30  # diverges at once
    (micro_project / "params.yaml").write_text(yaml.safe_dump(params))
    proc = run_stage("train", micro_project, check=False)
    assert proc.returncode != 0 and "at iteration" in proc.stderr and "last good checkpoint" in proc.stderr
