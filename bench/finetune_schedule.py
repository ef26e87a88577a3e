"""The fine-tuning schedule, chosen on the train split only: a stratified fifth of the train
split is held out, every start is fine-tuned on a share of the rest with each candidate
learning rate, and the held-out top-1 is printed; the default `finetune.lr` is the one with the
best mean over the starts. The val split is never read. Run after
`make probe` (it needs the colourizer and the supervised body):

    python bench/finetune_schedule.py [--lrs 1e-4 3e-4 1e-3] [--fraction 0.25]

Measured on the reference machine (held-out top-1 %, colourization / random / supervised start):
the default data 1e-4: 16.4 / 7.1 / 43.2, 3e-4: 16.4 / 9.6 / 41.2, 1e-3: 21.2 / 9.8 / 39.6 (chosen);
imagenette 1e-4: 15.9 / 18.9 / 63.6 (chosen, presets/imagenette.yaml), 3e-4: 16.2 / 17.7 / 37.3,
1e-3: 14.0 / 12.5 / 28.4.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from colorization.finetune import fine_tune, label_subset, random_bodies, top1_hits  # noqa: E402
from colorization.inference import load_colorizer  # noqa: E402
from colorization.probe import load_body  # noqa: E402
from stages.params import finetune, probe  # noqa: E402
from stages.params.checks import section_defaults  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lrs", type=float, nargs="+", default=[1e-4, 3e-4, 1e-3])
    ap.add_argument("--fraction", type=float, default=0.25)
    ap.add_argument("--width", type=float, default=0.125)
    args = ap.parse_args()
    cfg = section_defaults(finetune)
    manifest = pd.read_csv("data/resized/manifest.csv")
    y = manifest.query("split == 'train'").sort_values("index")["label"].to_numpy()
    images = np.load("data/resized/train.npy", mmap_mode="r")
    held = label_subset(y, 0.2, cfg["seed"] + 1)
    rest = np.setdiff1d(np.arange(len(y)), held)
    subset = rest[label_subset(y[rest], args.fraction, cfg["seed"])]
    starts = {"colorization": load_colorizer("models/colorizer.pt").cpu(),
              "random": random_bodies(args.width, 0, images, section_defaults(probe)["rescale_images"])["random"],
              "supervised": load_body("models/probe/supervised.pt", args.width)}
    print(f"{len(subset)} labelled images, {len(held)} held out of the train split; {cfg['iterations']} steps")
    print("the rate with the best mean is the one to choose")
    print(f"{'lr':>8} " + " ".join(f"{s:>13}" for s in starts) + f" {'mean':>8}")
    for lr in args.lrs:
        acc = [top1_hits(fine_tune(body, images, y, subset, int(y.max()) + 1, {**cfg, "lr": lr}, torch.device("cpu")),
                         images[held], y[held], torch.device("cpu")).mean() for body in starts.values()]
        print(f"{lr:8g} " + " ".join(f"{100 * a:13.1f}" for a in acc) + f" {100 * np.mean(acc):8.1f}", flush=True)


if __name__ == "__main__":
    main()
