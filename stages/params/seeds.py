"""`seeds`: the seed study (seeds/dvc.yaml, `make seeds`): how much the findings move with
another training seed (read by the seeds pipeline)."""

from stages.params.checks import integer

COMMENT = "make seeds: the colourizer trained again with other seeds"
KEYS = {
    "n": integer(5, 2, 100, comment="training seeds train.seed, train.seed + 1, ...; the first is the main run, "
                                    "reused"),
}


def seed_list(train_seed: int, n: int) -> list:
    return [train_seed + i for i in range(n)]
