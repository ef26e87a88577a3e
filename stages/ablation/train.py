"""Stage `train@<variant>` of ablation/dvc.yaml: train one variant of Zhang et al.'s loss
ablation (``colorization.variants.ABLATION``). Where "full" is exactly the main run
(train.loss classification, prior.lam 0.5), the main pipeline's models/colorizer.pt is
copied instead of trained again (at paper scale that is 20 GPU-hours)."""

import sys
from pathlib import Path

import pandas as pd

from colorization.prior import rebalance_weights
from colorization.training import TrainingRun, run_training
from colorization.variants import ABLATION
from stages.common import load_params, run, say
from stages.params import model, runtime, train

MODELS, MAIN_MODEL, LOCK = Path("models/ablation"), "models/colorizer.pt", "models/train.lock"
TRAIN = "data/resized/train.npy"


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ABLATION:
        raise SystemExit(f"usage: python -m stages.ablation.train {{{','.join(ABLATION)}}}")
    variant = sys.argv[1]
    loss, lam, name = ABLATION[variant]
    p = load_params(model, runtime, train)
    cfg = {**{k: p["train"][k] for k in p["train"] if k != "loss"}, "loss": loss}  # train.loss is not read
    weights = rebalance_weights(pd.read_csv("data/prior.csv")["p"].to_numpy(), lam)
    folder = MODELS / variant
    run = TrainingRun.from_params(p, weights, folder / "model.pt", folder / "checkpoint.pt", train=cfg,
                                  live_dir=folder / "log", train_npy=TRAIN, lock=LOCK,
                                  reuse=(MAIN_MODEL,) if variant == "full" else (), desc=f"ablation {variant}")
    train.check_fits(run.train, run.width, run.device, TRAIN)
    say(f"ablation: {name}: {loss} loss" + (f", lambda {lam}" if loss == "classification" else ""))
    run_training(run, say=say)


if __name__ == "__main__":
    run(main)
