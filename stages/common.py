"""Glue shared by the stage scripts: params read through a recorder, JSON/CSV written
atomically, and one-line errors. It holds no section's rules: a stage validates the sections
it reads with their own modules in ``stages/params/`` (``load_params(train, runtime)``), so
editing one section's rules re-runs only the stages that read it.

With COLORIZATION_PARAMS_LOG set, each stage appends the keys it read and the project files
it imported to that file at exit, so a test can prove that dvc.yaml declares them.
"""

import atexit
import errno
import json
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from colorization.atomic import atomic_path
from stages.params import checks
from stages.params.checks import UNSET, ParamsError, is_unset, validate_section

ROOT = Path(__file__).resolve().parents[1]
PARAMS_LOG_ENV = "COLORIZATION_PARAMS_LOG"
__all__ = ["ROOT", "UNSET", "ParamsError", "is_unset", "atomic_path", "load_params", "read_params_file",
           "write_json", "write_csv", "say", "run"]


class _Recorded(Mapping):
    """A read-only params section that notes every key read from it."""

    def __init__(self, name, data, seen):
        self._name, self._data, self._seen = name, data, seen

    def __getitem__(self, key):
        self._seen.add(f"{self._name}.{key}")
        if key not in self._data:
            raise ParamsError(f"missing key '{self._name}.{key}'")
        value = self._data[key]
        if value == UNSET:  # the stages see "not set" as None, whatever params.yaml spells it
            return None
        return list(value) if isinstance(value, list) else value

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)


class Params(Mapping):
    """Params as a stage sees them: sections read through ``_Recorded``."""

    def __init__(self, data, stage):
        self._data, self.stage, self.seen = data, stage, set()
        if os.environ.get(PARAMS_LOG_ENV):
            atexit.register(self._log)

    def __getitem__(self, section):
        if section not in self._data:
            raise ParamsError(f"missing section '{section}'")
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


def read_params_file(path=None) -> dict:
    return checks.read_params_file(Path(path or os.environ.get("COLORIZATION_PARAMS", ROOT / "params.yaml")))


def load_params(*rules, path=None, stage=None) -> Params:
    """params.yaml with the sections of ``rules`` (modules of stages/params) validated."""
    raw = read_params_file(path)
    for r in rules:
        validate_section(raw, r)
    return Params(raw, stage or current_stage())


def write_json(path, obj):
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=False) + "\n")


def write_csv(path, frame):
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def say(msg):
    print(msg, file=sys.stderr, flush=True)


# The main pipeline's stages in dvc.yaml's order (tests/test_dvc_integrity.py checks it): each
# stage's first line says which of them it is, its last how long it took.
PIPELINE = ("synsets", "resize", "prior", "train", "classifier", "colorize", "evaluate", "study", "study_analysis",
            "figures")

MEMORY_PARAMS = {"train": "train.batch_size, train.crop, model.width", "classifier": "classifier.batch_size",
                 "resize": "data.size"}


def run(main):
    """Run a stage's ``main``; what a user can hit on their own machine (a full disk, a
    folder they may not write to, a file that vanished, too little memory, a broken
    environment) ends in one line naming the path and the cause instead of a traceback.
    Outputs are written atomically, so nothing partial is left behind."""
    from colorization.errors import BrokenEnvironment, SourceError

    stage = current_stage()
    if stage in PIPELINE and _main_pipeline():
        say(f"[stage {PIPELINE.index(stage) + 1}/{len(PIPELINE)}] {stage}")
    t0 = time.perf_counter()
    try:
        if _main_pipeline():
            _check_upstream(stage)
        before = _snapshot(stage)
        main()
        if os.environ.get(DURING_RUN_ENV):  # tests: an edit while the stage runs
            import subprocess

            subprocess.run(os.environ[DURING_RUN_ENV], shell=True, check=True)
        _same_inputs(stage, before)
        say(f"{stage}: done in {time.perf_counter() - t0:.1f} s")
    except ParamsError as e:
        raise SystemExit(str(e)) from None
    except SourceError as e:
        raise SystemExit(f"{stage}: {e}") from None
    except BrokenEnvironment as e:
        raise SystemExit(f"{stage}: the Python environment is broken, not the data ({e}); "
                         "set it up again with `make setup` and run again") from None
    except KeyboardInterrupt:
        raise SystemExit(f"{stage}: interrupted; run `dvc repro` again to continue") from None
    except (MemoryError, RuntimeError) as e:
        if not isinstance(e, MemoryError) and not _is_allocation_failure(e):
            raise
        drives = MEMORY_PARAMS.get(stage, "the batch sizes and image size")
        raise SystemExit(f"{stage}: out of memory ({str(e).splitlines()[0][:160] if str(e) else 'MemoryError'}); "
                         f"lower the params that drive memory: {drives}") from None
    except OSError as e:
        where = f" {e.filename}" if e.filename else ""
        hint = {errno.ENOSPC: " (free some disk space and run `dvc repro` again)",
                errno.EACCES: " (check the folder's permissions)",
                errno.EROFS: " (the file system is read-only)"}.get(e.errno, "")
        raise SystemExit(f"{stage}: cannot use{where}: {e.strerror or e}{hint}") from None


