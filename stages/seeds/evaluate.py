"""Stage `evaluate` of seeds/dvc.yaml: every seed's colourizer colourizes the main run's val
selection and is scored by its classifier with the same bootstrap resamples, so each seed has
the main run's numbers and paired intervals. Over the seeds: mean, sd, min and max of every
metric of ours, and how many seeds each finding held in (reports/seeds.json, a DVC metrics
file; reports/seeds.md; reports/figures/seeds.png; per seed in reports/seeds_runs.json)."""

from pathlib import Path

from colorization import figures as F
from colorization.devices import pick_device
from colorization.evaluation import evaluation_set, gt_bin_counts, score_variant, summarise_variants
from colorization.inference import colorize_set, load_colorizer
from colorization.seeds import finding_key, seed_table, summarise_seeds
from colorization.variants import FINDINGS, PAIRS
from stages.common import atomic_path, load_params, run, say, write_json
from stages.params import colorize, evaluate, runtime, seeds

MODELS, COL, REP = Path("models/seeds"), Path("data/colorized"), Path("reports")


def main():
    p = load_params(colorize, evaluate, runtime, seeds)
    e, T = p["evaluate"], p["colorize"]["T"]
    main_seed = p["train"]["seed"]
    study = seeds.seed_list(main_seed, p["seeds"]["n"])
    device = pick_device(p["runtime"]["device"])
    ev = evaluation_set(e["classifier"], e["bootstrap"], e["seed"], device, evaluate.vgg16_weights(e), COL)
    gt, prior, scores_of, labels, boot = ev.gt, ev.prior, ev.scores_of, ev.labels, ev.resamples
    eq_counts = gt_bin_counts(gt)
    fixed = {v: score_variant(x, gt, prior, eq_counts, scores_of, labels) for v, x in ev.variants().items()}
    runs = []
    for seed in study:
        net = load_colorizer(MODELS / f"seed_{seed}" / "model.pt", device)
        ours = colorize_set(net, gt, T, device, desc=f"seed {seed}")
        point, ci = summarise_variants({**fixed, "ours": score_variant(ours, gt, prior, eq_counts, scores_of, labels)},
                                       boot, PAIRS)
        runs.append({"seed": seed, "main_run": seed == main_seed, "ours": point["ours"],
                     "findings": {finding_key(pair, key): {"difference": point[PAIRS[pair][0]][key]
                                                           - point[PAIRS[pair][1]][key],
                                                           "interval": ci[pair][key]}
                                  for _, pair, key in FINDINGS}})
        say(f"seeds: seed {seed}: " + "  ".join(f"{k} {v:.3f}" for k, v in point["ours"].items()
                                               if k in ("auc_rebal", "top1", "top5")))
    summary = summarise_seeds(runs)
    write_json(REP / "seeds.json", summary)
    write_json(REP / "seeds_runs.json", runs)
    with atomic_path(REP / "seeds.md") as tmp:
        tmp.write_text(seed_table(summary, runs, p["data"]["source"], p["train"]["iterations"]))
    F.save_png(F.seed_findings(runs, [(label, finding_key(pair, key)) for label, pair, key in FINDINGS]),
               REP / "figures" / "seeds.png")


if __name__ == "__main__":
    run(main)
