"""`study`: the perceptual realism study, after Zhang et al.'s AMT protocol (read by study and
study_analysis)."""

from stages.params.checks import Key, ParamsError, integer, number

COMMENT = "the perceptual study (Zhang et al.'s real-vs-fake protocol)"
METHODS = ("ours", "random", "zhang")  # the colourized variants a session can show
KEYS = {
    "n_images": integer(50, 1, comment="scored trials per participant (paper: 50; Zhang: 40)"),
    "display_ms": integer(1000, 50, 60000, comment="how long each pair is shown (paper: 1000)"),
    "seed": integer(0, 0),
    "practice": integer(5, 0, 50, comment="practice trials with feedback first, never counted (Zhang: 10)"),
    "vigilance": number(0.1, 0, 0.5, comment="share of added vigilance trials: the real photo against its "
                                             "greyscale"),
    "max_vigilance_misses": integer(1, 0, comment="a participant who misses more is excluded and listed"),
    "methods": Key(["ours"], lambda v: isinstance(v, list) and bool(v) and len(set(v)) == len(v)
                   and all(m in METHODS for m in v), "a non-empty list of distinct methods from "
                   + ", ".join(METHODS), "one per session, balanced over participants; zhang needs its weights"),
}


def check(s):
    if s["vigilance"] > 0 and round(s["vigilance"] * s["n_images"]) < 1:
        raise ParamsError(f"'study.vigilance' is {s['vigilance']}: no vigilance trial among {s['n_images']} "
                          "scored ones; raise it or set 0 for none")
