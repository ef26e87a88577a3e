"""Stage `classifier`: the VGG-16 that scores colourizations. With
`evaluate.classifier: trained` (the default) it trains a VGG-16 with batch norm
(width `classifier.width`) on the colour train split of the selected synsets: a
classifier that learned on colour photos, so grey input costs it accuracy. With
`evaluate.classifier: imagenet` the paper's ImageNet VGG-16 is used and nothing is
trained here: the stage records that choice and ends."""

import time

import numpy as np
import pandas as pd

from colorization.atomic import save_torch
from colorization.classifier import train_classifier
from colorization.devices import pick_device
from colorization.progress import Progress
from stages.common import load_params, run, say
from stages.params import classifier, evaluate, runtime

OUT = "models/classifier.pt"


def main():
    p = load_params(classifier, evaluate, runtime)
    if p["evaluate"]["classifier"] == "imagenet":
        save_torch({"kind": "imagenet"}, OUT)
        say("classifier: evaluate.classifier is imagenet: torchvision's VGG-16 scores the images; nothing to train")
        return
    cfg = dict(p["classifier"])
    images = np.load("data/resized/train.npy", mmap_mode="r")
    evaluate.check_image_size(p["evaluate"], images.shape[1])
    device = pick_device(p["runtime"]["device"])
    labels = pd.read_csv("data/resized/manifest.csv").query("split == 'train'").sort_values("index")["label"].to_numpy()
    n_classes = len(pd.read_csv("data/synsets.csv"))
    progress = Progress(cfg["iterations"], "classifier")

    def step(it, loss):
        progress.update(1, **({"loss": round(loss.item(), 4)} if it % 25 == 0 else {}))

    t0 = time.perf_counter()
    state = train_classifier(images, labels, n_classes, cfg, device, step)
    rate = cfg["iterations"] * cfg["batch_size"] / (time.perf_counter() - t0)
    progress.close()
    save_torch({"kind": "trained", **state}, OUT)
    say(f"classifier: train accuracy {state['train_accuracy']:.3f} over the last 50 batches; "
        f"{rate:.0f} img/s; wrote {OUT}")


if __name__ == "__main__":
    run(main)
