"""Seconds and accuracy of the scoring classifier (the `classifier` stage) for settings
side by side, over training seeds: what a faster classifier costs in the job it does.

The job: ground-truth val images classified well (top-1 of gt), grey ones badly (top-1 of
grey), so that the gap between them, which the top-1 findings need, stays wide; and the
colourizations of the current run (data/colorized/ours.npy) placed above grey. Run after
`make repro` (it reads data/resized and data/colorized). One torch process at a time: two
on two cores slow each other by far more than 2x.

    python bench/classifier_speed.py                                   # the default, seeds 0 1 2
    python bench/classifier_speed.py --variant b128:batch_size=128,iterations=300,lr=0.002
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from colorization.classifier import class_scores, classifier_from_state, train_classifier  # noqa: E402
from stages.params import classifier as classifier_rules  # noqa: E402
from stages.params.checks import section_defaults  # noqa: E402

DEFAULT = section_defaults(classifier_rules)


def parse_variant(text: str) -> tuple:
    """"name:key=value,key=value" -> (name, the defaults with those keys changed)."""
    name, _, pairs = text.partition(":")
    cfg = dict(DEFAULT)
    for pair in filter(None, pairs.split(",")):
        key, value = pair.split("=")
        if key not in DEFAULT:
            raise SystemExit(f"unknown classifier key {key!r}; keys: {', '.join(DEFAULT)}")
        cfg[key] = None if value == "none" else type(DEFAULT[key] if DEFAULT[key] is not None else 1)(float(value))
    return name, cfg


def top1(state, images, labels) -> float:
    model = classifier_from_state(state)
    return 100 * float((class_scores(model, images, torch.device("cpu")).argmax(1) == labels).mean())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--variant", action="append", default=[], help="name:key=value,... (repeatable)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--no-default", action="store_true", help="leave out the default settings")
    args = ap.parse_args()
    variants = ([] if args.no_default else [("default", dict(DEFAULT))]) + [parse_variant(v) for v in args.variant]

    train = np.load("data/resized/train.npy", mmap_mode="r")
    labels = pd.read_csv("data/resized/manifest.csv").query("split == 'train'").sort_values("index")["label"].to_numpy()
    n_classes = len(pd.read_csv("data/synsets.csv"))
    val_labels = pd.read_csv("data/colorized/images.csv")["label"].to_numpy()
    scored = {v: np.load(f"data/colorized/{v}.npy") for v in ("gt", "grey", "ours")}
    print(f"{len(train)} train images, {len(val_labels)} val images, {n_classes} classes, "
          f"{torch.get_num_threads()} threads\n")
    print(f"{'variant':<12} {'seed':>4} {'s':>6} {'gt':>6} {'grey':>6} {'gap':>6} {'ours':>6} {'ours-grey':>9}")
    summary = []
    for name, cfg in variants:
        rows = []
        for seed in args.seeds:
            t0 = time.perf_counter()
            state = train_classifier(train, labels, n_classes, {**cfg, "seed": seed}, torch.device("cpu"))
            secs = time.perf_counter() - t0
            acc = {v: top1(state, x, val_labels) for v, x in scored.items()}
            rows.append((secs, acc["gt"], acc["grey"], acc["gt"] - acc["grey"], acc["ours"] - acc["grey"]))
            print(f"{name:<12} {seed:>4} {secs:>6.1f} {acc['gt']:>6.1f} {acc['grey']:>6.1f} "
                  f"{acc['gt'] - acc['grey']:>6.1f} {acc['ours']:>6.1f} {acc['ours'] - acc['grey']:>9.1f}", flush=True)
        summary.append((name, cfg, np.array(rows)))
    print("\nper variant: mean seconds, lowest gt top-1, mean gap gt - grey, mean ours - grey (top-1, %)")
    for name, cfg, r in summary:
        changed = {k: v for k, v in cfg.items() if v != DEFAULT[k]}
        print(f"{name:<12} {r[:, 0].mean():>6.1f} s  gt min {r[:, 1].min():5.1f}  gap {r[:, 3].mean():5.1f}  "
              f"ours-grey {r[:, 4].mean():5.1f}  {changed or ''}")


if __name__ == "__main__":
    main()
