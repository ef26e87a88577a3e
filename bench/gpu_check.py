"""One-command GPU check (`make gpu-check`): prints one JSON object with

* images/second of full training steps at the paper's shapes (width 1, crop 176,
  batch 40, bf16 autocast) for ours and for the naive reference step, each with and
  without torch.compile, measured in the same run;
* peak GPU memory of our step;
* the data loader alone at those shapes (0 and N workers), so data vs compute is clear;
* a 3-minute training at paper shapes on ../shared/datasets/imagenette-dev (resized
  to 256 px here) with its loss curve, to show the loss falling;
* with two or more GPUs, a DDP run under torchrun (images/second over all GPUs).

On a machine without CUDA it says so and exits 0.

    python bench/gpu_check.py                      # all of the above
    python bench/gpu_check.py --train-seconds 60   # a shorter training
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.train_throughput import CFG, loader_rate, measure_step  # noqa: E402 (needs the path above)

IMAGENETTE = ROOT.parent / "shared" / "datasets" / "imagenette-dev"
PAPER = {"width": 1.0, "crop": 176, "batch": 40, "size": 256}
PAPER_LR = 3.16e-5  # the paper's learning rate at batch 40 (params.yaml's train.lr comment)


def step_rates(device, shapes, steps, compile_too):
    out = {}
    for kind in ("ours", "naive"):
        for compiled in (False, True) if compile_too else (False,):
            name = kind + ("_compiled" if compiled else "")
            try:
                out[name] = round(measure_step(kind, device, shapes, steps, compiled=compiled), 1)
            except Exception as e:  # a compiler that fails on this machine is a finding, not a crash
                out[name] = f"failed: {type(e).__name__}: {str(e)[:200]}"
    return out


def resized_imagenette(size, limit=None):
    from colorization.resize import resize_split
    from colorization.sources import ImageNetSource

    src = ImageNetSource(str(IMAGENETTE))
    items = src.items("train", src.candidates())[:limit]
    out = Path(tempfile.mkdtemp()) / "train.npy"
    kept, _ = resize_split(src, items, size, "squash", out, workers=min(16, os.cpu_count() or 1))
    return np.load(out, mmap_mode="r"), len(kept)


def timed_training(device, shapes, seconds, images):
    """Train from scratch for ``seconds`` at paper shapes; the loss every 25 steps."""
    from colorization.bins import ab_bins
    from colorization.data import training_loader
    from colorization.lab import uint8_to_lab
    from colorization.model import ColorizationNet, target_ab
    from colorization.prior import bin_counts, empirical_prior, rebalance_weights, smooth_prior
    from colorization.training import make_optimizer, train_step

    counts = sum(bin_counts(target_ab(uint8_to_lab(images[i : i + 256])[:, 1:])) for i in range(0, len(images), 256))
    weights = torch.tensor(rebalance_weights(smooth_prior(empirical_prior(counts), 5.0), 0.5), dtype=torch.float32,
                           device=device)
    cfg = CFG  # the default run's rate, higher than the paper's, so that three minutes show the fall
    torch.manual_seed(0)
    model = ColorizationNet(shapes["width"]).to(device).to(memory_format=torch.channels_last)
    opt = make_optimizer([p for p in model.parameters() if p.requires_grad], cfg, device)
    bins = torch.from_numpy(ab_bins()).to(device)
    loader = training_loader(images, shapes["batch"], 0, 10**7, 0, shapes["crop"], 0.5,
                             min(8, os.cpu_count() or 1), True)
    losses, window, t0, it = [], [], time.perf_counter(), 0
    for it, batch in enumerate(loader, start=1):
        window.append(train_step(model, opt, batch, bins, weights, cfg, device, torch.bfloat16))
        if it % 25 == 0:
            losses.append(round(torch.stack(window).mean().item(), 4))
            window = []
            if time.perf_counter() - t0 > seconds:
                break
    elapsed = time.perf_counter() - t0
    first, last = np.mean(losses[:3]), np.mean(losses[-3:])
    return {"seconds": round(elapsed, 1), "iterations": it, "images_per_s": round(it * shapes["batch"] / elapsed, 1),
            "loss_every_25": losses, "loss_first": round(float(first), 4), "loss_last": round(float(last), 4),
            "loss_falling": bool(last < first)}


def ddp_rate(n_gpus, seconds=60):
    """A short DDP run over every GPU through torchrun; returns what rank 0 reports."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={n_gpus}",
           str(Path(__file__).resolve()), "--ddp-worker", str(seconds)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 300)
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            return json.loads(line)
    return {"failed": proc.stderr[-500:]}


