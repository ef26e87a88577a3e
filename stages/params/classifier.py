"""`classifier`: the colour-trained VGG-16 (with batch norm) that scores top-1/top-5 (read by
classifier)."""

from stages.params.checks import integer, number, positive

COMMENT = "the colour-trained VGG-16 (with batch norm) that scores top-1/top-5"
KEYS = {
    "width": number(0.125, 0.01, 4),
    "iterations": integer(600, 1),
    "batch_size": integer(64, 2),
    "lr": positive(1.0e-3),
    "seed": integer(0, 0),
}
