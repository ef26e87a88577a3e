"""A small study site (trials.js, the page, tiny images) and results files, without running
the pipeline: what the study's server and analysis tests share."""

import shutil

import numpy as np
from PIL import Image

from colorization.study import write_trials_js
from conftest import ROOT

HEADER = "participant,trial,image,real_side,answer,response_ms,kind,method\n"


def make_site(folder, methods=("ours", "random"), n_scored=4, n_practice=1, n_vigilance=1, display_ms=400):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "images").mkdir(exist_ok=True)
    rng = np.random.default_rng(0)

    def png(name):
        Image.fromarray(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(folder / "images" / name)
        return f"images/{name}"

    trials = {"vigilance": [{"id": f"vigilance-{900 + k}", "real": png(f"vr{k}.png"), "fake": png(f"vf{k}.png")}
                            for k in range(n_vigilance)]}
    for m in methods:
        trials[f"practice:{m}"] = [{"id": f"practice-{800 + k}", "real": png(f"pr{m}{k}.png"),
                                    "fake": png(f"pf{m}{k}.png")} for k in range(n_practice)]
        trials[f"scored:{m}"] = [{"id": str(k), "real": png(f"r{k}.png"), "fake": png(f"f{m}{k}.png")}
                                 for k in range(n_scored)]
    for name in ("index.html", "study.css", "study.js"):
        shutil.copyfile(ROOT / "colorization" / "study_site" / name, folder / name)
    write_trials_js(folder / "trials.js", {"displayMs": display_ms, "feedbackMs": 200, "seed": 0,
                                           "methods": list(methods), "maxVigilanceMisses": 0, "trials": trials})
    return folder


def results_csv(participant, method="ours", n_scored=4, fooled=(), vigilance_missed=False, kind=True):
    """One participant's results file: the practice, the scored trials (fooled on the images
    in ``fooled``) and the vigilance trial."""
    rows = [] if not kind else [("practice-800", "left", "left", "practice")]
    rows += [(str(k), "left", "right" if k in fooled else "left", "scored") for k in range(n_scored)]
    if kind:
        rows.append(("vigilance-900", "right", "left" if vigilance_missed else "right", "vigilance"))
    if not kind:
        return "participant,trial,image,real_side,answer,response_ms\n" + "".join(
            f"{participant},{i + 1},{img},{real},{ans},500\n" for i, (img, real, ans, _) in enumerate(rows))
    return HEADER + "".join(f"{participant},{i + 1},{img},{real},{ans},500,{k},{method}\n"
                            for i, (img, real, ans, k) in enumerate(rows))
