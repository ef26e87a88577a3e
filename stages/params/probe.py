"""`probe`: the linear probes on frozen features of Zhang et al.'s section 3.3 (read by the
probe pipeline, `make probe`). The supervised body trains with the colourizer's train.*
settings; these settings are the probes' own, the same for every layer and initialisation."""

from stages.params.checks import integer, number, positive

COMMENT = "make probe: linear classifiers on frozen features per layer (Zhang et al. sec. 3.3)"
KEYS = {
    "dims": integer(9000, 16, comment="each block's output average-pooled to about this many values (protocol: 9000)"),
    "epochs": integer(30, 3, comment="SGD epochs of each probe; lr x 0.1 after each third"),
    "batch_size": integer(256, 2),
    "lr": positive(0.01),
    "momentum": number(0.9, 0, 0.999),
    "weight_decay": number(5.0e-4, 0),
    "seed": integer(0, 0),
    "rescale_images": integer(256, 2, comment="train images (a seeded sample) the random body is rescaled on "
                                              "(data-dependent initialisation)"),
}
