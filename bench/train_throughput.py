"""Images per second of full training steps (data + forward + backward + step), ours
against a naive reference step measured in the same run.

Ours: uint8 crops from the memory-mapped array through the DataLoader, Lab conversion
and soft-encoding (top-k) on the training device, bf16 autocast and channels_last on
CUDA. Naive: fp32, Lab conversion on the CPU per batch with scikit-image, and
soft-encoding by a full distance matrix plus a sort of all 313 distances per pixel.

    python bench/train_throughput.py --width 0.25 --crop 56 --batch 32            # CPU demo
    python bench/train_throughput.py --width 1.0 --crop 176 --batch 40 --size 256  # paper, on a GPU
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from colorization.bins import ab_bins  # noqa: E402
from colorization.data import training_loader  # noqa: E402
from colorization.loss import rebalanced_cross_entropy  # noqa: E402
from colorization.model import ColorizationNet  # noqa: E402
from colorization.training import train_step  # noqa: E402

CFG = {"soft_k": 5, "soft_sigma": 5.0, "drop_grey_images": True}


def naive_soft_encode(ab, bins, k=5, sigma=5.0):
    """Full (pixels x 313) distances and a full sort per pixel: the slow textbook way."""
    n, _, h, w = ab.shape
    x = ab.permute(0, 2, 3, 1).reshape(-1, 1, 2)
    d = torch.sqrt(((x - bins[None]) ** 2).sum(-1))  # (P, 313)
    order = torch.argsort(d, dim=1)[:, :k]
    g = torch.exp(-torch.gather(d, 1, order) ** 2 / (2 * sigma**2))
    z = torch.zeros_like(d).scatter_(1, order, g / g.sum(1, keepdim=True))
    return z.reshape(n, h, w, -1).permute(0, 3, 1, 2)


def naive_step(model, opt, batch_uint8, bins, weights, device):
    from skimage.color import rgb2lab

    lab = torch.from_numpy(rgb2lab(batch_uint8.permute(0, 2, 3, 1).numpy() / 255.0)).permute(0, 3, 1, 2).float()
    L, ab = lab[:, :1].to(device), F.avg_pool2d(lab[:, 1:], 4).to(device)
    logits = model(L)
    z = naive_soft_encode(ab, bins)
    loss = rebalanced_cross_entropy(logits, z, weights[z.argmax(1)])
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.detach()


def measure(step, loader, warmup, device):
    it = iter(loader)
    for _ in range(warmup):
        step(next(it))
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0, n = time.perf_counter(), 0
    for batch in it:
        loss = step(batch)
        n += batch.shape[0]
    loss.item()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return n / (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--width", type=float, default=0.25)
    ap.add_argument("--crop", type=int, default=56)
    ap.add_argument("--size", type=int, default=64, help="side of the stored images")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--naive-steps", type=int, default=5)
    ap.add_argument("--images", type=int, default=512, help="random images in the in-memory array")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--devices", default="cpu,cuda")
    args = ap.parse_args()
    images = np.random.default_rng(0).integers(0, 256, (args.images, args.size, args.size, 3), dtype=np.uint8)
    weights_np = np.random.default_rng(1).uniform(0.2, 5, 313).astype(np.float32)
    print(f"width {args.width}, crop {args.crop}, batch {args.batch}, torch {torch.__version__}, "
          f"{os.cpu_count()} CPU cores")
    for name in args.devices.split(","):
        if name == "cuda" and not torch.cuda.is_available():
            print("cuda: no GPU visible, skipped")
            continue
        device = torch.device(name)
        label = torch.cuda.get_device_name() if name == "cuda" else "CPU"
        workers = args.workers if args.workers is not None else (min(8, os.cpu_count() or 1) if name == "cuda" else 1)
        bins = torch.from_numpy(ab_bins()).to(device)
        weights = torch.from_numpy(weights_np).to(device)
        results = {}
        for kind, steps in (("ours", args.steps), ("naive", args.naive_steps)):
            torch.manual_seed(0)
            model = ColorizationNet(args.width).to(device)
            if kind == "ours" and name == "cuda":
                model = model.to(memory_format=torch.channels_last)
            opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=3e-5)
            warm = 3
            loader = training_loader(images, args.batch, 0, steps + warm, 0, args.crop, 0.5,
                                     workers if kind == "ours" else 0, name == "cuda" and kind == "ours")
            if kind == "ours":
                step = lambda b: train_step(model, opt, b, bins, weights, CFG, device)  # noqa: E731
            else:
                step = lambda b: naive_step(model, opt, b, bins, weights, device)  # noqa: E731
            results[kind] = measure(step, loader, warm, device)
            print(f"{label}: {kind:5s} {results[kind]:8.1f} images/s")
        print(f"{label}: speed-up {results['ours'] / results['naive']:.2f}x")


if __name__ == "__main__":
    main()
