"""`synsets`: which classes, by WordNet path similarity to the seeds (read by synsets)."""

from stages.params.checks import integer, str_list

COMMENT = ""
KEYS = {
    "seeds": str_list(["fruit.n.01", "vegetable.n.01"]),
    "count": integer(33, 2, comment="how many of the source's classes (the paper: 33)"),
}
