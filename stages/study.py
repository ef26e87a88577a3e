"""Stage `study`: a self-contained static site for the perceptual realism study
(section 5.3) in reports/study/: open index.html from disk, no server needed."""

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from colorization.study import choose_images, image_token, write_trials_js
from stages.common import atomic_path, load_params, run, say

SITE_SRC = Path(__file__).resolve().parents[1] / "colorization" / "study_site"
OUT, COL = Path("reports/study"), Path("data/colorized")
DISPLAY_SIZE = 256  # images are stored at least this large so browsers need not upscale much


def _png(arr, path):
    im = Image.fromarray(arr)
    if im.width < DISPLAY_SIZE:
        im = im.resize((DISPLAY_SIZE, DISPLAY_SIZE), Image.Resampling.BICUBIC)
    with atomic_path(path) as tmp:
        im.save(tmp, format="PNG")


def main():
    s = load_params()["study"]
    images = pd.read_csv(COL / "images.csv")
    gt, ours = np.load(COL / "gt.npy", mmap_mode="r"), np.load(COL / "ours.npy", mmap_mode="r")
    rows = choose_images(len(images), s["n_images"], s["seed"])
    shutil.rmtree(OUT / "images", ignore_errors=True)
    (OUT / "images").mkdir(parents=True)
    trials = []
    for r in rows:
        real, fake = (f"images/{image_token(s['seed'], int(r), k)}.png" for k in ("real", "fake"))
        _png(np.asarray(gt[r]), OUT / real)
        _png(np.asarray(ours[r]), OUT / fake)
        trials.append({"id": str(int(images.val_index[r])), "real": real, "fake": fake})
    for name in ("index.html", "study.css", "study.js"):
        shutil.copyfile(SITE_SRC / name, OUT / name)
    with atomic_path(OUT / "trials.js") as tmp:
        write_trials_js(tmp, s["display_ms"], s["seed"], trials)
    say(f"study: {len(trials)} pairs, {s['display_ms']} ms each; open {OUT / 'index.html'} in a browser")


if __name__ == "__main__":
    run(main)
