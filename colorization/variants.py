"""The variants a run colourizes and scores, and how the paper names them: one home for the
lists and display names that the stages, tables and figures share."""

# The paper's Table 2 rows, in table order. "zhang" needs Zhang et al.'s released weights.
PIPELINE = ("gt", "grey", "random", "zhang", "ours")
LABELS = {"gt": "ground truth", "grey": "greyscale", "random": "random colourization", "zhang": "Zhang et al.",
          "ours": "ours"}
COLOURS = {"gt": "#222222", "grey": "#8c8c8c", "random": "#c49a6c", "zhang": "#1f77b4", "ours": "#d62728"}

# The paired differences that carry the reproduction's findings.
PAIRS = {"ours_minus_grey": ("ours", "grey"), "gt_minus_ours": ("gt", "ours")}
# (label, pair, metric): each finding, judged by the paired interval of its difference
FINDINGS = (
    ("rebalanced AuC: ours > greyscale", "ours_minus_grey", "auc_rebal"),
    ("top-1: ours > greyscale", "ours_minus_grey", "top1"),
    ("top-5: ours > greyscale", "ours_minus_grey", "top5"),
    ("ground truth best: top-1 ground truth > ours", "gt_minus_ours", "top1"),
)

# Zhang et al.'s Table 1 loss ablation: variant -> (loss, lambda of eq. 2, display name)
ABLATION = {"l2": ("regression", 0.5, "Ours (L2)"), "class": ("classification", 1.0, "Ours (class)"),
            "full": ("classification", 0.5, "Ours (full)")}
ABLATION_LABELS = {"gt": LABELS["gt"], "grey": LABELS["grey"], **{v: name for v, (_, _, name) in ABLATION.items()}}
