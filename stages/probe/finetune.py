"""Stage `finetune` of probe/dvc.yaml: every layer trained with labels at each label fraction
of the train split (class-balanced, seeded: the same images for every start), starting from the
colourization body, from the random body rescaled on data, and from the body trained with
labels (the ceiling); top-1 on the val split with bootstrap intervals, paired between starts
(the same image resamples): reports/finetune.json, reports/finetune_ci.json (DVC metrics),
reports/finetune.md, reports/figures/finetune.png."""

import numpy as np
import pandas as pd

from colorization import figures as F
from colorization.devices import pick_device
from colorization.evaluation import percentile_interval, resample_weights
from colorization.finetune import fine_tune, label_subset, random_bodies, top1_hits
from colorization.inference import load_colorizer
from colorization.probe import load_body
from colorization.probe_report import FINETUNE_PAIRS, FINETUNE_STARTS, NAMES, finetune_findings, finetune_table
from colorization.progress import Progress
from stages.common import atomic_path, load_params, run, say, write_json
from stages.params import finetune, probe, runtime

SUPERVISED, COLORIZER, REP = "models/probe/supervised.pt", "models/colorizer.pt", "reports"


def starts(width, seed, train_images, rescale_images):
    return {"colorization": load_colorizer(COLORIZER).cpu(),
            "random": random_bodies(width, seed, train_images, rescale_images)["random"],
            "supervised": load_body(SUPERVISED, width)}


def main():
    p = load_params(finetune, probe, runtime)
    cfg, fractions = dict(p["finetune"]), list(p["finetune"]["fractions"])
    device = pick_device(p["runtime"]["device"])
    manifest = pd.read_csv("data/resized/manifest.csv")
    y = {s: manifest.query(f"split == '{s}'").sort_values("index")["label"].to_numpy() for s in ("train", "val")}
    images = {s: np.load(f"data/resized/{s}.npy", mmap_mode="r") for s in ("train", "val")}
    n_classes = len(pd.read_csv("data/synsets.csv"))
    bodies = starts(p["model"]["width"], p["train"]["seed"], images["train"], p["probe"]["rescale_images"])
    hits = {init: {} for init in FINETUNE_STARTS}
    subsets = {f: label_subset(y["train"], f, cfg["seed"]) for f in fractions}
    progress = Progress(len(fractions) * len(FINETUNE_STARTS) * cfg["iterations"], "finetune", every=10)
    for f in fractions:
        for init in FINETUNE_STARTS:
            net = fine_tune(bodies[init], images["train"], y["train"], subsets[f], n_classes, cfg, device, progress)
            hits[init][f] = top1_hits(net, images["val"], y["val"], device)
        say(f"finetune: {len(subsets[f])} labelled images ({100 * f:g} %): " +
            "  ".join(f"{init} {hits[init][f].mean():.3f}" for init in FINETUNE_STARTS))
    progress.close()
    boot = resample_weights(len(y["val"]), p["evaluate"]["bootstrap"], p["evaluate"]["seed"]) / len(y["val"])
    key = [f"{f:g}" for f in fractions]
    top1 = {init: {k: float(hits[init][f].mean()) for k, f in zip(key, fractions)} for init in FINETUNE_STARTS}
    intervals = {init: {k: percentile_interval(boot @ hits[init][f]) for k, f in zip(key, fractions)}
                 for init in FINETUNE_STARTS}
    ci = {f"{a}_minus_{b}": {k: percentile_interval(boot @ (hits[a][f] - hits[b][f])) for k, f in zip(key, fractions)}
          for a, b in FINETUNE_PAIRS}
    n_labelled = {k: int(len(subsets[f])) for k, f in zip(key, fractions)}
    write_json(f"{REP}/finetune.json", {"fractions": key, "labelled_images": n_labelled, "top1": top1})
    write_json(f"{REP}/finetune_ci.json", ci)
    findings = finetune_findings(top1, ci)
    with atomic_path(f"{REP}/finetune.md") as tmp:
        tmp.write_text(finetune_table(top1, intervals, ci, findings, n_labelled, n_classes, len(y["val"]), p))
    F.save_png(F.finetune_curves(top1, intervals, n_labelled, 1 / n_classes, NAMES), f"{REP}/figures/finetune.png")
    for line in findings:
        say(f"finetune: {line}")


if __name__ == "__main__":
    run(main)
