"""The report says what it measures: classes, chance levels, comparability of top-5, and
findings judged by the paired intervals (not by the point estimates)."""

from colorization.report import finding_rows, scoring_lines


def test_ten_classes_give_chance_levels_and_say_top5_is_at_its_ceiling():
    text = " ".join(scoring_lines("trained", 10, 600, 600))
    assert "over 10 classes" in text
    assert "chance: top-1 10.0 %, top-5 50.0 %" in text
    assert "near its ceiling" in text
    assert "not comparable with the KTH reproduction's top-5" in text
    assert "judged on top-1" in text


def test_thirty_three_classes_are_not_comparable_but_not_at_the_ceiling():
    text = " ".join(scoring_lines("trained", 33, 495, 495))
    assert "chance: top-1 3.0 %, top-5 15.2 %" in text
    assert "near its ceiling" not in text
    assert "not comparable" in text


def test_imagenet_vgg_scores_over_1000_classes_and_is_comparable():
    text = " ".join(scoring_lines("imagenet", 20, 1000, 950))
    assert "950 of 1000 scored" in text
    assert "chance: top-1 0.1 %, top-5 0.5 %" in text
    assert "not comparable" not in text


def test_findings_follow_the_paired_interval_not_the_point_estimate():
    metrics = {"gt": {"top1": 0.9}, "grey": {"auc_rebal": 0.60, "top1": 0.20, "top5": 0.4},
               "ours": {"auc_rebal": 0.70, "top1": 0.25, "top5": 0.5}}
    # ours is ahead on every point estimate; only the intervals decide
    ci = {"ours_minus_grey": {"auc_rebal": [0.05, 0.15], "top1": [-0.01, 0.11], "top5": [0.02, 0.2]},
          "gt_minus_ours": {"top1": [0.6, 0.7]}}
    rows = {label: (round(diff, 6), holds) for label, diff, _, holds in finding_rows(metrics, ci)}
    assert rows["rebalanced AuC: ours > greyscale"] == (0.1, True)
    assert rows["top-1: ours > greyscale"] == (0.05, False)
    assert rows["top-5: ours > greyscale"][1] is True
    assert rows["ground truth best: top-1 ground truth > ours"] == (0.65, True)


def test_a_skipped_variant_gives_no_finding():
    metrics = {"gt": {"top1": 0.9}, "ours": {"skipped": "no weights"}, "grey": {"top1": 0.2}}
    ci = {"ours_minus_grey": {"top1": [0.1, 0.2]}, "gt_minus_ours": {"top1": [0.1, 0.2]}}
    assert finding_rows(metrics, ci) == []


def test_the_ablation_table_has_a_row_per_variant_in_percent_beside_zhangs():
    from colorization.report import ABLATION_COLUMNS, ablation_table
    from colorization.variants import ABLATION, ABLATION_LABELS

    variants = ("gt", "grey", *ABLATION)
    metrics = {v: {k: 0.5 + 0.01 * i for k, *_ in ABLATION_COLUMNS} for i, v in enumerate(variants)}
    metrics["gt"]["colorfulness"] = 42.0
    ci = {v: {k: (m[k] - 0.02, m[k] + 0.02) for k in m} for v, m in metrics.items()}
    text = ablation_table(metrics, ci, "600 iterations")
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    ours = [r for r in rows if r.startswith(f"| {ABLATION_LABELS['full']} |")]
    assert len(ours) == 2  # this run's row and Zhang's
    assert f"| {ABLATION_LABELS['grey']} | 51.0 [49.0, 53.0] |" in text  # percent, with the interval
    assert "| 42.0 [42.0, 42.0] |" in text  # colourfulness on its own scale
    assert text.rstrip().endswith("Settings: 600 iterations.")
