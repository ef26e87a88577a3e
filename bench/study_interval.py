"""How the study's two 95 % intervals behave on simulated studies: the two-way bootstrap over
participants and images (what study_analysis reports) and the Wilson interval that treats
every trial as independent (what it reported before). Each simulated study: 30 participants x
40 images, a true mean fool rate of about 30 %, and people and images that differ (random
effects on the log-odds, sd 0.8 and 0.6): answers of one person, and of one image, are
correlated, as in a real study. Prints the mean width and the coverage of the true rate.

    python bench/study_interval.py [n_studies]
"""

import sys

import numpy as np
import pandas as pd

from colorization.study import summarise


BASE, SD_PERSON, SD_IMAGE = -0.95, 0.8, 0.6


def population_rate(draws=2_000_000, seed=123):
    """The fool rate over all people and all images (what a study estimates): E[sigmoid(logit)]."""
    rng = np.random.default_rng(seed)
    logit = BASE + rng.normal(0, SD_PERSON, draws) + rng.normal(0, SD_IMAGE, draws)
    return float(np.mean(1 / (1 + np.exp(-logit))))


def simulate(rng, people=30, images=40):
    logit = BASE + rng.normal(0, SD_PERSON, people)[:, None] + rng.normal(0, SD_IMAGE, images)[None, :]
    fooled = (rng.random((people, images)) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"participant": np.repeat([f"p{i}" for i in range(people)], images),
                         "image": np.tile([f"i{j}" for j in range(images)], people), "fooled": fooled.ravel()})


def main(n_studies=200):
    rng = np.random.default_rng(0)
    truth = population_rate()
    rows = []
    for k in range(n_studies):
        trials = simulate(rng)
        s = summarise(trials, seed=k)
        for name, (lo, hi) in (("bootstrap", s["ci95"]), ("wilson", s["ci95_wilson"])):
            rows.append({"interval": name, "width": hi - lo, "covers": lo <= truth <= hi, "rate": s["fool_rate"]})
    table = pd.DataFrame(rows).groupby("interval").agg(mean_width=("width", "mean"), coverage=("covers", "mean"))
    one = summarise(simulate(np.random.default_rng(1)))
    print(f"one simulated study (30 x 40 trials): fool rate {100 * one['fool_rate']:.1f} %, two-way bootstrap "
          f"[{100 * one['ci95'][0]:.1f}, {100 * one['ci95'][1]:.1f}], Wilson "
          f"[{100 * one['ci95_wilson'][0]:.1f}, {100 * one['ci95_wilson'][1]:.1f}]")
    print(f"over {n_studies} simulated studies (population fool rate {100 * truth:.1f} %; coverage: share of "
          "intervals that hold it):")
    print((100 * table).round(1).to_string())


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
