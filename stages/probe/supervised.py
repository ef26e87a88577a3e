"""Stage `supervised` of probe/dvc.yaml: the ECCV16 body trained with labels on the same train
split's lightness, with a classification head, for the colourizer's iterations and batch,
crops and optimizer (the paper's "ImageNet labels" row: the upper bound)."""

import numpy as np
import pandas as pd

from colorization.atomic import save_torch
from colorization.devices import pick_device
from colorization.probe import train_supervised
from colorization.progress import Progress
from stages.common import load_params, run, say
from stages.params import model, runtime, train

OUT, TRAIN = "models/probe/supervised.pt", "data/resized/train.npy"
# What the colourizer's training shares with this one: iterations, batch, crops, optimizer, schedule
SHARED = ("iterations", "batch_size", "crop", "flip", "lr", "lr_schedule", "lr_warmup", "betas", "weight_decay", "seed")


def main():
    p = load_params(model, runtime, train)
    cfg, width = {**{k: p["train"][k] for k in SHARED}, "loss": "classification"}, p["model"]["width"]
    train.check_fits(cfg, width, p["runtime"]["device"], TRAIN)
    images = np.load(TRAIN, mmap_mode="r")
    labels = pd.read_csv("data/resized/manifest.csv").query("split == 'train'").sort_values("index")["label"]
    n_classes = len(pd.read_csv("data/synsets.csv"))
    progress = Progress(cfg["iterations"], "probe supervised")
    body = train_supervised(images, labels.to_numpy(), n_classes, width, cfg, pick_device(p["runtime"]["device"]),
                            progress)
    progress.close()
    save_torch({"model": body.state_dict(), "width": width, "head": "classification", "n_classes": n_classes,
                "iterations": cfg["iterations"], "image_size": images.shape[1]}, OUT)
    say(f"probe: the body trained with labels for {cfg['iterations']} iterations; wrote {OUT}")


if __name__ == "__main__":
    run(main)
