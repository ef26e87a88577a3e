"""Stage `study`: a self-contained static site for the perceptual realism study (section 5.3,
after Zhang et al.'s protocol) in reports/study/: practice trials with feedback, then the
scored trials of one method per session with vigilance trials mixed in. Open index.html from
disk (answers leave as a download) or serve it with `python -m colorization study serve`
(answers are posted to the server)."""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from colorization.study import image_token, split_images, write_trials_js
from stages.common import ParamsError, atomic_path, load_params, run, say
from stages.params import study

SITE_SRC = Path(__file__).resolve().parents[1] / "colorization" / "study_site"
OUT, COL = Path("reports/study"), Path("data/colorized")
DISPLAY_SIZE = 256  # images are stored at least this large so browsers need not upscale much
FEEDBACK_MS = 900  # how long a practice trial's feedback stays


def _png(arr, path):
    im = Image.fromarray(np.asarray(arr))
    if im.width < DISPLAY_SIZE:
        im = im.resize((DISPLAY_SIZE, DISPLAY_SIZE), Image.Resampling.BICUBIC)
    with atomic_path(path) as tmp:
        im.save(tmp, format="PNG")


def main():
    s = load_params(study)["study"]
    images = pd.read_csv(COL / "images.csv")
    skipped = json.loads((COL / "skipped.json").read_text())
    unavailable = [m for m in s["methods"] if m in skipped]
    if unavailable:
        raise ParamsError(f"'study.methods' holds {unavailable}, which this run did not colourize "
                          f"({skipped[unavailable[0]]})")
    gt = np.load(COL / "gt.npy", mmap_mode="r")
    fakes = {m: np.load(COL / f"{m}.npy", mmap_mode="r") for m in s["methods"]}
    grey = np.load(COL / "grey.npy", mmap_mode="r")
    n_vigilance = round(s["vigilance"] * s["n_images"])
    rows = split_images(len(images), s["n_images"], s["practice"], n_vigilance, s["seed"])
    shutil.rmtree(OUT / "images", ignore_errors=True)
    (OUT / "images").mkdir(parents=True)

    def pair(r, fake_kind, fake_images, prefix=""):
        real, fake = (f"images/{image_token(s['seed'], int(r), k)}.png" for k in ("real", fake_kind))
        if not (OUT / real).exists():
            _png(gt[r], OUT / real)
        _png(fake_images[r], OUT / fake)
        return {"id": f"{prefix}{int(images.val_index[r])}", "real": real, "fake": fake}

    trials = {"vigilance": [pair(r, "grey", grey, "vigilance-") for r in rows["vigilance"]]}
    for m in s["methods"]:
        trials[f"practice:{m}"] = [pair(r, f"fake-{m}", fakes[m], "practice-") for r in rows["practice"]]
        trials[f"scored:{m}"] = [pair(r, f"fake-{m}", fakes[m]) for r in rows["scored"]]
    for name in ("index.html", "study.css", "study.js"):
        shutil.copyfile(SITE_SRC / name, OUT / name)
    with atomic_path(OUT / "trials.js") as tmp:
        write_trials_js(tmp, {"displayMs": s["display_ms"], "feedbackMs": FEEDBACK_MS, "seed": s["seed"],
                              "methods": list(s["methods"]), "maxVigilanceMisses": s["max_vigilance_misses"],
                              "trials": trials})
    say(f"study: {len(rows['scored'])} scored pairs per session ({', '.join(s['methods'])}), "
        f"{len(rows['practice'])} practice, {len(rows['vigilance'])} vigilance, {s['display_ms']} ms each; open "
        f"{OUT / 'index.html'} in a browser, or serve it: python -m colorization study serve")


if __name__ == "__main__":
    run(main)
