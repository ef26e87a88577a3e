"""Glue shared by the stage scripts: validated params, atomic writes, device choice.

Params are checked against ``SCHEMA`` before any work starts, so a typo or a
wrong type fails in the first second with the key and what it accepts.
"""

import json
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _num(lo=None, hi=None, integer=False, nullable=False):
    kind = "an integer" if integer else "a number"
    rng = f" in [{lo}, {hi}]" if hi is not None else (f" >= {lo}" if lo is not None else "")

    def check(v):
        if v is None and nullable:
            return True
        if isinstance(v, bool) or not isinstance(v, int if integer else (int, float)):
            return False
        return (lo is None or v >= lo) and (hi is None or v <= hi)

    return check, kind + rng + (" or null" if nullable else "")


def _one_of(*choices):
    return (lambda v: v in choices), "one of " + ", ".join(map(repr, choices))


def _path(nullable=True):
    return (lambda v: (v is None and nullable) or isinstance(v, str)), "a path" + (" or null" if nullable else "")


def _str_list():
    return (lambda v: isinstance(v, list) and v and all(isinstance(s, str) for s in v)), "a non-empty list of strings"


def _betas():
    ok = lambda v: isinstance(v, list) and len(v) == 2 and all(isinstance(b, (int, float)) and 0 <= b < 1 for b in v)  # noqa: E731
    return ok, "a list of two numbers in [0, 1)"


SCHEMA = {
    "data": {
        "source": _one_of("synthetic", "folder", "imagenet"),
        "root": _path(),
        "class_map": _path(),
        "size": _num(16, 4096, integer=True),
        "resize_mode": _one_of("squash", "center_crop"),
        "train_per_class": _num(1, integer=True, nullable=True),
        "val_per_class": _num(1, integer=True, nullable=True),
        "seed": _num(0, integer=True),
    },
    "synsets": {"seeds": _str_list(), "count": _num(1, integer=True)},
    "prior": {"sigma": _num(0), "lam": _num(0, 1), "file": _path()},
    "model": {"width": _num(0.01, 4)},
    "train": {
        "iterations": _num(1, integer=True),
        "batch_size": _num(1, integer=True),
        "crop": _num(8, integer=True),
        "flip": _num(0, 1),
        "lr": _num(0),
        "betas": _betas(),
        "weight_decay": _num(0),
        "soft_k": _num(1, 313, integer=True),
        "soft_sigma": _num(0.1),
        "drop_grey_images": _one_of(True, False),
        "seed": _num(0, integer=True),
        "device": _one_of("auto", "cpu", "cuda"),
        "workers": _num(0, 64, integer=True, nullable=True),
        "checkpoint_every": _num(1, integer=True),
        "log_every": _num(1, integer=True),
        "preview_every": _num(1, integer=True),
    },
    "classifier": {
        "width": _num(0.01, 4),
        "iterations": _num(1, integer=True),
        "batch_size": _num(1, integer=True),
        "lr": _num(0),
        "seed": _num(0, integer=True),
    },
    "colorize": {"T": _num(0, 10), "zhang_weights": _path(), "batch_size": _num(1, integer=True)},
    "evaluate": {
        "classifier": _one_of("trained", "imagenet"),
        "vgg16_weights": _path(),
        "eval_synsets": _num(1, integer=True, nullable=True),
        "max_images": _num(1, integer=True, nullable=True),
        "bootstrap": _num(0, integer=True),
        "seed": _num(0, integer=True),
    },
    "study": {"n_images": _num(1, integer=True), "display_ms": _num(50, 60000, integer=True), "seed": _num(0, integer=True)},
}


class ParamsError(SystemExit):
    def __init__(self, msg):
        super().__init__(f"params.yaml: {msg}")


def validate(params: dict) -> dict:
    """Check every key against SCHEMA; unknown, missing and wrong values all name the key."""
    for section, value in params.items():
        if section not in SCHEMA:
            raise ParamsError(f"unknown section '{section}'; allowed: {', '.join(SCHEMA)}")
        if not isinstance(value, dict):
            raise ParamsError(f"'{section}' must be a mapping of keys")
    for section, keys in SCHEMA.items():
        given = params.get(section, {})
        for key in given:
            if key not in keys:
                raise ParamsError(f"unknown key '{section}.{key}'; allowed in '{section}': {', '.join(keys)}")
        for key, (check, allowed) in keys.items():
            if key not in given:
                raise ParamsError(f"missing key '{section}.{key}' (expected {allowed})")
            if not check(given[key]):
                raise ParamsError(f"'{section}.{key}' is {given[key]!r}; expected {allowed}")
    return params


def load_params(path=None) -> dict:
    path = Path(path or os.environ.get("COLORIZATION_PARAMS", ROOT / "params.yaml"))
    with open(path) as f:
        return validate(yaml.safe_load(f) or {})


@contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; rename onto it only if the block succeeds,
    so an interrupted stage never leaves a half-written output for DVC to cache."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; outputs are meant to be shared
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_json(path, obj):
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=False) + "\n")


def write_csv(path, frame):
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def pick_device(name="auto"):
    import torch

    if name == "cuda" and not torch.cuda.is_available():
        raise SystemExit("train.device is 'cuda' but no CUDA GPU is visible; use 'auto' or 'cpu'")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


def say(msg):
    print(msg, file=sys.stderr, flush=True)
