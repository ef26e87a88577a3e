"""Stage `train`: train ColorizationNet from scratch on the resized train split.

Resumable: a checkpoint of model, optimizer, scaler and RNG states is written
every `train.checkpoint_every` iterations to models/checkpoints/ (a DVC
`persist` output); re-running after an interruption (kill -9 included)
continues from it and ends with the same weights as an uninterrupted run.
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

from colorization.bins import ab_bins
from colorization.data import training_loader
from colorization.model import ColorizationNet
from colorization.training import fingerprint, load_checkpoint, save_checkpoint, train_step, unwrap
from stages.common import load_params, pick_device, say
from stages.preview import preview_grid

CKPT = Path("models/checkpoints/last.pt")
OUT = Path("models/colorizer.pt")
LIVE_DIR = "dvclive"
# Params that do not change the trained weights, left out of the run fingerprint.
FAULT_AT = int(os.environ.get("COLORIZATION_KILL_AT_ITERATION", 0))
NOT_IN_FINGERPRINT = ("device", "workers", "checkpoint_every", "log_every", "preview_every", "iterations")


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
    model = ColorizationNet(width).to(device)
    if device.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
    if world > 1:
        model = torch.nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    trainable = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(trainable, lr=cfg["lr"], betas=tuple(cfg["betas"]), weight_decay=cfg["weight_decay"])
    return model, opt


def open_live(resume, step):
    from dvclive import Live

    live = Live(LIVE_DIR, resume=resume, dvcyaml=None, save_dvc_exp=False, report=None)
    live.step = step
    return live


def main():
    p = load_params()
    cfg, width = p["train"], p["model"]["width"]
    rank, world, device = setup_distributed(cfg["device"])
    images = np.load("data/resized/train.npy", mmap_mode="r")
    if cfg["crop"] > images.shape[1]:
        raise SystemExit(f"train.crop {cfg['crop']} is larger than the resized images ({images.shape[1]} px)")
    if cfg["crop"] % 8:
        raise SystemExit(f"train.crop must be a multiple of 8 (three stride-2 convolutions); got {cfg['crop']}")
    weights = pd.read_csv("data/prior.csv")["weight"].to_numpy()
    class_weights = torch.tensor(weights, dtype=torch.float32, device=device)
    bins = torch.from_numpy(ab_bins()).to(device)
    model, opt = build(cfg, width, device, world)

    run_cfg = {k: v for k, v in cfg.items() if k not in NOT_IN_FINGERPRINT}
    run_id = fingerprint(run_cfg, width, world, weights, list(images.shape), _manifest_digest(), _code_digest())
    start = load_checkpoint(CKPT, model, opt, run_id, device=device)
    if start < 0:
        say("train: the checkpoint belongs to other params or data; starting afresh")
        start = 0
    elif start:
        say(f"train: resuming from iteration {start} ({CKPT})")
    stop = cfg["iterations"]
    if rank == 0:
        _prepare_live_dir(start)
    live = open_live(resume=start > 0, step=start) if rank == 0 else None

    workers = cfg["workers"] if cfg["workers"] is not None else min(8, max(0, (os.cpu_count() or 1) // max(world, 1) - 1))
    loader = training_loader(images, cfg["batch_size"], start, stop, cfg["seed"], cfg["crop"], cfg["flip"],
                             workers if device.type == "cuda" else min(workers, 1), device.type == "cuda", rank, world)
    model.train()
    seen, t0, last_loss = 0, time.perf_counter(), None
    progress = _progress(start, stop, rank)
    loss_sum, n_losses = torch.zeros((), device=device), 0  # summed on the device: one sync per log
    for it, batch in enumerate(loader, start=start):
        loss_sum += train_step(model, opt, batch, bins, class_weights, cfg, device)
        n_losses += 1
        seen += batch.shape[0] * world
        done = it + 1
        if done % cfg["log_every"] == 0 or done == stop:
            value = loss_sum.item() / n_losses  # mean over the interval: a readable learning curve
            loss_sum.zero_()
            n_losses = 0
            if not math.isfinite(value):
                raise SystemExit(f"train: loss is {value} at iteration {done}; stopped. The last good checkpoint "
                                 f"is {CKPT} (lower train.lr, or check the data)")
            rate = seen / (time.perf_counter() - t0)
            last_loss = value
            if live:
                live.step = done
                live.log_metric("train/loss", value)
                live.log_metric("train/lr", opt.param_groups[0]["lr"])
                live.log_metric("train/images_per_s", rate)
            progress.set_postfix(loss=f"{value:.3f}", img_s=f"{rate:.0f}")
        if rank == 0 and (done % cfg["preview_every"] == 0 or done == stop):
            live.log_image(f"preview/{done:07d}.png", preview_grid(unwrap(model), device))
            model.train()
        if rank == 0 and (done % cfg["checkpoint_every"] == 0 or done == stop):
            if not torch.isfinite(loss_sum):  # never overwrite the last good checkpoint with NaN weights
                raise SystemExit(f"train: loss is not finite before iteration {done}; stopped. The last good "
                                 f"checkpoint is {CKPT}")
            save_checkpoint(CKPT, model, opt, done, run_id)
        progress.update(1)
        if FAULT_AT == done:  # tests: a real kill -9 mid-run, to prove resuming works
            os.kill(os.getpid(), signal.SIGKILL)
    progress.close()
    if rank == 0:
        _save_final(unwrap(model), width, run_id, stop, images.shape[1])
        if live:
            live.end()
        say(f"train: {stop} iterations done; final logged loss {last_loss}; wrote {OUT}")
    if world > 1:
        _check_replicas(model, rank)
        dist.destroy_process_group()


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


def _prepare_live_dir(start):
    """The dvclive folder is a persistent output: clear it for a fresh run, and on resume
    drop rows logged after the checkpoint so no step appears twice."""
    import shutil

    live = Path(LIVE_DIR)
    if start == 0:
        shutil.rmtree(live, ignore_errors=True)
        return
    for tsv in (live / "plots" / "metrics").rglob("*.tsv"):
        rows = tsv.read_text().splitlines()
        keep = [rows[0]] + [r for r in rows[1:] if int(float(r.split("\t")[0])) <= start]
        tsv.write_text("\n".join(keep) + "\n")


def _code_digest():
    """Code that shapes the weights: a change to it means a new run, not a resume."""
    files = ["stages/train.py", *(f"colorization/{m}.py" for m in ("model", "loss", "training", "data", "bins", "lab"))]
    root = Path(__file__).resolve().parents[1]
    return fingerprint(*[(root / f).read_text() for f in files])


def _manifest_digest():
    m = Path("data/resized/manifest.csv")
    return fingerprint(m.read_text()) if m.is_file() else ""


def _save_final(model, width, run_id, iterations, image_size):
    OUT.parent.mkdir(parents=True, exist_ok=True)
    tmp = OUT.with_name(OUT.name + ".tmp")
    torch.save({"model": model.state_dict(), "width": width, "run_id": run_id, "iterations": iterations,
                "image_size": image_size}, tmp)
    os.replace(tmp, OUT)


def _progress(start, stop, rank):
    from tqdm import tqdm

    return tqdm(total=stop, initial=start, desc="train", mininterval=5, disable=None if rank == 0 else True)


if __name__ == "__main__":
    main()
