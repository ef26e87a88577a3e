"""Training the colourization network: one step, the optimizer and learning-rate schedule,
and ``run_training``, the whole resumable run that the train stage and the optional
pipelines (ablation, seeds) share.

The step takes raw uint8 crops and does everything else on the training device:
sRGB -> Lab, ab pooled to the output resolution, soft-encoding over 313 bins, the
loss, backward and the optimizer step. It never builds a tensor from Python values
and never reads a value back to the host, so on CUDA the CPU can queue steps ahead
of the GPU. Under ``precision: bf16`` the forward runs in bfloat16 autocast (the
CUDA default); the loss is always computed in fp32.
"""

import contextlib
import math
import os
import shutil
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .atomic import atomic_path, save_torch
from .bins import ab_bins
from .checkpoint import (content_digest, fingerprint, load_checkpoint, resumable, save_checkpoint, saved_run,
                         unwrap, weight_code_digest)
from .data import training_loader
from .devices import setup_distributed, teardown_distributed
from .lab import from_uint8
from .loss import colorization_loss, regression_loss
from .model import ColorizationNet, target_ab
from .progress import Progress

# Params that do not change the trained weights, or (iterations, the schedule) that are
# checked step by step against the checkpoint instead of as a whole.
NOT_IN_FINGERPRINT = ("workers", "checkpoint_every", "log_every", "preview_every", "iterations", "lr", "lr_schedule",
                      "lr_warmup")
FAULT_AT_ENV = "COLORIZATION_KILL_AT_ITERATION"  # tests: a real kill -9 mid-run, to prove resuming works


def lab_batch(x_uint8: torch.Tensor, device) -> tuple:
    """uint8 (N,3,h,w) -> (L (N,1,h,w), ab at output resolution (N,2,h/4,w/4)) on ``device``."""
    lab = from_uint8(x_uint8.to(device, non_blocking=True))
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


