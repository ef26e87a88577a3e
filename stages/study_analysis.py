"""Stage `study_analysis`: per method, the fool rate of the participants' results files in
data/study/responses/ with a 95 % interval from a bootstrap over participants and images;
participants who failed the vigilance trials are excluded, and malformed, duplicate or odd
files skipped, each listed with the reason; partial sessions are counted and listed. And
the paper's Figure 3."""

from pathlib import Path

import numpy as np
from PIL import Image

from colorization import figures as F
from colorization.study import analyse, collect_responses, read_trials_js
from stages.common import load_params, run, say, write_json
from stages.params import study

RESPONSES, STUDY, FIG = Path("data/study/responses"), Path("reports/study"), Path("reports/figures")


def fig3(result, trials_js):
    """Figure 3: per method, the colourized images that fooled most participants, and some that fooled none."""
    rows = {}
    for method, summary in result["methods"].items():
        per = summary["per_image"]
        if not per:
            continue
        fake_of = {t["id"]: t["fake"] for t in trials_js["trials"][f"scored:{method}"]}
        ranked = sorted(per.items(), key=lambda kv: (-kv[1]["fooled"], kv[0]))
        most = [kv for kv in ranked if kv[1]["fooled"] > 0][:5]
        none = [kv for kv in ranked if kv[1]["fooled"] == 0][:5]
        rows[method] = [[(np.asarray(Image.open(STUDY / fake_of[i])), f"fooled {v['fooled']}/{v['shown']}")
                         for i, v in kvs] for kvs in (most, none)]
    if not rows:
        return F.study_placeholder("No study responses yet: serve the study (python -m colorization study serve) "
                                   "or put the participants' CSV files in data/study/responses/")
    return F.study_results(rows, {m: s["summary"] for m, s in result["methods"].items()})


def _metrics(r):
    lo, hi = r["ci95"] or (None, None)
    return {"fool_rate": r["fool_rate"], "ci95_low": lo, "ci95_high": hi, "n_trials": r["n_trials"],
            "n_participants": r["n_participants"]}


def main():
    s = load_params(study)["study"]
    trials_js = read_trials_js(STUDY / "trials.js")
    known = {t["id"] for group in trials_js["trials"].values() for t in group}
    expected = {m: len(trials_js["trials"][f"scored:{m}"]) for m in trials_js["methods"]}
    trials, skipped, partial = collect_responses(RESPONSES, known, expected)
    result = analyse(trials, trials_js["methods"], s["max_vigilance_misses"], s["seed"])
    first = result["methods"][trials_js["methods"][0]]
    result.update(summary=first["summary"], n_responses=int(trials.participant.nunique()) if len(trials) else 0,
                  skipped_files=skipped, partial_files=partial)
    write_json(STUDY / "results.json", result)
    write_json(STUDY / "fool_rate.json", {m: _metrics(r) for m, r in result["methods"].items()})
    F.save_png(fig3(result, trials_js), FIG / "fig3_study.png")
    for entry in skipped:
        say(f"study_analysis: skipped {entry['file']}: {entry['reason']}")
    for entry in result["excluded"]:
        say(f"study_analysis: excluded {entry['participant']}: {entry['reason']}")
    for entry in partial:
        say(f"study_analysis: partial {entry['file']}: {entry['scored']} of {entry['expected']} scored trials")
    for m, r in result["methods"].items():
        say(f"study_analysis: {m}: fool rate {r['summary']}")


if __name__ == "__main__":
    run(main)
