"""Glue shared by the stage scripts: validated params, atomic writes, device choice,
and one-line errors.

Params are checked against ``SCHEMA`` (and against each other) before any work
starts, so a typo, a wrong type or a combination that would crash a later stage
fails in the first second with the key and what it accepts. Each stage sees its
params through a recorder, so a test can prove that ``dvc.yaml`` declares every
key a stage reads.
"""

import atexit
import errno
import json
import math
import os
import sys
from collections.abc import Mapping
from pathlib import Path

import yaml

from colorization.atomic import atomic_path

ROOT = Path(__file__).resolve().parents[1]
# What a param that names a file holds when no file is given. DVC needs every dependency
# to exist (``${prior.file}`` in dvc.yaml), so this is a real, empty-of-meaning file in
# the repository root; a null value would stop DVC before any stage could explain.
UNSET = "none"
PARAMS_LOG_ENV = "COLORIZATION_PARAMS_LOG"


def is_unset(value) -> bool:
    return value is None or value == UNSET


def _num(lo=None, hi=None, integer=False, nullable=False):
    kind = "an integer" if integer else "a finite number"
    rng = f" in [{lo}, {hi}]" if hi is not None else (f" >= {lo}" if lo is not None else "")

    def check(v):
        if v is None and nullable:
            return True
        if isinstance(v, bool) or not isinstance(v, int if integer else (int, float)):
            return False
        return math.isfinite(v) and (lo is None or v >= lo) and (hi is None or v <= hi)

    return check, kind + rng + (" or null" if nullable else "")


def _positive():
    return (lambda v: _num()[0](v) and v > 0), "a finite number > 0"


def _one_of(*choices):
    return (lambda v: v in choices), "one of " + ", ".join(map(repr, choices))


def _path(required=False):
    if required:
        return (lambda v: isinstance(v, str) and bool(v)), "a path"
    return (lambda v: isinstance(v, str) and bool(v)), f"a path, or {UNSET} when no file is given"


def _str_list():
    return (lambda v: isinstance(v, list) and v and all(isinstance(s, str) for s in v)), "a non-empty list of strings"


def _betas():
    def ok(v):
        return isinstance(v, list) and len(v) == 2 and all(_num(0, 1)[0](b) and b < 1 for b in v)

    return ok, "a list of two numbers in [0, 1)"


SCHEMA = {
    "data": {
        "source": _one_of("synthetic", "folder", "imagenet"),
        "root": _path(),
        "class_map": _path(),
        "size": _num(8, 4096, integer=True),
        "resize_mode": _one_of("squash", "center_crop"),
        "train_per_class": _num(1, integer=True, nullable=True),
        "val_per_class": _num(1, integer=True, nullable=True),
        "seed": _num(0, integer=True),
    },
    "synsets": {"seeds": _str_list(), "count": _num(2, integer=True)},
    "prior": {"sigma": _num(0), "lam": _num(0, 1), "file": _path()},
    "model": {"width": _num(0.01, 4)},
    "train": {
        "loss": _one_of("classification", "regression"),
        "iterations": _num(1, integer=True),
        "batch_size": _num(2, integer=True),
        "crop": _num(8, integer=True),
        "flip": _num(0, 1),
        "lr": _positive(),
        "lr_schedule": _one_of("constant", "cosine"),
        "lr_warmup": _num(0, integer=True),
        "betas": _betas(),
        "weight_decay": _num(0),
        "soft_k": _num(1, 313, integer=True),
        "soft_sigma": _num(0.1),
        "drop_grey_images": _one_of(True, False),
        "precision": _one_of("auto", "fp32", "bf16"),
        "compile": _one_of(True, False),
        "seed": _num(0, integer=True),
        "workers": _num(0, 64, integer=True, nullable=True),
        "checkpoint_every": _num(1, integer=True),
        "log_every": _num(1, integer=True),
        "preview_every": _num(1, integer=True),
    },
    "runtime": {"device": _one_of("auto", "cpu", "cuda")},
    "classifier": {
        "width": _num(0.01, 4),
        "iterations": _num(1, integer=True),
        "batch_size": _num(2, integer=True),
        "lr": _positive(),
        "seed": _num(0, integer=True),
    },
    "colorize": {
        "T": _num(0, 10),
        "zhang_weights": _path(),
        "batch_size": _num(1, integer=True),
        "eval_synsets": _num(1, integer=True, nullable=True),
        "max_images": _num(1, integer=True, nullable=True),
        "seed": _num(0, integer=True),
    },
    "evaluate": {
        "classifier": _one_of("trained", "imagenet"),
        "vgg16_weights": _path(),
        "bootstrap": _num(0, integer=True),
        "seed": _num(0, integer=True),
    },
    "study": {
        "n_images": _num(1, integer=True),
        "display_ms": _num(50, 60000, integer=True),
        "seed": _num(0, integer=True),
    },
}


