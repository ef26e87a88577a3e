"""Stage `colorize`: the val images as each variant of the paper's Table 2 sees them:
`gt` (the original), `grey` (ab = 0), `random` (ab of a random training image),
`ours` (our network: annealed mean at `colorize.T`, or the regressed ab of an L2
model) and `zhang` (Zhang et al.'s released ECCV16 weights, when
`colorize.zhang_weights` names the file). Which val images: `colorize.eval_synsets`,
`colorize.max_images`, `colorize.seed` (the paper: 1000 images of 20 synsets)."""

from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from colorization.devices import pick_device
from colorization.inference import colorize_lab, colorize_set, grey_uint8, in_batches, load_colorizer, with_ab_of
from colorization.lab import lab_to_uint8, uint8_to_lab
from colorization.model import load_zhang_eccv16
from stages.common import atomic_path, is_unset, load_params, run, say, write_csv, write_json
from stages.params import colorize, runtime

OUT = Path("data/colorized")
ZHANG_SIZE = 256  # Zhang's network sees 256 px L, as their demo does


def eval_subset(manifest, synsets, eval_synsets, max_images, seed):
    """Val rows to evaluate: those of the first `eval_synsets` synsets, at most `max_images`
    of them by a seeded sample (the paper: 1000 images of 20 of the 33 synsets)."""
    val = manifest.query("split == 'val'").sort_values("index")
    if eval_synsets:
        val = val[val.wnid.isin(list(synsets.wnid[:eval_synsets]))]
    if max_images and len(val) > max_images:
        val = val.sample(n=max_images, random_state=seed).sort_values("index")
    return val


def zhang_colorize(net, images, T, device):
    """Zhang's network at 256 px L; its ab is brought back to our size."""
    lab = uint8_to_lab(images, device)
    big = F.interpolate(lab, size=(ZHANG_SIZE, ZHANG_SIZE), mode="bilinear", align_corners=False)
    ab = F.interpolate(colorize_lab(net, big, T)[:, 1:], size=lab.shape[-2:], mode="bilinear", align_corners=False)
    return lab_to_uint8(torch.cat([lab[:, :1], ab], 1))


def main():
    p = load_params(colorize, runtime)
    c = p["colorize"]
    device = pick_device(p["runtime"]["device"])
    manifest = pd.read_csv("data/resized/manifest.csv")
    subset = eval_subset(manifest, pd.read_csv("data/synsets.csv"), c["eval_synsets"], c["max_images"], c["seed"])
    val = np.load("data/resized/val.npy", mmap_mode="r")
    gt = np.array(val[subset["index"].to_numpy()])
    train = np.load("data/resized/train.npy", mmap_mode="r")
    donors = np.random.default_rng(c["seed"]).integers(0, len(train), len(gt))
    variants = {
        "gt": gt,
        "grey": in_batches(grey_uint8, gt, 256, "grey"),
        "random": with_ab_of(gt, np.array(train[donors])),
    }
    model = load_colorizer("models/colorizer.pt", device)
    variants["ours"] = colorize_set(model, gt, c["T"], device, c["batch_size"], "ours")
    status = {}
    if not is_unset(c["zhang_weights"]):
        zhang = load_zhang_eccv16(c["zhang_weights"]).to(device)
        variants["zhang"] = in_batches(lambda b: zhang_colorize(zhang, b, c["T"], device), gt, 16, "zhang")
    else:
        status["zhang"] = "no weights given (colorize.zhang_weights)"
        say("colorize: zhang skipped: set colorize.zhang_weights to Zhang et al.'s "
            "colorization_release_v2-9b330a0b.pth to add the row")
    OUT.mkdir(parents=True, exist_ok=True)
    for name, arr in variants.items():
        with atomic_path(OUT / f"{name}.npy") as tmp:
            np.save(tmp, arr)
    rows = subset[["index", "wnid", "label", "source"]].rename(columns={"index": "val_index"})
    rows.insert(1, "random_donor", donors)
    write_csv(OUT / "images.csv", rows)
    write_json(OUT / "skipped.json", status)
    write_json(OUT / "info.json", {"T": c["T"], "head": model.head, "n_images": len(gt)})
    say(f"colorize: {len(gt)} val images x {len(variants)} variants ({', '.join(variants)}) at T={c['T']}")


if __name__ == "__main__":
    run(main)
