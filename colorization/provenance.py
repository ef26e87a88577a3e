"""What decides a run's bytes besides its code, params and data: the versions, the machine's
instruction set as PyTorch dispatches to it, the GPU and its libraries, the thread count, the
precision. The train stage records it (``reports/environment.json``); `make verify` prints the
reference's beside this run's and says which differences change bytes."""

import os
import platform
import subprocess

import torch

# key: what a difference in it does to the bytes of a run
EFFECT = {
    "torch": "changes bytes (other kernels)",
    "cpu_capability": "changes bytes (AVX2 and AVX-512 kernels round float32 sums differently)",
    "isa_limits": "changes bytes (limits the instruction set the kernels use)",
    "cuda": "changes bytes", "cudnn": "changes bytes", "gpu": "changes bytes", "driver": "may change bytes",
    "device": "changes bytes (CPU and GPU kernels differ)",
    "precision": "changes bytes (bf16 against fp32)",
    "threads": "may change bytes (the split of reductions over threads)",
    "numpy": "may change bytes (synthetic data, statistics)",
    "cpu": "none by itself: the instruction set above is what matters",
    "python": "none expected", "machine": "changes bytes (another architecture)",
    "commit": "changes bytes only where the code differs (`dvc status` names the stages)",
}
ISA_VARIABLES = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_commit() -> str | None:
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
        # only the code counts as modified: a run itself rewrites dvc.lock and the reports
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "colorization", "stages",
                                "dvc.yaml"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if head.returncode != 0:
        return None
    return head.stdout.strip()[:12] + (" (modified)" if dirty.stdout.strip() else "")


def _driver() -> str | None:
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip().splitlines()[0] if out.returncode == 0 and out.stdout.strip() else None


def environment(device=None, precision=None) -> dict:
    """This process's environment as far as it decides bytes."""
    import numpy

    device = torch.device(device or "cpu")
    cuda = device.type == "cuda"
    limits = {k: os.environ[k] for k in ISA_VARIABLES if os.environ.get(k)}
    return {
        "torch": torch.__version__, "numpy": numpy.__version__, "python": platform.python_version(),
        "machine": platform.machine(), "cpu": _cpu_model(), "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "isa_limits": ", ".join(f"{k}={v}" for k, v in sorted(limits.items())) or None,
        "threads": torch.get_num_threads(), "device": device.type, "precision": precision or "fp32",
        "cuda": torch.version.cuda if cuda else None,
        "cudnn": torch.backends.cudnn.version() if cuda else None,
        "gpu": torch.cuda.get_device_name(device) if cuda else None,
        "driver": _driver() if cuda else None,
        "commit": _git_commit(),
    }


def compare(ref: dict, run: dict) -> list:
    """(key, reference, this run, effect) for every key, effect '' where they agree."""
    rows = []
    for key in EFFECT:
        a, b = ref.get(key), run.get(key)
        same = a == b or (key == "commit" and a and b and a.split()[0] == b.split()[0] and "modified" not in str(b))
        rows.append((key, a, b, "" if same else EFFECT[key]))
    return rows


def table(rows) -> str:
    lines = [f"{'':<15} {'reference':<34} {'this run':<34} effect of the difference"]
    for key, a, b, effect in rows:
        lines.append(f"{key:<15} {str(a)[:34]:<34} {str(b)[:34]:<34} {effect or 'same'}")
    return "\n".join(lines)
