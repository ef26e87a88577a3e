"""`model`: the ECCV16 network's size (read by train, and by the pipelines that train it again)."""

from stages.params.checks import number

COMMENT = ""
KEYS = {"width": number(0.125, 0.01, 4, comment="channel multiplier (paper: 1.0)")}
