"""`prior`: the empirical colour prior and class rebalancing (read by prior)."""

from pathlib import Path

from stages.params.checks import ParamsError, is_unset, number, path

COMMENT = ""
KEYS = {
    "sigma": number(5.0, 0, comment="Gaussian smoothing of the prior in ab units (Zhang: 5)"),
    "lam": number(0.5, 0, 1, comment="lambda of eq. 2 (Zhang eq. 4): 0 = full rebalancing, 1 = none"),
    "file": path("a given prior (CSV with column p, 313 rows) instead of the train split's"),
}


def check(s):
    if not is_unset(s["file"]):
        check_prior_file(s["file"])


def check_prior_file(file):
    import numpy as np
    import pandas as pd

    from colorization.bins import Q

    where = f"'prior.file' {file}"
    if not Path(file).is_file():
        raise ParamsError(f"{where} does not exist")
    try:
        frame = pd.read_csv(file)
    except Exception as e:  # pandas raises several kinds on garbage
        raise ParamsError(f"{where} is not a CSV: {e}") from None
    if "p" not in frame.columns:
        raise ParamsError(f"{where} has no column 'p' (columns: {', '.join(map(str, frame.columns))})")
    p = pd.to_numeric(frame["p"], errors="coerce").to_numpy(dtype=float)
    if p.shape != (Q,) or not np.isfinite(p).all() or (p < 0).any() or p.sum() <= 0:
        raise ParamsError(f"{where}: expected {Q} finite, non-negative values in column 'p' "
                          f"(got {len(p)} rows, {int((~np.isfinite(p)).sum())} not finite, "
                          f"{int((p < 0).sum())} negative)")
