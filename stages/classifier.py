"""Stage `classifier`: the VGG-16 that scores colourizations. With
`evaluate.classifier: trained` (the default) it trains a VGG-16 with batch norm
(width `classifier.width`) on the colour train split of the selected synsets: a
classifier that learned on colour photos, so grey input costs it accuracy. With
`evaluate.classifier: imagenet` the paper's ImageNet VGG-16 is used and nothing is
trained here: the stage records that choice and ends."""

import time

import numpy as np
import pandas as pd
from tqdm import tqdm

from colorization.atomic import save_torch
from colorization.classifier import train_classifier
from stages.common import load_params, pick_device, run, say

OUT = "models/classifier.pt"


def main():
    p = load_params()
    if p["evaluate"]["classifier"] == "imagenet":
        save_torch({"kind": "imagenet"}, OUT)
        say("classifier: evaluate.classifier is imagenet: torchvision's VGG-16 scores the images; nothing to train")
        return
    cfg = dict(p["classifier"])
    device = pick_device(p["runtime"]["device"])
    images = np.load("data/resized/train.npy", mmap_mode="r")
    labels = pd.read_csv("data/resized/manifest.csv").query("split == 'train'").sort_values("index")["label"].to_numpy()
    n_classes = len(pd.read_csv("data/synsets.csv"))
    bar = tqdm(total=cfg["iterations"], desc="classifier", mininterval=5, disable=None)

    def progress(it, loss):
        bar.update(1)
        if it % 25 == 0:
            bar.set_postfix(loss=f"{loss.item():.3f}")

    t0 = time.perf_counter()
    state = train_classifier(images, labels, n_classes, cfg, device, progress)
    rate = cfg["iterations"] * cfg["batch_size"] / (time.perf_counter() - t0)
    bar.close()
    save_torch({"kind": "trained", **state}, OUT)
    say(f"classifier: train accuracy {state['train_accuracy']:.3f} over the last 50 batches; "
        f"{rate:.0f} img/s; wrote {OUT}")


if __name__ == "__main__":
    run(main)