def memory_estimate(width: float, crop: int, batch: int, head="classification") -> int:
    """Bytes a CPU training step needs, roughly: every layer's output kept for backward, its
    gradient and as much again in workspace, the loss's per-pixel distances to the 313 bins,
    and the weights with their gradients and Adam moments. Shapes come from a forward pass on
    the meta device, which allocates nothing."""
    sizes = []
    with torch.device("meta"):
        net = ColorizationNet(width, head)
        for m in net.modules():
            if not list(m.children()):
                m.register_forward_hook(lambda mod, i, o: sizes.append(o.numel()))
        net(torch.empty(1, 1, crop, crop))
    per_image = 4 * 3 * sum(sizes) + 4 * 4 * 313 * (crop // 4) ** 2
    weights = 4 * 4 * sum(p.numel() for p in net.parameters())
    return batch * per_image + weights


def free_memory(device) -> int:
    """Bytes free on ``device``: the GPU's free memory, or the system's MemAvailable."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")


@dataclass(frozen=True)
class TrainingRun:
    """One training of the colourization network, as the train, ablation and seeds stages
    describe it: the ``train`` params section (with a stage's overrides: the seed of a seed
    study, the loss of an ablation variant), the network's width, the rebalancing weights of
    eq. 2 and where the run reads and writes."""

    train: dict  # the train section of params.yaml
    width: float  # model.width
    weights: np.ndarray  # (Q,) per-bin rebalancing weights
    out: Path  # the trained model
    checkpoint: Path
    live_dir: Path | None = None  # dvclive logs; None: no logs
    train_npy: str = "data/resized/train.npy"
    preview_npy: str | None = None  # images shown in the logged previews
    device: str = "auto"  # runtime.device
    lock: str | None = None  # one training per workspace
    reuse: tuple = ()  # models that may be this very run (copied instead of trained again)
    desc: str = "train"

    @classmethod
    def from_params(cls, params, weights, out, checkpoint, **kw):
        """From the sections ``train``, ``model`` and ``runtime`` of params.yaml (a mapping of
        mappings); ``train`` may be given in ``kw`` to override the section."""
        train = dict(kw.pop("train", params["train"]))
        return cls(train, params["model"]["width"], np.asarray(weights), Path(out), Path(checkpoint),
                   device=params["runtime"]["device"], **kw)

    def fingerprint(self, world: int, images) -> str:
        """What decides the weights: the params that shape them, the width, the number of
        ranks, the weights of eq. 2, the training pixels and the weight-shaping code."""
        shaping = {k: v for k, v in self.train.items() if k not in NOT_IN_FINGERPRINT}
        return fingerprint(shaping, self.width, world, np.asarray(self.weights, np.float64), list(images.shape),
                           content_digest(self.train_npy), weight_code_digest())


def run_training(run: TrainingRun, say=print):
    """Train from scratch (or resume) as ``run`` says; the model goes to ``run.out``.

    Under ``torchrun`` each rank trains its slice of every batch and only rank 0 writes; the
    ``run.lock`` file (one training per workspace) is held by rank 0 alone, and every rank meets
    at a barrier before the process group is torn down. A model in ``run.reuse`` that belongs
    to exactly this run (same fingerprint and iterations) is copied instead of trained again."""
    from .lock import TrainingLock

    rank, world, device = setup_distributed(run.device)
    try:
        with TrainingLock(run.lock) if rank == 0 and run.lock else contextlib.nullcontext():
            _fit(run, rank, world, device, say)
    finally:
        teardown_distributed(world)


def _reused(run, run_id, rank, say) -> bool:
    """Copy (or keep) a model of ``run.reuse`` that is this very run; True if there was one."""
    out = Path(run.out)
    for candidate in map(Path, run.reuse):
        if saved_run(candidate) == (run_id, run.train["iterations"]):
            if rank == 0 and candidate.resolve() != out.resolve():
                with atomic_path(out) as tmp:
                    shutil.copyfile(candidate, tmp)
            say(f"{run.desc}: {candidate} is this very run (same params, data and code); "
                + ("kept it" if candidate.resolve() == out.resolve() else f"copied it to {out}")
                + " instead of training again")
            return True
    return False


def _fit(run, rank, world, device, say):
    cfg, desc, ckpt = run.train, run.desc, Path(run.checkpoint)
    images = np.load(run.train_npy, mmap_mode="r")
    run_id = run.fingerprint(world, images)
    if _reused(run, run_id, rank, say):
        return
    torch.manual_seed(cfg["seed"])  # same initial weights on every rank
    np.random.seed(cfg["seed"])  # its state goes into checkpoints: the same bytes on every run
    model, opt = build_model(cfg, run.width, device, world)
    amp = autocast_dtype(cfg["precision"], device)
    class_weights = torch.tensor(np.asarray(run.weights), dtype=torch.float32, device=device)
    bins = torch.from_numpy(ab_bins()).to(device)
    stop = cfg["iterations"]
    start, why = resumable(ckpt, run_id, stop, lambda n: schedule_digest(cfg, n))
    if start:
        load_checkpoint(ckpt, model, opt, device=device)
    say(f"{desc}: {why}" if start else f"{desc}: starting afresh ({why})")
    live = _open_live(run.live_dir, start) if rank == 0 and run.live_dir else None
    preview = None
    if rank == 0 and run.preview_npy is not None:
        from .inference import preview_grid, preview_images

        preview = preview_images(np.load(run.preview_npy, mmap_mode="r"))
    workers = cfg["workers"] if cfg["workers"] is not None else _default_workers(device, world)
    loader = training_loader(images, cfg["batch_size"], start, stop, cfg["seed"], cfg["crop"], cfg["flip"],
                             workers, device.type == "cuda", rank, world)
    fault_at = int(os.environ.get(FAULT_AT_ENV, 0))
    model.train()
    seen, t0, last_loss = 0, time.perf_counter(), None
    progress = Progress(stop, desc, initial=start, enabled=rank == 0)
    loss_sum, n_losses = torch.zeros((), device=device), 0  # summed on the device: one sync per log
    for it, batch in enumerate(loader, start=start):
        set_lr(opt, lr_at(it, cfg))
        loss_sum += train_step(model, opt, batch, bins, class_weights, cfg, device, amp)
        n_losses += 1
        seen += batch.shape[0] * world
        done = it + 1
        if done % cfg["log_every"] == 0 or done == stop:
            value = loss_sum.item() / n_losses  # mean over the interval: a readable learning curve
            loss_sum.zero_()
            n_losses = 0
            if not math.isfinite(value):
                raise SystemExit(f"{desc}: loss is {value} at iteration {done}; stopped. The last good checkpoint "
                                 f"is {ckpt} if it exists (lower train.lr, or check the data)")
            rate = seen / (time.perf_counter() - t0)
            last_loss = value
            if live:
                live.step = done
                live.log_metric("train/loss", value)
                live.log_metric("train/lr", opt.param_groups[0]["lr"])
                live.log_metric("train/images_per_s", rate)
            progress.values.update(loss=round(value, 4), img_s=round(rate))
        if preview is not None and (done % cfg["preview_every"] == 0 or done == stop):
            live.log_image(f"preview/{done:07d}.png", preview_grid(unwrap(model), preview, device))
            model.train()
        if rank == 0 and (done % cfg["checkpoint_every"] == 0 or done == stop):
            if not torch.isfinite(loss_sum):  # never overwrite the last good checkpoint with NaN weights
                raise SystemExit(f"{desc}: loss is not finite before iteration {done}; stopped. The last good "
                                 f"checkpoint is {ckpt} if it exists (lower train.lr, or check the data)")
            save_checkpoint(ckpt, model, opt, done, run_id, schedule_digest(cfg, done))
        progress.update(1)
        if fault_at == done:
            os.kill(os.getpid(), signal.SIGKILL)
    progress.close()
    if rank == 0:
        save_torch({"model": unwrap(model).state_dict(), "width": run.width, "head": cfg["loss"], "run_id": run_id,
                    "iterations": stop, "image_size": images.shape[1]}, run.out)
        if live:
            live.step = stop
            live.make_summary()  # on resume, end() alone would restore the step of the old summary
            live.end()
        done_now = f"final logged loss {last_loss:.4f}" if last_loss is not None else "nothing left to train"
        say(f"{desc}: {stop} iterations done ({done_now}); wrote {run.out}")
    if world > 1:
        _check_replicas(model, rank, say)


def build_model(cfg, width, device, world=1):
    """The network (channels_last, DDP- and compile-wrapped where asked) and its optimizer."""
    # channels_last on every device: cuDNN's tensor-core kernels want it, and oneDNN's CPU
    # convolutions run 14 % faster with it on the CPU demo (bench/train_throughput.py)
    model = ColorizationNet(width, head=cfg["loss"]).to(device).to(memory_format=torch.channels_last)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed crop size: pick the fastest kernels once
    opt = make_optimizer([p for p in model.parameters() if p.requires_grad], cfg, device)
    if world > 1:
        ids = [device.index] if device.type == "cuda" else None
        model = torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)
    if cfg["compile"]:
        model = torch.compile(model)
    return model, opt


def _default_workers(device, world):
    """Loader processes: on the CPU they only compete with the training threads (measured:
    no gain on 2 cores), so none there unless there are cores to spare."""
    cores = os.cpu_count() or 1
    if device.type == "cuda":
        return min(8, max(0, cores // world - 1))
    return 1 if cores > 4 else 0


def _check_replicas(model, rank, say):
    """DDP keeps the parameters of all replicas identical; verify it rather than trust it.
    (BatchNorm running statistics are per rank; DDP broadcasts rank 0's, which is saved.)"""
    import torch.distributed as dist

    flat = torch.cat([t.detach().float().flatten() for t in unwrap(model).parameters()]).cpu()
    sums = [torch.zeros(2) for _ in range(dist.get_world_size())]
    dist.all_gather(sums, torch.stack([flat.sum(), (flat * flat).sum()]).to(torch.float32))
    if any(not torch.equal(s, sums[0]) for s in sums):
        raise SystemExit(f"train: DDP replicas disagree: {sums}")
    if rank == 0:
        say(f"train: all {len(sums)} replicas agree")


def _open_live(live_dir, start):
    """dvclive logger over a persistent folder: cleared for a fresh run; on resume the
    rows logged after the checkpoint are dropped so no step appears twice."""
    from dvclive import Live

    live_dir = Path(live_dir)
    if start == 0:  # what dvclive writes; DVC's .gitignore for the previews stays
        for old in ("metrics.json", "plots/metrics", "plots/images", "report.html"):
            path = live_dir / old
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
    else:
        for tsv in (live_dir / "plots" / "metrics").rglob("*.tsv"):
            rows = tsv.read_text().splitlines()
            keep = [rows[0]] + [r for r in rows[1:] if int(float(r.split("\t")[0])) <= start]
            tsv.write_text("\n".join(keep) + "\n")
    live = Live(str(live_dir), resume=start > 0, dvcyaml=None, save_dvc_exp=False, report=None)
    live.step = start
    return live
