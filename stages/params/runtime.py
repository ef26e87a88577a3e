"""`runtime`: where networks run (read by every stage that runs one)."""

from stages.params.checks import one_of

COMMENT = ""
KEYS = {"device": one_of("auto", "auto", "cpu", "cuda", comment="auto | cpu | cuda (every stage that runs a network)")}
