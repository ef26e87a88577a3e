"""One training step of the colourization network, and resumable checkpoints.

The step takes raw uint8 crops and does everything else on the training device:
sRGB -> Lab, ab pooled to the output resolution, soft-encoding over 313 bins,
the rebalanced loss, backward and the optimizer step. On CUDA the forward runs
under bf16 autocast with channels_last; the loss is computed in fp32.
"""

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .lab import rgb_to_lab
from .loss import colorization_loss

OUTPUT_STRIDE = 4


def lab_batch(x_uint8: torch.Tensor, device) -> tuple:
    """uint8 (N,3,h,w) -> (L (N,1,h,w), ab at output resolution (N,2,h/4,w/4)) on ``device``."""
    x = x_uint8.to(device, non_blocking=True).float().div_(255.0)
    lab = rgb_to_lab(x)
    return lab[:, :1], F.avg_pool2d(lab[:, 1:], OUTPUT_STRIDE)


def train_step(model, optimizer, x_uint8, bins, class_weights, cfg, device):
    """Forward, rebalanced loss, backward, step; returns the loss as a float tensor (not synced)."""
    L, ab_out = lab_batch(x_uint8, device)
    if device.type == "cuda":
        L = L.contiguous(memory_format=torch.channels_last)
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
        logits = model(L)
    loss = colorization_loss(logits.float(), ab_out, bins, class_weights, k=cfg["soft_k"], sigma=cfg["soft_sigma"],
                             drop_grey_images=cfg["drop_grey_images"])
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.detach()


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


def save_checkpoint(path, model, optimizer, iteration, run_id, scaler=None):
    """Atomically write model, optimizer, scaler and RNG states at ``iteration`` (done steps)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "iteration": iteration, "run_id": run_id,
        "model": unwrap(model).state_dict(), "optimizer": optimizer.state_dict(),
        "scaler": scaler.state_dict() if scaler is not None else {},
        "torch_rng": torch.get_rng_state(), "numpy_rng": _np_state(),
        "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path, model, optimizer, run_id, scaler=None, device="cpu"):
    """Restore a checkpoint of the same run; returns the iteration to continue from (0 if none)."""
    path = Path(path)
    if not path.is_file():
        return 0
    state = torch.load(path, map_location=device, weights_only=True)
    if state.get("run_id") != run_id:
        return -1
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
    """The module inside a DistributedDataParallel wrapper (or the model itself)."""
    return model.module if hasattr(model, "module") else model


def _np_state():
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return {"keys": torch.from_numpy(keys.astype(np.int64)), "pos": pos, "has_gauss": has_gauss, "cached": cached}


def _np_unstate(s):
    return ("MT19937", s["keys"].numpy().astype(np.uint32), int(s["pos"]), int(s["has_gauss"]), float(s["cached"]))