class ParamsError(SystemExit):
    def __init__(self, msg):
        super().__init__(f"params.yaml: {msg}")


def validate(params: dict) -> dict:
    """Check every key against SCHEMA, then the combinations; unknown, missing and wrong
    values all name the key."""
    if not isinstance(params, dict):
        raise ParamsError("expected a mapping of sections")
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
            if given[key] is None and "path" in allowed:
                raise ParamsError(f"'{section}.{key}' is null; write {UNSET} when no file is given "
                                  "(DVC needs a path to watch)")
            if not check(given[key]):
                raise ParamsError(f"'{section}.{key}' is {given[key]!r}; expected {allowed}" + _hint(given[key]))
    _validate_combinations(params)
    return params


def _hint(value) -> str:
    """YAML 1.1 (PyYAML, DVC) reads 3e-4 as text: say how to write it as a number."""
    if isinstance(value, str):
        for kind in (int, float):
            try:
                return f" (a quoted or YAML-1.1 text value; write it as {kind(value)!r})"
            except ValueError:
                pass
    return ""


def _validate_combinations(p):
    """Values that pass one by one but would crash a later stage."""
    from colorization.shapes import INPUT_MULTIPLE, VGG16_MIN_INPUT

    d, t = p["data"], p["train"]
    if d["source"] != "synthetic" and is_unset(d["root"]):
        raise ParamsError(f"'data.root' must name the dataset folder for data.source={d['source']}")
    if p["evaluate"]["classifier"] == "trained" and d["size"] < VGG16_MIN_INPUT:
        raise ParamsError(f"'data.size' is {d['size']}; the VGG-16 trained here needs at least "
                          f"{VGG16_MIN_INPUT} px (it halves the image five times)")
    if t["crop"] > d["size"]:
        raise ParamsError(f"'train.crop' is {t['crop']}, larger than data.size = {d['size']}")
    if t["crop"] % INPUT_MULTIPLE:
        raise ParamsError(f"'train.crop' is {t['crop']}; expected a multiple of {INPUT_MULTIPLE} "
                          "(the network halves it three times)")
    if t["lr_warmup"] >= t["iterations"]:
        raise ParamsError(f"'train.lr_warmup' is {t['lr_warmup']}; expected fewer than train.iterations = "
                          f"{t['iterations']}")
    if not is_unset(p["prior"]["file"]):
        _check_prior_file(p["prior"]["file"])


def _check_prior_file(path):
    import numpy as np
    import pandas as pd

    from colorization.bins import Q

    where = f"'prior.file' {path}"
    if not Path(path).is_file():
        raise ParamsError(f"{where} does not exist")
    try:
        frame = pd.read_csv(path)
    except Exception as e:  # pandas raises several kinds on garbage
        raise ParamsError(f"{where} is not a CSV: {e}") from None
    if "p" not in frame.columns:
        raise ParamsError(f"{where} has no column 'p' (columns: {', '.join(map(str, frame.columns))})")
    p = pd.to_numeric(frame["p"], errors="coerce").to_numpy(dtype=float)
    if p.shape != (Q,) or not np.isfinite(p).all() or (p < 0).any() or p.sum() <= 0:
        raise ParamsError(f"{where}: expected {Q} finite, non-negative values in column 'p' "
                          f"(got {len(p)} rows, {int((~np.isfinite(p)).sum())} not finite, "
                          f"{int((p < 0).sum())} negative)")


