"""Stage `train`: train ColorizationNet from scratch on the resized train split.

Resumable: a checkpoint of model, optimizer and RNG states is written every
`train.checkpoint_every` iterations to models/checkpoints/ (a DVC `persist`
output). Re-running after an interruption (kill -9 included) continues from it and
ends with the same weights as an uninterrupted run. A checkpoint is resumed only by
the run it belongs to: same params, same training pixels, same code, at most
`train.iterations` steps, and the same learning rate on every step it took;
anything else starts afresh and says why. One training at a time per workspace
(models/train.lock holds the PID of the one running).
Multi-GPU / multi-node: launch with `torchrun --nproc_per_node=N -m stages.train`.
"""

import math
import os
import signal
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.distributed as dist

from colorization.atomic import save_torch
from colorization.bins import ab_bins
from colorization.data import training_loader
from colorization.inference import preview_grid, preview_images
from colorization.lock import TrainingLock
from colorization.model import ColorizationNet
from colorization.training import (autocast_dtype, content_digest, fingerprint, load_checkpoint, loaded_code_digest,
                                   lr_at, make_optimizer, resumable, save_checkpoint, schedule_digest, set_lr,
                                   train_step, unwrap)
from stages.common import ROOT, load_params, pick_device, run, say

CKPT = Path("models/checkpoints/last.pt")
OUT = Path("models/colorizer.pt")
LOCK = Path("models/train.lock")
LIVE_DIR = Path("dvclive")
FAULT_AT = int(os.environ.get("COLORIZATION_KILL_AT_ITERATION", 0))
# Params that do not change the trained weights, or (iterations, the schedule) that are
# checked step by step against the checkpoint instead of as a whole.
NOT_IN_FINGERPRINT = ("workers", "checkpoint_every", "log_every", "preview_every", "iterations", "lr", "lr_schedule",
                      "lr_warmup")


def setup_distributed(device_name):
    """Rank, world size and device; torchrun sets the env variables, plain python is rank 0 of 1."""
    world = int(os.environ.get("WORLD_SIZE", 1))
    if world == 1:
        return 0, 1, pick_device(device_name)
    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", 0))
    if pick_device(device_name).type == "cuda":
        torch.cuda.set_device(local)
        dist.init_process_group("nccl")
        return rank, world, torch.device("cuda", local)
    dist.init_process_group("gloo")
    return rank, world, torch.device("cpu")


def build(cfg, width, device, world):
    torch.manual_seed(cfg["seed"])  # same initial weights on every rank
    np.random.seed(cfg["seed"])  # its state goes into checkpoints: the same bytes on every run
    model = ColorizationNet(width, head=cfg["loss"]).to(device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed crop size: pick the fastest kernels once
        model = model.to(memory_format=torch.channels_last)
    opt = make_optimizer([p for p in model.parameters() if p.requires_grad], cfg, device)
    if world > 1:
        ids = [device.index] if device.type == "cuda" else None
        model = torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)
    if cfg["compile"]:
        model = torch.compile(model)
    return model, opt


def main():
    p = load_params()
    cfg, width = dict(p["train"]), p["model"]["width"]
    rank, world, device = setup_distributed(p["runtime"]["device"])
    weights = pd.read_csv("data/prior.csv")["weight"].to_numpy()
    with TrainingLock(LOCK) if rank == 0 else _nothing():
        train(cfg, width, weights, rank, world, device, OUT, CKPT, LIVE_DIR)
    if world > 1:
        # every rank arrives before any tears down: a gloo peer that closes its connections
        # while rank 0 is still saving or logging can abort rank 0 at exit
        dist.barrier()
        dist.destroy_process_group()


