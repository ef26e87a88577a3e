"""`finetune`: fine-tuning every layer with few labels (read by the probe pipeline's `finetune`
stage, `make probe`): the same schedule for every initialisation and label fraction, fixed
before any val image is scored."""

from stages.params.checks import ParamsError, Key, integer, number, positive

COMMENT = "make probe: every layer fine-tuned with labels, at label fractions of the train split"


def _fractions(v):
    return isinstance(v, list) and len(v) >= 1 and all(
        isinstance(f, (int, float)) and not isinstance(f, bool) and 0 < f <= 1 for f in v)


KEYS = {
    "fractions": Key([0.05, 0.25, 1.0], _fractions, "a list of numbers in (0, 1]",
                     "share of the train split's labels, class-balanced (the same images for every start)"),
    "head_epochs": integer(30, 0, comment="first the new head alone, fitted as a linear probe on the frozen body"),
    "iterations": integer(300, 1, comment="then every layer: SGD steps at every fraction (cosine decay to 0)"),
    "batch_size": integer(32, 2),
    "crop": integer(56, 8, comment="random crop of the stored images (then every image whole for scoring)"),
    "dims": integer(9000, 16, comment="the last block's output average-pooled to about this many values for the head"),
    "head_lr": positive(0.01, comment="the head's while the body is frozen (the linear probes' rate)"),
    "lr": positive(1.0e-3, comment="every layer's after that (SGD); chosen on a held-out fifth of the train "
                                   "split (bench/finetune_schedule.py)"),
    "momentum": number(0.9, 0, 0.999),
    "weight_decay": number(5.0e-4, 0),
    "seed": integer(0, 0),
}


def check(f):
    if sorted(set(f["fractions"])) != f["fractions"]:
        raise ParamsError(f"'finetune.fractions' is {f['fractions']}; expected distinct fractions in increasing order")
