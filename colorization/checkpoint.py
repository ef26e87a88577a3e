"""Resumable training: a checkpoint belongs to one run, named by a fingerprint of everything
that determines the weights (params, rebalancing weights, training pixels, the code that
shapes the weights), and is resumed only by that run."""

import hashlib
import importlib
import json
from pathlib import Path

import numpy as np
import torch

from .atomic import save_torch

# The modules whose code determines the trained weights (tests/test_training.py holds every
# module colorization.training imports to this list or to NOT_WEIGHT_CODE). A change to
# progress display, file locking or the previews must not discard a 20-hour checkpoint.
WEIGHT_CODE = ("bins", "checkpoint", "data", "devices", "grid", "lab", "loss", "model", "training")
# decode, inference and temperature draw the previews
NOT_WEIGHT_CODE = ("atomic", "decode", "errors", "inference", "lock", "progress", "shapes", "temperature")


def unwrap(model):
    """The module inside a DistributedDataParallel or torch.compile wrapper (or the model itself)."""
    model = model.module if hasattr(model, "module") else model
    return getattr(model, "_orig_mod", model)


def fingerprint(*parts) -> str:
    """A short hash of everything that defines a run."""
    h = hashlib.sha256()
    for p in parts:
        if isinstance(p, np.ndarray):
            h.update(np.ascontiguousarray(p).tobytes())
        else:
            h.update(json.dumps(p, sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]


def content_digest(path, chunk=1 << 24) -> str:
    """Hash of a file's bytes (the training pixels), read in chunks: a new data seed or a
    replaced photo changes it even where every file name in the manifest stays the same."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def weight_code_digest() -> str:
    """Hash of the source of ``WEIGHT_CODE``: what could change the weights, and nothing else."""
    files = [Path(importlib.import_module(f"colorization.{m}").__file__) for m in WEIGHT_CODE]
    return fingerprint(*[(f.name, f.read_text()) for f in files])


def save_checkpoint(path, model, optimizer, iteration, run_id, schedule):
    """Atomically write model, optimizer and RNG states at ``iteration`` (done steps)."""
    state = {
        "iteration": iteration, "run_id": run_id, "schedule": schedule,
        "model": unwrap(model).state_dict(), "optimizer": optimizer.state_dict(),
        "torch_rng": torch.get_rng_state(), "numpy_rng": _np_state(),
        "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }
    save_torch(state, path)


def resumable(path, run_id, iterations, schedule_of) -> tuple:
    """(iteration to continue from, reason) for the checkpoint at ``path``: 0 and why not
    unless it belongs to this run, lies at or before ``iterations`` and took the same learning
    rates this run would have (``schedule_of(n)``: the digest of this run's first n rates)."""
    path = Path(path)
    if not path.is_file():
        return 0, "no checkpoint"
    state = torch.load(path, map_location="cpu", weights_only=True)
    done = int(state["iteration"])
    if state.get("run_id") != run_id:
        return 0, "the checkpoint belongs to other params, data or code"
    if done > iterations:
        return 0, (f"the checkpoint is at iteration {done}, past train.iterations = {iterations}; "
                   "a fresh run of the lower count gives its exact weights")
    if state.get("schedule") != schedule_of(done):
        return 0, f"the learning-rate schedule of its first {done} iterations differs (it depends on train.iterations)"
    return done, f"resuming from iteration {done}"


def load_checkpoint(path, model, optimizer, device="cpu") -> int:
    """Restore a checkpoint that ``resumable`` accepted; returns its iteration."""
    state = torch.load(path, map_location=device, weights_only=True)
    unwrap(model).load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    torch.set_rng_state(state["torch_rng"].cpu())
    np.random.set_state(_np_unstate(state["numpy_rng"]))
    if state["cuda_rng"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda_rng"]])
    return int(state["iteration"])


def saved_run(path) -> tuple:
    """(run id, iterations) of a saved model, or (None, None): no file, or not one of ours."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (FileNotFoundError, RuntimeError, ValueError, OSError):
        return None, None
    return (state.get("run_id"), state.get("iterations")) if isinstance(state, dict) else (None, None)


def _np_state():
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return {"keys": torch.from_numpy(keys.astype(np.int64)), "pos": pos, "has_gauss": has_gauss, "cached": cached}


def _np_unstate(s):
    return ("MT19937", s["keys"].numpy().astype(np.uint32), int(s["pos"]), int(s["has_gauss"]), float(s["cached"]))
