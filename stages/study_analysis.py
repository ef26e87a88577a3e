"""Stage `study_analysis`: the fool rate from every participant's results file in
data/study/responses/ (malformed, duplicate or odd entries are listed with the reason
and skipped), and the paper's Figure 3."""

from pathlib import Path

import numpy as np
from PIL import Image

from colorization import figures as F
from colorization.study import collect_responses, read_trials_js, summarise
from stages.common import atomic_path, run, say, write_json

RESPONSES, STUDY, FIG = Path("data/study/responses"), Path("reports/study"), Path("reports/figures")


def fig3(result, trials_js):
    """Figure 3: the colourized images that fooled most participants, and some that fooled none."""
    per = result["per_image"]
    if not per:
        return F.study_placeholder("No study responses yet: put the participants' CSV files in data/study/responses/")
    fake_of = {t["id"]: t["fake"] for t in trials_js["images"]}
    ranked = sorted(per.items(), key=lambda kv: (-kv[1]["fooled"], kv[0]))
    most = [kv for kv in ranked if kv[1]["fooled"] > 0][:5]
    none = [kv for kv in ranked if kv[1]["fooled"] == 0][:5]

    def pick(kvs):
        return [(np.asarray(Image.open(STUDY / fake_of[i])), f"fooled {v['fooled']}/{v['shown']}") for i, v in kvs]

    return F.study_results(pick(most), pick(none), result["summary"])


def main():
    trials_js = read_trials_js(STUDY / "trials.js")
    known = {t["id"] for t in trials_js["images"]}
    trials, skipped = collect_responses(RESPONSES, known)
    result = {**summarise(trials), "skipped_files": skipped}
    write_json(STUDY / "results.json", result)
    lo, hi = result["ci95"] or (None, None)
    write_json(STUDY / "fool_rate.json", {"fool_rate": result["fool_rate"], "ci95_low": lo, "ci95_high": hi,
                                          "n_trials": result["n_trials"], "n_participants": result["n_responses"]})
    fig = fig3(result, trials_js)
    FIG.mkdir(parents=True, exist_ok=True)
    with atomic_path(FIG / "fig3_study.png") as tmp:
        fig.savefig(tmp, dpi=150, format="png")
    for s in skipped:
        say(f"study_analysis: skipped {s['file']}: {s['reason']}")
    say(f"study_analysis: fool rate {result['summary']}")


if __name__ == "__main__":
    run(main)
