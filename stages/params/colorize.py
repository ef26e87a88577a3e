"""`colorize`: the val images as each variant sees them (read by colorize, and by the pipelines
that colourize them again)."""

from stages.params.checks import integer, number, path

COMMENT = ""
KEYS = {
    "T": number(0.38, 0, 10, comment="annealed-mean temperature (eq. 3 = Zhang eq. 5)"),
    "zhang_weights": path("Zhang's colorization_release_v2-9b330a0b.pth for the \"Zhang et al.\" row"),
    "batch_size": integer(64, 1),
    "eval_synsets": integer(None, 1, null=True, comment="colourize the val images of the first N selected synsets "
                                                         "(paper: 20); none = all"),
    "max_images": integer(None, 1, null=True, comment="at most this many of them, a seeded sample (paper: 1000); "
                                                       "none = all"),
    "seed": integer(0, 0, comment="the sample above and the donors of the \"random\" variant"),
}
