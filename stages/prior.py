"""Stage `prior`: the empirical ab-bin distribution of the training split at the
network's output resolution (as the loss sees it), smoothed (`prior.sigma`) and
turned into rebalancing weights (`prior.lam`, the reproduction's eq. 2 = Zhang et
al.'s eq. 3-4), or the same from a given prior (`prior.file`, e.g. Zhang's ImageNet
prior)."""

import numpy as np
import pandas as pd

from colorization.bins import Q, ab_bins
from colorization.lab import uint8_to_lab
from colorization.model import target_ab
from colorization.progress import Progress
from colorization.prior import bin_counts, empirical_prior, rebalance_weights, smooth_prior
from stages.common import is_unset, load_params, run, say, write_csv
from stages.params import prior

OUT = "data/prior.csv"


def count_bins(images, batch=256):
    """Bin counts of ab at the network's output resolution over uint8 (N,S,S,3)."""
    counts = np.zeros(Q)
    progress = Progress(len(images), "prior", unit="img", every=10)
    for i in range(0, len(images), batch):
        counts += bin_counts(target_ab(uint8_to_lab(images[i : i + batch])[:, 1:]))
        progress.update(len(images[i : i + batch]))
    progress.close()
    return counts


def prior_table(p, sigma, lam, counts=None):
    bins = ab_bins()
    smoothed = smooth_prior(p, sigma)
    return pd.DataFrame({
        "bin": np.arange(Q), "a": bins[:, 0], "b": bins[:, 1],
        "count": counts if counts is not None else np.full(Q, np.nan),
        "p_empirical": p, "p": smoothed, "weight": rebalance_weights(smoothed, lam),
    })


def main():
    params = load_params(prior)["prior"]
    if not is_unset(params["file"]):
        p, counts = empirical_prior(pd.read_csv(params["file"])["p"].to_numpy(dtype=float)), None
        say(f"prior: using the given prior {params['file']}")
    else:
        counts = count_bins(np.load("data/resized/train.npy", mmap_mode="r"))
        p = empirical_prior(counts)
    table = prior_table(p, params["sigma"], params["lam"], counts)
    write_csv(OUT, table)
    w = table.weight
    say(f"prior: {int((p > 0).sum())} of {Q} bins seen; weights {w.min():.2f}..{w.max():.2f} (lambda {params['lam']})")


if __name__ == "__main__":
    run(main)