# Inputs DVC hashes before a stage starts and records after it ends, which can change in
# between: params.yaml, the small files params name, and the study's responses folder (a
# participant may post while study_analysis runs). A stage whose inputs changed while it ran
# fails, so DVC never records a lock that describes other inputs than the ones it used.
LIVE_INPUTS = {"study_analysis": ("data/study/responses",)}
NAMED_FILES = (("data", "class_map"), ("prior", "file"), ("colorize", "zhang_weights"), ("evaluate", "vgg16_weights"))
DURING_RUN_ENV = "COLORIZATION_DURING_RUN"


def _snapshot(stage) -> dict:
    from colorization.integrity import content_md5

    params = Path(os.environ.get("COLORIZATION_PARAMS", ROOT / "params.yaml"))
    paths = [params] + [Path(p) for p in LIVE_INPUTS.get(stage, ())]
    try:
        raw = checks.read_params_file(params)
    except Exception:  # load_params reports a broken params file in its own words
        raw = {}
    for section, key in NAMED_FILES:
        value = (raw.get(section) or {}).get(key) if isinstance(raw.get(section), dict) else None
        if isinstance(value, str) and not is_unset(value) and Path(value).is_file():
            paths.append(Path(value))
    return {p: content_md5(p) if p.exists() else None for p in paths}


def _same_inputs(stage, before):
    from colorization.integrity import content_md5

    for path, digest in before.items():
        if (content_md5(path) if path.exists() else None) != digest:
            raise SystemExit(f"{stage}: {path} changed while the stage ran, so its outputs may belong to either "
                             "version and DVC records nothing; run `dvc repro` again")


# Hashing is about 0.5 GB/s: the inputs of the CPU demo and the imagenette preset take well
# under a second, but ImageNet's resized train split (hundreds of GB at 256 px) would cost
# minutes at every stage's start, so larger artefacts are left to `make fsck` and `make verify`.
UPSTREAM_CHECK_BYTES = 4 << 30


def _check_upstream(stage):
    """Refuse to run on an input whose bytes are not what dvc.lock records for the stage that
    made it: DVC trusts modification times, so bit rot with the mtime put back passes it."""
    from colorization.integrity import recovery, upstream_problems

    lock, pipeline = Path("dvc.lock"), Path("dvc.yaml")
    if not (lock.is_file() and pipeline.is_file()):
        return
    import yaml

    declared = (yaml.safe_load(pipeline.read_text()) or {}).get("stages", {}).get(stage, {})
    deps = [d for d in declared.get("deps") or [] if isinstance(d, str) and "$" not in d]
    for path, want, got in upstream_problems(stage, deps, lock.read_text(), max_bytes=UPSTREAM_CHECK_BYTES):
        raise SystemExit(f"{stage}: {path} is not the bytes dvc.lock records for it ({want[:12]} recorded, "
                         f"{got[:12]} on disk); nothing was run: {recovery(path)}")


def _main_pipeline() -> bool:
    """The optional pipelines reuse some stage names (seeds/evaluate); they run from stages/<name>/."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return spec is None or spec.name.count(".") == 1


def _is_allocation_failure(e) -> bool:
    text = str(e)
    return type(e).__name__ == "OutOfMemoryError" or "can't allocate memory" in text or "out of memory" in text
