"""The benchmark scripts run: `make gpu-check` explains itself without a GPU, and the
throughput helpers measure real steps and the loader alone."""

import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import ROOT


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message of a machine without CUDA")
def test_gpu_check_without_cuda_says_so_and_exits_0():
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "gpu_check.py")], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0 and "no CUDA GPU" in proc.stdout


def test_throughput_helpers_measure_steps_and_the_loader():
    sys.path.insert(0, str(ROOT))
    from bench.train_throughput import loader_rate, measure_step

    shapes = {"width": 0.0625, "crop": 24, "size": 32, "batch": 4}
    for kind in ("ours", "naive"):
        assert measure_step(kind, torch.device("cpu"), shapes, steps=2, images=16) > 0
    images = np.zeros((16, 32, 32, 3), np.uint8)
    assert loader_rate(images, shapes, workers=0, batches=3) > 0