class _Recorded(Mapping):
    """A read-only params section that notes every key read from it."""

    def __init__(self, name, data, seen):
        self._name, self._data, self._seen = name, data, seen

    def __getitem__(self, key):
        self._seen.add(f"{self._name}.{key}")
        value = self._data[key]
        return list(value) if isinstance(value, list) else value

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)


class Params(Mapping):
    """Validated params; sections are read through ``_Recorded`` so that, with
    COLORIZATION_PARAMS_LOG set, the keys a stage read are appended to that file at exit."""

    def __init__(self, data, stage):
        self._data, self.stage, self.seen = data, stage, set()
        if os.environ.get(PARAMS_LOG_ENV):
            atexit.register(self._log)

    def __getitem__(self, section):
        return _Recorded(section, self._data[section], self.seen)

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)

    def _log(self):
        """Append the keys read and the project files imported (what dvc.yaml must declare)."""
        files = set()
        for module in list(sys.modules.values()):
            f = getattr(module, "__file__", None)
            if f and Path(f).is_absolute() and Path(f).resolve().is_relative_to(ROOT):
                rel = Path(f).resolve().relative_to(ROOT)
                if rel.parts[0] in ("colorization", "stages"):
                    files.add(str(rel))
        with open(os.environ[PARAMS_LOG_ENV], "a") as f:
            f.write(json.dumps({"stage": self.stage, "keys": sorted(self.seen), "modules": sorted(files)}) + "\n")


def current_stage() -> str:
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    name = spec.name if spec else Path(sys.argv[0]).stem
    return name.rsplit(".", 1)[-1]


def read_params(path=None) -> dict:
    """The validated params as a plain dict (for tools and tests; stages use ``load_params``)."""
    path = Path(path or os.environ.get("COLORIZATION_PARAMS", ROOT / "params.yaml"))
    try:
        with open(path) as f:
            raw = yaml.safe_load(f) or {}
    except FileNotFoundError:
        raise ParamsError(f"{path} does not exist") from None
    except yaml.YAMLError as e:
        raise ParamsError(f"{path} is not valid YAML: {e}") from None
    return validate(raw)


def load_params(path=None, stage=None) -> Params:
    return Params(read_params(path), stage or current_stage())


def write_json(path, obj):
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=False) + "\n")


def write_csv(path, frame):
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def pick_device(name="auto"):
    import torch

    if name == "cuda" and not torch.cuda.is_available():
        raise SystemExit("runtime.device is 'cuda' but no CUDA GPU is visible; use 'auto' or 'cpu'")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


def say(msg):
    print(msg, file=sys.stderr, flush=True)


def run(main):
    """Run a stage's ``main``; what a user can hit on their own machine (a full disk, a
    folder they may not write to, a file that vanished) ends in one line naming the path
    and the cause instead of a traceback. Outputs are written atomically, so nothing
    partial is left behind."""
    from colorization.errors import SourceError

    stage = current_stage()
    try:
        main()
    except SourceError as e:
        raise SystemExit(f"{stage}: {e}") from None
    except KeyboardInterrupt:
        raise SystemExit(f"{stage}: interrupted; run `dvc repro` again to continue") from None
    except OSError as e:
        where = f" {e.filename}" if e.filename else ""
        hint = {errno.ENOSPC: " (free some disk space and run `dvc repro` again)",
                errno.EACCES: " (check the folder's permissions)",
                errno.EROFS: " (the file system is read-only)"}.get(e.errno, "")
        raise SystemExit(f"{stage}: cannot use{where}: {e.strerror or e}{hint}") from None
