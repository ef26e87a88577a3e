"""Zhang et al.'s Table 1 loss ablation on the current data (ablation/dvc.yaml, `make ablation`),
which no public reproduction re-runs:

* `l2`: the same network regressing ab with an L2 loss (Zhang eq. 1) - "Ours (L2)";
* `class`: classification without rebalancing (lambda = 1) - "Ours (class)";
* `full`: classification with rebalancing (lambda = 0.5) - "Ours (full)".

Every other training setting is the pipeline's own (train.*, model.width, the train
split, the prior's smoothing), so the three differ in the loss alone.

    python -m stages.ablation.train full      # one variant: models/ablation/full/
    python -m stages.ablation.evaluate        # reports/ablation.{md,json}, reports/figures/ablation.png
"""
