"""Stage `prior`: the empirical ab-bin distribution of the training split at the
network's output resolution (a quarter of the crop, as in training), smoothed
(`prior.sigma`) and turned into rebalancing weights (`prior.lam`)."""

import numpy as np
import pandas as pd
import torch.nn.functional as F
from tqdm import tqdm

from colorization.bins import Q, ab_bins
from colorization.lab import uint8_to_lab
from colorization.prior import bin_counts, empirical_prior, rebalance_weights, smooth_prior
from stages.common import load_params, say, write_csv

OUT = "data/prior.csv"
OUTPUT_STRIDE = 4  # the network predicts ab at 1/4 of its input resolution


def count_bins(images, batch=256):
    """Bin counts of ab, average-pooled to output resolution, over uint8 (N,S,S,3)."""
    counts = np.zeros(Q)
    for i in tqdm(range(0, len(images), batch), desc="prior", mininterval=2, disable=None):
        ab = F.avg_pool2d(uint8_to_lab(images[i : i + batch])[:, 1:], OUTPUT_STRIDE)
        counts += bin_counts(ab)
    return counts


def read_prior_file(path):
    p = pd.read_csv(path)["p"].to_numpy(dtype=float)
    if p.shape != (Q,) or (p < 0).any() or p.sum() <= 0:
        raise SystemExit(f"prior.file {path}: expected a column 'p' of {Q} non-negative values")
    return p / p.sum()


def prior_table(p, sigma, lam, counts=None):
    bins = ab_bins()
    smoothed = smooth_prior(p, sigma)
    return pd.DataFrame({
        "bin": np.arange(Q), "a": bins[:, 0], "b": bins[:, 1],
        "count": counts if counts is not None else np.full(Q, np.nan),
        "p_empirical": p, "p": smoothed, "weight": rebalance_weights(smoothed, lam),
    })


def main():
    params = load_params()["prior"]
    if params["file"]:
        p, counts = read_prior_file(params["file"]), None
        say(f"prior: using the given prior {params['file']}")
    else:
        counts = count_bins(np.load("data/resized/train.npy", mmap_mode="r"))
        p = empirical_prior(counts)
    table = prior_table(p, params["sigma"], params["lam"], counts)
    write_csv(OUT, table)
    w = table.weight
    say(f"prior: {int((p > 0).sum())} of {Q} bins seen; weights {w.min():.2f}..{w.max():.2f} (lambda {params['lam']})")


if __name__ == "__main__":
    main()
