"""Stage `classifier`: train a VGG-16 (with batch norm, width `classifier.width`)
on the colour training split of the selected synsets. It stands in for the
paper's ImageNet VGG-16 when `evaluate.classifier: trained` (the default):
a classifier that learned on colour photos, so grey input costs it accuracy."""

import os
import time

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from tqdm import tqdm

from colorization.classifier import small_vgg16_bn
from colorization.lab import uint8_to_rgb
from stages.common import load_params, pick_device, say

OUT = "models/classifier.pt"
PAD = 4  # random translation by up to PAD pixels, so train and test see the same image size


def augment(x, rng):
    """uint8 (N,H,W,3) -> float (N,3,H,W): random shift (reflect padding) and horizontal flip."""
    t = uint8_to_rgb(x)
    h, w = t.shape[-2:]
    t = F.pad(t, (PAD,) * 4, mode="reflect")
    out = torch.empty(len(x), 3, h, w)
    for i in range(len(x)):
        dy, dx = rng.integers(0, 2 * PAD + 1, 2)
        out[i] = t[i, :, dy : dy + h, dx : dx + w]
        if rng.random() < 0.5:
            out[i] = out[i].flip(-1)
    return out


def main():
    p = load_params()
    cfg = p["classifier"]
    device = pick_device(p["train"]["device"])
    images = np.load("data/resized/train.npy", mmap_mode="r")
    labels = pd.read_csv("data/resized/manifest.csv").query("split == 'train'").sort_values("index")["label"].to_numpy()
    n_classes = len(pd.read_csv("data/synsets.csv"))
    torch.manual_seed(cfg["seed"])
    rng = np.random.default_rng(cfg["seed"])
    net = small_vgg16_bn(n_classes, cfg["width"]).to(device)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg["lr"], weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg["lr"], total_steps=cfg["iterations"])
    net.train()
    t0, correct, seen = time.perf_counter(), 0, 0
    bar = tqdm(range(cfg["iterations"]), desc="classifier", mininterval=5, disable=None)
    for it in bar:
        idx = np.sort(rng.choice(len(images), size=min(cfg["batch_size"], len(images)), replace=False))
        x = augment(np.array(images[idx]), rng).to(device) - 0.5
        y = torch.from_numpy(labels[idx]).to(device)
        logits = net(x)
        loss = F.cross_entropy(logits, y, label_smoothing=0.1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if it >= cfg["iterations"] - 50:  # training accuracy over the last 50 batches
            correct += (logits.argmax(1) == y).sum().item()
            seen += len(y)
        if it % 25 == 0:
            bar.set_postfix(loss=f"{loss.item():.3f}")
    rate = cfg["iterations"] * cfg["batch_size"] / (time.perf_counter() - t0)
    os.makedirs("models", exist_ok=True)
    torch.save({"model": net.state_dict(), "width": cfg["width"], "n_classes": n_classes}, OUT + ".tmp")
    os.replace(OUT + ".tmp", OUT)
    say(f"classifier: train accuracy {correct / max(seen, 1):.3f} over the last 50 batches; {rate:.0f} img/s; wrote {OUT}")


if __name__ == "__main__":
    main()
