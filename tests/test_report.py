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


def test_the_last_screen_of_a_run_is_table2_in_percent_and_says_when_tracked_outputs_changed(tmp_path, capsys):
    import json
    import subprocess

    from colorization.__main__ import main
    from colorization.variants import LABELS

    metrics = {v: {"auc": 0.8, "auc_rebal": 0.7, "top1": 0.25, "top5": 0.5, "colorfulness": 40.0, "delta_cf": 3.0,
                   "psnr": 21.0, "ssim": 0.9} for v in ("gt", "grey", "random", "ours")}
    metrics["ours"]["top1"] = 0.5
    metrics["zhang"] = {"skipped": "no weights given"}
    ci = {"ours_minus_grey": {"auc_rebal": [-0.1, 0.1], "top1": [0.1, 0.4], "top5": [-0.1, 0.1]},
          "gt_minus_ours": {"top1": [-0.3, -0.2]}}
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "metrics.json").write_text(json.dumps(metrics))
    (tmp_path / "reports" / "metrics_ci.json").write_text(json.dumps(ci))
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "reference"], check=True)

    def screen():
        import os

        cwd = os.getcwd()
        os.chdir(tmp_path)
        try:
            assert main(["results"]) == 0
        finally:
            os.chdir(cwd)
        return capsys.readouterr().out

    text = screen()
    row = next(line for line in text.splitlines() if line.startswith(LABELS["ours"]))
    assert row.split()[-8:] == ["80.0", "70.0", "50.0", "50.0", "40.0", "3.0", "21.0", "0.900"]
    assert "skipped: no weights given" in text and "top-1: ours > greyscale: +25.0 points [+10.0, +40.0]" in text
    assert "make verify" not in text  # the tree is the committed one
    metrics["ours"]["top1"] = 0.45
    (tmp_path / "reports" / "metrics.json").write_text(json.dumps(metrics))
    text = " ".join(screen().split())
    assert "1 tracked output file(s) differ from the committed reference run" in text and "make verify" in text


def test_generated_tables_use_readable_metric_names_and_one_spelling_of_colourization():
    import re

    from colorization.probe import LAYERS
    from colorization.probe_report import probe_findings, probe_table
    from colorization.seeds import seed_table, summarise_seeds
    from colorization.variants import FINDINGS

    keys = ("auc", "auc_rebal", "auc_rebal_eq", "top1", "top5", "colorfulness", "delta_cf", "psnr", "ssim")
    runs = [{"seed": s, "main_run": s == 0, "ours": {k: 0.5 + 0.01 * s for k in keys},
             "findings": {f"{pair}.{key}": {"difference": 0.1, "interval": [0.05, 0.15]} for _, pair, key in FINDINGS}}
            for s in range(3)]
    seeds_md = seed_table(summarise_seeds(runs), runs, "synthetic", 600)
    rows = [row for row in seeds_md.splitlines() if row.startswith("| ") and "main run" not in row]
    names = [row.split("|")[1].strip() for row in rows]
    assert "AuC rebalanced" in names and "top-1" in names and "ΔCF" in names
    assert not set(names) & set(keys)  # no raw keys as row names
    top1 = {init: {layer: 0.2 + 0.01 * i for i, layer in enumerate(LAYERS)} for init in
            ("colorization", "random", "supervised")}
    ci = {f"{a}_minus_{b}": {layer: [0.01, 0.05] for layer in LAYERS} for a, b in
          (("colorization", "random"), ("supervised", "random"), ("supervised", "colorization"))}
    intervals = {init: {layer: [0.1, 0.3] for layer in LAYERS} for init in top1}
    params = {"train": {"seed": 0, "iterations": 600, "batch_size": 32},
              "probe": {"epochs": 3, "dims": 512, "rescale_images": 256}}
    probe_md = probe_table(top1, intervals, ci, probe_findings(top1, ci), 33, 100, 50, params)
    prose = re.sub(r"`[^`]*`|\S+\.(?:pth|py|json)\b", "", probe_md + seeds_md)  # code and file names aside
    assert not re.search(r"[Cc]olori[sz]ation", prose), re.findall(r".{30}[Cc]olori[sz]ation.{10}", prose)


def test_the_time_left_follows_the_mean_rate_not_the_last_slow_step(monkeypatch):
    import io

    from colorization import progress as P

    clock = [0.0]
    monkeypatch.setattr(P.time, "perf_counter", lambda: clock[0])
    bar = P.Progress(100, "train", stream=io.StringIO(), every=1e9)
    for _ in range(10):  # 1 s per step
        clock[0] += 1.0
        bar.update(1)
    assert bar.line().endswith("1 min 30 s left")
    clock[0] += 10.0  # one step under load: the last interval alone would say 890 s
    bar.update(1)
    assert bar.line().endswith("2 min 42 s left")  # 89 steps at 11/20 it/s
