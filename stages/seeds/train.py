"""Stage `train` of seeds/dvc.yaml: the colourizer trained once per seed of the study, every
other setting the main run's. A seed whose model already belongs to exactly this run (the
main run's own seed, or one trained before a change of seeds.n) is copied or kept, not
trained again; an interrupted seed resumes from its checkpoint."""

import shutil
from pathlib import Path

import pandas as pd

from colorization.training import TrainingRun, run_training
from stages.common import load_params, run, say
from stages.params import model, runtime, seeds, train

MODELS, MAIN_MODEL, LOCK = Path("models/seeds"), "models/colorizer.pt", "models/train.lock"
TRAIN = "data/resized/train.npy"


def main():
    p = load_params(model, runtime, seeds, train)
    base = dict(p["train"])
    train.check_fits(base, p["model"]["width"], p["runtime"]["device"], TRAIN)
    weights = pd.read_csv("data/prior.csv")["weight"].to_numpy()
    study = seeds.seed_list(base["seed"], p["seeds"]["n"])
    for old in MODELS.glob("seed_*"):  # seeds no longer in the study
        if int(old.name.removeprefix("seed_")) not in study:
            shutil.rmtree(old)
    for k, seed in enumerate(study):
        folder = MODELS / f"seed_{seed}"
        say(f"seeds: training seed {seed} ({k + 1} of {len(study)})")
        run_training(TrainingRun.from_params(p, weights, folder / "model.pt", folder / "checkpoint.pt",
                                             train={**base, "seed": seed}, live_dir=folder / "log", train_npy=TRAIN,
                                             lock=LOCK, reuse=(folder / "model.pt", MAIN_MODEL), desc=f"seed {seed}"),
                     say=say)


if __name__ == "__main__":
    run(main)
