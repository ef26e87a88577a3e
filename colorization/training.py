"""One training step of the colourization network, its optimizer and learning-rate
schedule, and resumable checkpoints.

The step takes raw uint8 crops and does everything else on the training device:
sRGB -> Lab, ab pooled to the output resolution, soft-encoding over 313 bins, the
loss, backward and the optimizer step. It never builds a tensor from Python values
and never reads a value back to the host, so on CUDA the CPU can queue steps ahead
of the GPU. Under ``precision: bf16`` the forward runs in bfloat16 autocast (the
CUDA default); the loss is always computed in fp32.
"""

import contextlib
import hashlib
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch

from .atomic import save_torch
from .lab import rgb_to_lab
from .loss import colorization_loss, regression_loss
from .model import target_ab

LR_SCHEDULES = ("constant", "cosine")
PRECISIONS = ("auto", "fp32", "bf16")


def lab_batch(x_uint8: torch.Tensor, device) -> tuple:
    """uint8 (N,3,h,w) -> (L (N,1,h,w), ab at output resolution (N,2,h/4,w/4)) on ``device``."""
    x = x_uint8.to(device, non_blocking=True).float().div_(255.0)
    lab = rgb_to_lab(x)
    return lab[:, :1], target_ab(lab[:, 1:])


def autocast_dtype(precision: str, device) -> torch.dtype | None:
    """bf16 where asked for, and by default on CUDA; fp32 (None) by default on the CPU,
    where bf16 would change the weights from one machine to the next."""
    if precision == "bf16" or (precision == "auto" and device.type == "cuda"):
        return torch.bfloat16
    return None


def train_step(model, optimizer, x_uint8, bins, class_weights, cfg, device, amp_dtype=None):
    """Forward, loss, backward, step; returns the loss as a tensor on the device (not synced).

    ``cfg`` holds ``loss`` (classification | regression), ``soft_k``, ``soft_sigma``
    and ``drop_grey_images``; ``class_weights`` (Q,) are the rebalancing weights.
    """
    L, ab_out = lab_batch(x_uint8, device)
    if device.type == "cuda":
        L = L.contiguous(memory_format=torch.channels_last)
    amp = torch.autocast(device.type, dtype=amp_dtype) if amp_dtype is not None else contextlib.nullcontext()
    with amp:
        out = model(L)
    if cfg.get("loss", "classification") == "regression":
        loss = regression_loss(out.float(), ab_out, cfg["drop_grey_images"])
    else:
        loss = colorization_loss(out.float(), ab_out, bins, class_weights, k=cfg["soft_k"], sigma=cfg["soft_sigma"],
                                 drop_grey_images=cfg["drop_grey_images"])
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.detach()


def make_optimizer(params, cfg, device):
    """Adam as in the paper (betas, weight decay): the fused kernel on CUDA, the
    multi-tensor (foreach) one on the CPU, instead of a Python loop over tensors."""
    kind = {"fused": True} if device.type == "cuda" else {"foreach": True}
    return torch.optim.Adam(params, lr=cfg["lr"], betas=tuple(cfg["betas"]), weight_decay=cfg["weight_decay"], **kind)


def set_lr(optimizer, lr: float):
    for group in optimizer.param_groups:
        group["lr"] = lr


def lr_at(iteration: int, cfg) -> float:
    """Learning rate of step ``iteration`` (0-based): linear warm-up over ``lr_warmup``
    steps, then constant (the paper) or a cosine decay to 0 at ``iterations``."""
    base, warm, total = cfg["lr"], cfg.get("lr_warmup", 0), cfg["iterations"]
    if iteration < warm:
        return base * (iteration + 1) / warm
    if cfg.get("lr_schedule", "constant") == "cosine":
        progress = (iteration - warm) / max(1, total - warm)
        return base * 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))
    return base


def schedule_digest(cfg, iterations: int) -> str:
    """A hash of the learning rates of steps [0, iterations): a checkpoint at step i may be
    resumed only by a run whose schedule agrees on every step it has already taken."""
    return fingerprint([lr_at(i, cfg) for i in range(iterations)])


def fingerprint(*parts) -> str:
    """A short hash of everything that defines a run, so a checkpoint is only resumed by
    the run it belongs to (a changed lr or dataset starts afresh)."""
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


def loaded_code_digest(root, packages=("colorization", "stages")) -> str:
    """Hash of every project source file this process has imported: a change to any code
    that ran (and so could shape the weights) means a new run, not a resume."""
    dirs = [Path(root).resolve() / p for p in packages]
    files = set()
    for m in list(sys.modules.values()):
        f = getattr(m, "__file__", None)
        if f and Path(f).is_absolute() and any(Path(f).resolve().is_relative_to(d) for d in dirs):
            files.add(Path(f).resolve())
    return fingerprint(*[(str(f.relative_to(Path(root).resolve())), f.read_text()) for f in sorted(files)])


def save_checkpoint(path, model, optimizer, iteration, run_id, schedule, scaler=None):
    """Atomically write model, optimizer, scaler and RNG states at ``iteration`` (done steps)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "iteration": iteration, "run_id": run_id, "schedule": schedule,
        "model": unwrap(model).state_dict(), "optimizer": optimizer.state_dict(),
        "scaler": scaler.state_dict() if scaler is not None else {},
        "torch_rng": torch.get_rng_state(), "numpy_rng": _np_state(),
        "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }
    save_torch(state, path)


def resumable(path, run_id, cfg) -> tuple:
    """(iteration to continue from, reason) for the checkpoint at ``path``: 0 and why not
    unless it belongs to this run (params, data, code), lies at or before
    ``cfg['iterations']`` and took the same learning rates this run would have."""
    path = Path(path)
    if not path.is_file():
        return 0, "no checkpoint"
    state = torch.load(path, map_location="cpu", weights_only=True)
    done = int(state["iteration"])
    if state.get("run_id") != run_id:
        return 0, "the checkpoint belongs to other params, data or code"
    if done > cfg["iterations"]:
        return 0, (f"the checkpoint is at iteration {done}, past train.iterations = {cfg['iterations']}; "
                   "a fresh run of the lower count gives its exact weights")
    if state.get("schedule") != schedule_digest(cfg, done):
        return 0, f"the learning-rate schedule of its first {done} iterations differs (it depends on train.iterations)"
    return done, f"resuming from iteration {done}"


def load_checkpoint(path, model, optimizer, scaler=None, device="cpu"):
    """Restore a checkpoint that ``resumable`` accepted; returns its iteration."""
    state = torch.load(path, map_location=device, weights_only=True)
    unwrap(model).load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if scaler is not None and state["scaler"]:
        scaler.load_state_dict(state["scaler"])
    torch.set_rng_state(state["torch_rng"].cpu())
    np.random.set_state(_np_unstate(state["numpy_rng"]))
    if state["cuda_rng"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda_rng"]])
    return int(state["iteration"])


def unwrap(model):
    """The module inside a DistributedDataParallel or torch.compile wrapper (or the model itself)."""
    model = model.module if hasattr(model, "module") else model
    return getattr(model, "_orig_mod", model)


def _np_state():
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return {"keys": torch.from_numpy(keys.astype(np.int64)), "pos": pos, "has_gauss": has_gauss, "cached": cached}


def _np_unstate(s):
    return ("MT19937", s["keys"].numpy().astype(np.uint32), int(s["pos"]), int(s["has_gauss"]), float(s["cached"]))
