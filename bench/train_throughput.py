"""Images per second of full training steps (forward, loss, backward, optimizer step),
ours against a naive reference step measured in the same run, and of the data
loader alone, so a user sees whether data or compute limits them.

Ours: uint8 crops, Lab conversion and soft-encoding (top-k, gathered by the loss) on
the training device, fused (CUDA) or multi-tensor (CPU) Adam, bf16 autocast and
channels_last on CUDA. Naive: fp32, Lab conversion on the CPU per batch with
scikit-image, soft-encoding by a full distance matrix plus a sort of all 313
distances per pixel, a dense 313-channel target.

    python bench/train_throughput.py                                               # CPU demo shapes
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
from colorization.bins import ab_bins  # noqa: E402 (needs the path above)
from colorization.data import training_loader  # noqa: E402
from colorization.loss import rebalanced_cross_entropy  # noqa: E402
from colorization.model import ColorizationNet  # noqa: E402
from colorization.training import autocast_dtype, make_optimizer, train_step  # noqa: E402
from stages.params import model as model_rules  # noqa: E402
from stages.params import train as train_rules  # noqa: E402
from stages.params.checks import section_defaults  # noqa: E402

CFG = section_defaults(train_rules)  # the train stage's defaults: the loss, soft-encoding and Adam of a default run
WIDTH = section_defaults(model_rules)["width"]


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


def measure_step(kind, device, shapes, steps, compiled=False, workers=None, images=512, channels_last=True):
    """Images/s of ``steps`` full training steps (after 3 warm-up steps) on random images."""
    data = np.random.default_rng(0).integers(0, 256, (images, shapes["size"], shapes["size"], 3), dtype=np.uint8)
    weights = torch.from_numpy(np.random.default_rng(1).uniform(0.2, 5, 313).astype(np.float32)).to(device)
    bins = torch.from_numpy(ab_bins()).to(device)
    torch.manual_seed(0)
    model = ColorizationNet(shapes["width"]).to(device)
    if kind == "ours" and channels_last:  # as colorization.training builds it
        model = model.to(memory_format=torch.channels_last)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = make_optimizer(params, CFG, device) if kind == "ours" else torch.optim.Adam(params, lr=3e-5)
    net = torch.compile(model) if compiled else model
    if workers is None:
        workers = min(8, os.cpu_count() or 1) if device.type == "cuda" else 0
    warm = 3 + (5 if compiled else 0)  # compiling happens in the first steps
    loader = training_loader(data, shapes["batch"], 0, steps + warm, 0, shapes["crop"], 0.5,
                             workers if kind == "ours" else 0, device.type == "cuda" and kind == "ours")
    amp = autocast_dtype("auto", device)
    if kind == "ours":
        def step(b):
            return train_step(net, opt, b, bins, weights, CFG, device, amp)
    else:
        def step(b):
            return naive_step(net, opt, b, bins, weights, device)
    it = iter(loader)
    for _ in range(warm):
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


def loader_rate(images, shapes, workers, batches=50):
    """Images/s of the training loader alone (crops and flips of the uint8 array)."""
    loader = training_loader(images, shapes["batch"], 0, batches, 0, shapes["crop"], 0.5, workers,
                             torch.cuda.is_available())
    t0, n = time.perf_counter(), 0
    for batch in loader:
        n += batch.shape[0]
    return n / (time.perf_counter() - t0)


def cpu_options(shapes, steps):
    """What the CPU demo could change, each against the default (channels_last, every core,
    no loader workers, eager): measured, and kept only where it pays for itself in a default
    run of 600 steps (torch.compile's compile time counts)."""
    cpu = torch.device("cpu")
    cores = torch.get_num_threads()
    base = measure_step("ours", cpu, shapes, steps)
    rows = [("default: channels_last, eager, no workers", base, 0.0)]
    rows.append(("contiguous (NCHW) weights", measure_step("ours", cpu, shapes, steps, channels_last=False), 0.0))
    for threads in sorted({1, cores} - {cores}):
        torch.set_num_threads(threads)
        rows.append((f"{threads} thread(s) instead of {cores}", measure_step("ours", cpu, shapes, steps), 0.0))
        torch.set_num_threads(cores)
    rows.append(("1 loader worker", measure_step("ours", cpu, shapes, steps, workers=1), 0.0))
    t0 = time.perf_counter()
    rate = measure_step("ours", cpu, shapes, steps, compiled=True)
    total = time.perf_counter() - t0
    rows.append(("torch.compile (compile time in the last column)", rate, total - (steps + 3) * shapes["batch"] / rate))
    run = 600 * shapes["batch"]
    print(f"{'CPU option':<50} {'images/s':>9} {'600 steps (s)':>14}")
    for name, r, extra in rows:
        print(f"{name:<50} {r:9.1f} {run / r + extra:14.1f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--width", type=float, default=WIDTH)
    ap.add_argument("--crop", type=int, default=CFG["crop"])
    ap.add_argument("--size", type=int, default=64, help="side of the stored images")
    ap.add_argument("--batch", type=int, default=CFG["batch_size"])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--naive-steps", type=int, default=5)
    ap.add_argument("--devices", default="cpu,cuda")
    ap.add_argument("--cpu-options", action="store_true", help="channels_last, threads, workers, torch.compile")
    args = ap.parse_args()
    shapes = {"width": args.width, "crop": args.crop, "size": args.size, "batch": args.batch}
    print(f"width {args.width}, crop {args.crop} of {args.size}, batch {args.batch}, torch {torch.__version__}, "
          f"{os.cpu_count()} CPU cores")
    if args.cpu_options:
        return cpu_options(shapes, args.steps)
    images = np.random.default_rng(0).integers(0, 256, (1024, args.size, args.size, 3), dtype=np.uint8)
    for workers in sorted({0, min(8, os.cpu_count() or 1)}):
        print(f"loader alone, {workers} workers: {loader_rate(images, shapes, workers):10.1f} images/s")
    for name in args.devices.split(","):
        if name == "cuda" and not torch.cuda.is_available():
            print("cuda: no GPU visible, skipped")
            continue
        device = torch.device(name)
        label = torch.cuda.get_device_name() if name == "cuda" else "CPU"
        ours = measure_step("ours", device, shapes, args.steps)
        naive = measure_step("naive", device, shapes, args.naive_steps)
        print(f"{label}: ours  {ours:8.1f} images/s\n{label}: naive {naive:8.1f} images/s\n"
              f"{label}: speed-up {ours / naive:.2f}x")


if __name__ == "__main__":
    main()