def ddp_worker(seconds):
    import torch.distributed as dist

    from colorization.bins import ab_bins
    from colorization.model import ColorizationNet
    from colorization.training import make_optimizer, train_step

    dist.init_process_group("nccl")
    rank, world = dist.get_rank(), dist.get_world_size()
    device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    torch.cuda.set_device(device)
    torch.manual_seed(0)
    model = ColorizationNet(PAPER["width"]).to(device).to(memory_format=torch.channels_last)
    model = torch.nn.parallel.DistributedDataParallel(model, device_ids=[device.index])
    cfg = {**CFG, "lr": PAPER_LR}
    opt = make_optimizer([p for p in model.parameters() if p.requires_grad], cfg, device)
    bins, weights = torch.from_numpy(ab_bins()).to(device), torch.ones(313, device=device)
    x = torch.randint(0, 256, (PAPER["batch"], 3, PAPER["crop"], PAPER["crop"]), dtype=torch.uint8, device=device)
    for _ in range(5):
        train_step(model, opt, x, bins, weights, cfg, device, torch.bfloat16)
    torch.cuda.synchronize()
    t0, n = time.perf_counter(), 0
    while time.perf_counter() - t0 < seconds:
        train_step(model, opt, x, bins, weights, cfg, device, torch.bfloat16)
        n += 1
    torch.cuda.synchronize()
    rate = n * PAPER["batch"] * world / (time.perf_counter() - t0)
    if rank == 0:
        print(json.dumps({"gpus": world, "images_per_s": round(rate, 1)}))
    dist.destroy_process_group()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--train-seconds", type=float, default=180)
    ap.add_argument("--no-compile", action="store_true")
    ap.add_argument("--ddp-worker", type=float, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.ddp_worker is not None:
        return ddp_worker(args.ddp_worker)
    if not torch.cuda.is_available():
        print("gpu-check: no CUDA GPU visible on this machine; nothing to measure "
              "(run `make gpu-check` on a GPU machine). `make bench` measures the CPU.")
        return 0
    device = torch.device("cuda")
    torch.backends.cudnn.benchmark = True
    report = {"device": torch.cuda.get_device_name(), "gpus": torch.cuda.device_count(), "torch": torch.__version__,
              "shapes": PAPER, "precision": "bf16 autocast"}
    torch.cuda.reset_peak_memory_stats()
    report["images_per_s"] = step_rates(device, PAPER, args.steps, not args.no_compile)
    report["peak_memory_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
    report["speedup_vs_naive"] = (round(report["images_per_s"]["ours"] / report["images_per_s"]["naive"], 2)
                                  if all(isinstance(report["images_per_s"][k], float) for k in ("ours", "naive"))
                                  else None)
    if IMAGENETTE.is_dir():
        images, n = resized_imagenette(PAPER["size"])
        report["loader_images_per_s"] = {f"workers_{w}": round(loader_rate(images, PAPER, w), 1)
                                         for w in (0, min(8, os.cpu_count() or 1))}
        report["training"] = {"data": f"imagenette-dev train, {n} images at {PAPER['size']} px",
                              **timed_training(device, PAPER, args.train_seconds, images)}
    else:
        report["training"] = f"skipped: {IMAGENETTE} not found"
    if torch.cuda.device_count() >= 2:
        report["ddp"] = ddp_rate(torch.cuda.device_count())
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
