"""`classifier`: the colour-trained VGG-16 (with batch norm) that scores top-1/top-5 (read by
classifier)."""

from stages.params.checks import integer, number, positive

COMMENT = "the colour-trained VGG-16 (with batch norm) that scores top-1/top-5"
KEYS = {
    "width": number(0.25, 0.01, 4),
    "input_size": integer(32, 32, null=True, comment="side the classifier sees (resized to it); none = data.size"),
    "dropout": number(0.0, 0, 0.9, comment="in the fully connected layers (VGG-16: 0.5; here 0 learns faster)"),
    "iterations": integer(500, 1, comment="450: gt top-1 near 90 %; 600: 6 s more (bench/classifier_speed.py)"),
    "batch_size": integer(64, 2),
    "lr": positive(1.0e-3),
    "seed": integer(0, 0),
}
