"""Stage `study_analysis`: the fool rate from every participant's results file in
data/study/responses/ (malformed or duplicate files are reported and skipped),
and the paper's Figure 3."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from colorization import figures as F
from colorization.study import ResponseError, read_responses, summarise
from stages.common import atomic_path, say, write_json

RESPONSES, STUDY, FIG = Path("data/study/responses"), Path("reports/study"), Path("reports/figures")


def collect(folder, known):
    """All valid result files; returns (trials, report of skipped files)."""
    frames, skipped, seen_hash, seen_pid = [], [], {}, {}
    for path in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        text = path.read_text(errors="replace")
        digest = hashlib.sha256(text.encode()).hexdigest()
        if digest in seen_hash:
            skipped.append({"file": path.name, "reason": f"duplicate of {seen_hash[digest]}"})
            continue
        try:
            frame = read_responses(text, known)
        except ResponseError as e:
            skipped.append({"file": path.name, "reason": str(e)})
            continue
        pid = frame.participant.iloc[0]
        if pid in seen_pid:
            skipped.append({"file": path.name, "reason": f"participant {pid} already counted from {seen_pid[pid]}"})
            continue
        seen_hash[digest], seen_pid[pid] = path.name, path.name
        frames.append(frame)
    trials = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["participant", "image", "fooled"])
    return trials, skipped


def fig3(result, trials_js):
    """Figure 3: the colourized images that fooled most participants, and some that fooled none."""
    per = result["per_image"]
    if not per:
        return F.study_placeholder("No study responses yet: put the participants' CSV files in data/study/responses/")
    fake_of = {t["id"]: t["fake"] for t in trials_js["images"]}
    ranked = sorted(per.items(), key=lambda kv: (-kv[1]["fooled"], kv[0]))
    most = [kv for kv in ranked if kv[1]["fooled"] > 0][:5]
    none = [kv for kv in ranked if kv[1]["fooled"] == 0][:5]
    pick = lambda kvs: [(np.asarray(Image.open(STUDY / fake_of[i])), f"fooled {v['fooled']}/{v['shown']}") for i, v in kvs]  # noqa: E731
    return F.study_results(pick(most), pick(none), result["summary"])


def main():
    trials_js = json.loads((STUDY / "trials.js").read_text().split("=", 1)[1].rstrip().rstrip(";"))
    known = {t["id"] for t in trials_js["images"]}
    trials, skipped = collect(RESPONSES, known)
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
    main()
