"""Stage `train`: train ColorizationNet from scratch on the resized train split.

Resumable: a checkpoint of model, optimizer and RNG states is written every
`train.checkpoint_every` iterations to models/checkpoints/ (a DVC `persist` output).
Re-running after an interruption (kill -9 included) continues from it and ends with the
same weights as an uninterrupted run. A checkpoint is resumed only by the run it belongs
to: same params, same training pixels, same weight-shaping code, at most
`train.iterations` steps, and the same learning rate on every step it took; anything
else starts afresh and says why. One training at a time per workspace (models/train.lock
holds the PID of the one running). Multi-GPU / multi-node: launch with
`torchrun --nproc_per_node=N -m stages.train`.
"""

import os

import pandas as pd

from colorization.devices import pick_device
from colorization.provenance import environment
from colorization.training import TrainingRun, autocast_dtype, run_training
from stages.common import load_params, run, say, write_json
from stages.params import model, runtime, train

OUT, CKPT, LOCK, LIVE = "models/colorizer.pt", "models/checkpoints/last.pt", "models/train.lock", "dvclive"
ENV = "reports/environment.json"  # what decided the weights' bytes besides code, params and data
TRAIN, VAL, PRIOR = "data/resized/train.npy", "data/resized/val.npy", "data/prior.csv"


def main():
    p = load_params(model, runtime, train)
    run = TrainingRun.from_params(p, pd.read_csv(PRIOR)["weight"].to_numpy(), OUT, CKPT, live_dir=LIVE,
                                  train_npy=TRAIN, preview_npy=VAL, lock=LOCK)
    train.check_fits(run.train, run.width, run.device, TRAIN)
    run_training(run, say=say)
    if int(os.environ.get("RANK", 0)) != 0:  # under torchrun: rank 0 records it
        return
    device = pick_device(p["runtime"]["device"])
    precision = "bf16" if autocast_dtype(run.train["precision"], device) is not None else "fp32"
    write_json(ENV, environment(device, precision))


if __name__ == "__main__":
    run(main)
