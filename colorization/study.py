"""The perceptual realism study of the paper's section 5.3, as data.

A two-alternative forced choice: each trial shows a colourized val image beside
its ground truth for a fixed time; the participant then says which was real. The
fool rate is the share of trials in which the colourized image was chosen
(paper: 18.78 % over ten participants). This module picks the images, reads and
checks the participants' result files, and computes the statistics; the page
itself lives in ``study_site/``.
"""

import hashlib
import io
import math

import numpy as np
import pandas as pd

RESPONSE_COLUMNS = ["participant", "trial", "image", "real_side", "answer", "response_ms"]
SIDES = ("left", "right")


def choose_images(n_available: int, n_images: int, seed: int) -> np.ndarray:
    """The study's images: a seeded sample of val rows (all of them if fewer), in row order."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_available, size=min(n_images, n_available), replace=False))


def image_token(seed: int, row: int, kind: str) -> str:
    """Opaque file names, so that a participant cannot tell real from fake by the URL."""
    return hashlib.sha256(f"{seed}:{row}:{kind}".encode()).hexdigest()[:12]


class ResponseError(ValueError):
    """A results file that cannot be counted; the message says why."""


def read_responses(text: str, known_images) -> pd.DataFrame:
    """Parse and check one participant's CSV; raises ResponseError on anything malformed."""
    try:
        frame = pd.read_csv(io.StringIO(text), dtype={"participant": str, "image": str})
    except Exception as e:  # pandas raises several kinds on garbage
        raise ResponseError(f"not a CSV: {e}") from None
    missing = [c for c in RESPONSE_COLUMNS if c not in frame.columns]
    if missing:
        raise ResponseError(f"missing columns {missing}")
    if frame.empty:
        raise ResponseError("no trials")
    if frame.participant.nunique() != 1:
        raise ResponseError("more than one participant id in one file")
    bad = ~frame.real_side.isin(SIDES) | ~frame.answer.isin(SIDES)
    if bad.any():
        raise ResponseError(f"row {int(np.argmax(bad.to_numpy())) + 1}: sides must be 'left' or 'right'")
    unknown = set(frame.image) - set(known_images)
    if unknown:
        raise ResponseError(f"images not in this study: {sorted(unknown)[:3]}")
    if frame.image.duplicated().any():
        raise ResponseError("an image was answered twice")
    if not pd.to_numeric(frame.response_ms, errors="coerce").ge(0).all():
        raise ResponseError("response_ms must be non-negative numbers")
    return frame[RESPONSE_COLUMNS].assign(fooled=(frame.answer != frame.real_side).astype(int))


def wilson_interval(k: int, n: int, z: float = 1.959964) -> tuple:
    """95% Wilson score interval for a proportion k/n (sensible near 0 and 1)."""
    if n == 0:
        return (math.nan, math.nan)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def summarise(trials: pd.DataFrame) -> dict:
    """Overall fool rate with its interval, and per participant and per image."""
    if trials.empty:
        return {"n_responses": 0, "n_trials": 0, "fool_rate": None, "ci95": None, "summary": "no responses yet",
                "per_participant": {}, "per_image": {}}
    k, n = int(trials.fooled.sum()), len(trials)
    lo, hi = wilson_interval(k, n)
    per_p = trials.groupby("participant").fooled.agg(["sum", "count"])
    per_i = trials.groupby("image").fooled.agg(["sum", "count"])
    return {
        "n_responses": int(trials.participant.nunique()), "n_trials": n, "fool_rate": k / n, "ci95": [lo, hi],
        "summary": f"{100 * k / n:.2f}% of {n} trials (95% CI {100 * lo:.1f}-{100 * hi:.1f}%), "
                   f"{trials.participant.nunique()} participants",
        "per_participant": {p: {"fooled": int(r["sum"]), "trials": int(r["count"])} for p, r in per_p.iterrows()},
        "per_image": {i: {"fooled": int(r["sum"]), "shown": int(r["count"])} for i, r in per_i.iterrows()},
    }