def train(cfg, width, weights, rank, world, device, out, ckpt, live_dir):
    """Train from scratch (or resume) on data/resized/train.npy with per-bin rebalancing
    ``weights``; writes the model to ``out``, checkpoints to ``ckpt``, logs to ``live_dir``."""
    images = np.load("data/resized/train.npy", mmap_mode="r")
    class_weights = torch.tensor(weights, dtype=torch.float32, device=device)
    bins = torch.from_numpy(ab_bins()).to(device)
    model, opt = build(cfg, width, device, world)
    amp = autocast_dtype(cfg["precision"], device)

    run_cfg = {k: v for k, v in cfg.items() if k not in NOT_IN_FINGERPRINT}
    run_id = fingerprint(run_cfg, width, world, weights, list(images.shape),
                         content_digest("data/resized/train.npy"), loaded_code_digest(ROOT))
    start, why = resumable(ckpt, run_id, cfg)
    if start:
        load_checkpoint(ckpt, model, opt, device=device)
    say(f"train: {why}" if start else f"train: starting afresh ({why})")
    stop = cfg["iterations"]
    live = _open_live(live_dir, start) if rank == 0 else None
    preview = preview_images(np.load("data/resized/val.npy", mmap_mode="r")) if rank == 0 else None

    workers = cfg["workers"] if cfg["workers"] is not None else _default_workers(device, world)
    loader = training_loader(images, cfg["batch_size"], start, stop, cfg["seed"], cfg["crop"], cfg["flip"],
                             workers, device.type == "cuda", rank, world)
    model.train()
    seen, t0, last_loss = 0, time.perf_counter(), None
    progress = _progress(start, stop, rank)
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
                raise SystemExit(f"train: loss is {value} at iteration {done}; stopped. The last good checkpoint "
                                 f"is {ckpt} if it exists (lower train.lr, or check the data)")
            rate = seen / (time.perf_counter() - t0)
            last_loss = value
            if live:
                live.step = done
                live.log_metric("train/loss", value)
                live.log_metric("train/lr", opt.param_groups[0]["lr"])
                live.log_metric("train/images_per_s", rate)
            progress.set_postfix(loss=f"{value:.3f}", img_s=f"{rate:.0f}")
        if rank == 0 and (done % cfg["preview_every"] == 0 or done == stop):
            live.log_image(f"preview/{done:07d}.png", preview_grid(unwrap(model), preview, device))
            model.train()
        if rank == 0 and (done % cfg["checkpoint_every"] == 0 or done == stop):
            if not torch.isfinite(loss_sum):  # never overwrite the last good checkpoint with NaN weights
                raise SystemExit(f"train: loss is not finite before iteration {done}; stopped. The last good "
                                 f"checkpoint is {ckpt} if it exists (lower train.lr, or check the data)")
            save_checkpoint(ckpt, model, opt, done, run_id, schedule_digest(cfg, done))
        progress.update(1)
        if FAULT_AT == done:  # tests: a real kill -9 mid-run, to prove resuming works
            os.kill(os.getpid(), signal.SIGKILL)
    progress.close()
    if rank == 0:
        _save_final(out, unwrap(model), width, cfg, run_id, images.shape[1])
        if live:
            live.step = stop
            live.make_summary()  # on resume, end() alone would restore the step of the old summary
            live.end()
        say(f"train: {stop} iterations done; final logged loss {last_loss}; wrote {out}")
    if world > 1:
        _check_replicas(model, rank)


def _nothing():
    from contextlib import nullcontext

    return nullcontext()


def _default_workers(device, world):
    """Loader processes: on the CPU they only compete with the training threads (measured:
    no gain on 2 cores), so none there unless there are cores to spare."""
    cores = os.cpu_count() or 1
    if device.type == "cuda":
        return min(8, max(0, cores // world - 1))
    return 1 if cores > 4 else 0


def _check_replicas(model, rank):
    """DDP keeps the parameters of all replicas identical; verify it rather than trust it.
    (BatchNorm running statistics are per rank; DDP broadcasts rank 0's, which is saved.)"""
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
    import shutil

    from dvclive import Live

    if start == 0:  # what dvclive writes; DVC's .gitignore for the previews stays
        for old in ("metrics.json", "plots/metrics", "plots/images", "report.html"):
            path = Path(live_dir) / old
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
    else:
        for tsv in (Path(live_dir) / "plots" / "metrics").rglob("*.tsv"):
            rows = tsv.read_text().splitlines()
            keep = [rows[0]] + [r for r in rows[1:] if int(float(r.split("\t")[0])) <= start]
            tsv.write_text("\n".join(keep) + "\n")
    live = Live(str(live_dir), resume=start > 0, dvcyaml=None, save_dvc_exp=False, report=None)
    live.step = start
    return live


def _save_final(out, model, width, cfg, run_id, image_size):
    save_torch({"model": model.state_dict(), "width": width, "head": cfg["loss"], "run_id": run_id,
                "iterations": cfg["iterations"], "image_size": image_size}, out)


def _progress(start, stop, rank):
    from tqdm import tqdm

    return tqdm(total=stop, initial=start, desc="train", mininterval=5, disable=None if rank == 0 else True)


if __name__ == "__main__":
    run(main)
