"""Stage `evaluate` of probe/dvc.yaml: each initialisation's frozen body gives features of the
train split (to fit the probes) and of the val split (to score them), per block; a linear
probe per block and initialisation; top-1 on val with paired bootstrap intervals of the
differences between initialisations (the same image resamples): reports/probe.json,
reports/probe_ci.json (DVC metrics), reports/probe.md, reports/figures/probe.png."""

import numpy as np
import pandas as pd

from colorization import figures as F
from colorization.devices import pick_device
from colorization.evaluation import percentile_interval, resample_weights
from colorization.finetune import random_bodies
from colorization.inference import load_colorizer
from colorization.probe import INITIALISATIONS, LAYERS, extract, fit_probe, load_body, predict
from colorization.probe_report import NAMES, PAIRS, probe_findings, probe_table
from colorization.progress import Progress
from stages.common import atomic_path, load_params, run, say, write_json
from stages.params import probe, runtime

SUPERVISED, COLORIZER, REP = "models/probe/supervised.pt", "models/colorizer.pt", "reports"


def bodies(width, seed, train_images, rescale_images):
    """The frozen bodies: trained to colourize; random (the train seed), rescaled on data and as
    initialised; trained with labels."""
    return {"colorization": load_colorizer(COLORIZER), **random_bodies(width, seed, train_images, rescale_images),
            "supervised": load_body(SUPERVISED, width)}


def main():
    p = load_params(probe, runtime)
    cfg = dict(p["probe"])
    device = pick_device(p["runtime"]["device"])  # for the bodies' forward passes; the probes fit on the CPU
    manifest = pd.read_csv("data/resized/manifest.csv")
    y = {s: manifest.query(f"split == '{s}'").sort_values("index")["label"].to_numpy() for s in ("train", "val")}
    images = {s: np.load(f"data/resized/{s}.npy", mmap_mode="r") for s in ("train", "val")}
    n_classes = len(pd.read_csv("data/synsets.csv"))
    nets = bodies(p["model"]["width"], p["train"]["seed"], images["train"], cfg["rescale_images"])
    hits = {init: {} for init in INITIALISATIONS}
    for init in INITIALISATIONS:
        total = sum(len(x) for x in images.values())
        progress = Progress(total, f"probe features {init}", unit="img", every=10)
        feats = {s: extract(nets[init], images[s], device, cfg["dims"], progress=progress) for s in images}
        progress.close()
        for layer in LAYERS:
            model = fit_probe(feats["train"][layer], y["train"], n_classes, cfg)
            hits[init][layer] = (predict(model, feats["val"][layer]) == y["val"]).astype(np.float64)
        say(f"probe: {init:12s} " + "  ".join(f"{layer} {hits[init][layer].mean():.3f}" for layer in LAYERS))
    boot = resample_weights(len(y["val"]), p["evaluate"]["bootstrap"], p["evaluate"]["seed"]) / len(y["val"])
    top1 = {init: {layer: float(h.mean()) for layer, h in by.items()} for init, by in hits.items()}
    ci = {f"{a}_minus_{b}": {layer: percentile_interval(boot @ (hits[a][layer] - hits[b][layer])) for layer in LAYERS}
          for a, b in PAIRS}
    intervals = {init: {layer: percentile_interval(boot @ h) for layer, h in by.items()} for init, by in hits.items()}
    write_json(f"{REP}/probe.json", {"layers": list(LAYERS), "top1": top1})
    write_json(f"{REP}/probe_ci.json", ci)
    findings = probe_findings(top1, ci)
    with atomic_path(f"{REP}/probe.md") as tmp:
        tmp.write_text(probe_table(top1, intervals, ci, findings, n_classes, len(y["train"]), len(y["val"]), p))
    F.save_png(F.probe_layers(top1, intervals, 1 / n_classes, NAMES), f"{REP}/figures/probe.png")
    for line in findings:
        say(f"probe: {line}")


if __name__ == "__main__":
    run(main)
