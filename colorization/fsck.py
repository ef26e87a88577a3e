"""Checks DVC does not make: the content of the workspace's artefacts and of the cache against
their hashes (`make fsck`), and a `dvc.lock` that an interrupted write left truncated (`make
repro` checks it before DVC starts, and keeps the last good copy after each run)."""

import shutil
from pathlib import Path

import yaml

from .integrity import check, file_md5, recorded, recovery

CACHE = Path(".dvc/cache/files/md5")
GOOD_LOCK = Path(".dvc/tmp/dvc.lock.good")  # DVC's own scratch folder, ignored by git


def cache_objects(cache=CACHE):
    return sorted(p for p in Path(cache).glob("??/*") if p.is_file())


def corrupt_cache_objects(cache=CACHE) -> list:
    """Cache objects whose content does not hash to their name (a folder's ``.dir`` listing
    hashes as a file does)."""
    bad = []
    for obj in cache_objects(cache):
        name = obj.parent.name + obj.name.removesuffix(".dir")
        if file_md5(obj) != name:
            bad.append(obj)
    return bad


def fsck(lock="dvc.lock", cache=CACHE) -> list:
    """One line per problem: a workspace artefact that is not the bytes its lock records, and a
    cache object whose content does not match its name, each with how to recover."""
    problems = []
    if Path(lock).is_file():
        # what the stages wrote: a source a stage only reads (code, the data folder, a given
        # file) that differs from the lock was edited, which `dvc status` reports; it did not rot
        paths = [p for p in recorded(Path(lock).read_text(), ("outs",)) if Path(p).exists()]
        for path, want, got in check(paths, lock):
            problems.append(f"{path}: content {got[:12]} is not the {want[:12]} {lock} records; {recovery(path)}")
    for obj in corrupt_cache_objects(cache):
        problems.append(f"{obj}: the cache copy is corrupt (its content does not hash to its name); delete it, then "
                        "`dvc pull` it from a remote or `dvc repro` the stage that makes it")
    return problems


def lock_problem(lock="dvc.lock", pipeline="dvc.yaml") -> str | None:
    """Why ``lock`` cannot be what a finished DVC write left, or None. DVC writes the whole file
    at once, so an interrupted write leaves a prefix of it: it may not parse; an entry may lack
    its hash; the text may stop short of its last line; or the last stage may stop before the
    kinds of entries (deps, outs) that dvc.yaml declares for it. A lock that is merely older
    than dvc.yaml (a newly declared output) is none of these: DVC re-runs that stage."""
    lock = Path(lock)
    if not lock.is_file():
        return None
    text = lock.read_text(errors="replace")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        return f"it does not parse ({'line ' + str(mark.line + 1) if mark else 'YAML error'})"
    if not isinstance(data, dict) or not isinstance(data.get("stages", {}), dict):
        return "it holds no stages table"
    if text and not text.endswith("\n"):
        return "it stops in the middle of a line"
    stages = data.get("stages") or {}
    for name, entry in stages.items():
        if not isinstance(entry, dict) or "cmd" not in entry:
            return f"stage '{name}' has no command"
        for kind in ("deps", "outs"):
            for item in entry.get(kind) or []:
                if not isinstance(item, dict) or "path" not in item or not (item.get("md5") or item.get("hash")):
                    return f"an entry of stage '{name}' has no hash"
    declared = (yaml.safe_load(Path(pipeline).read_text()) or {}).get("stages", {}) if Path(pipeline).is_file() else {}
    if stages:
        last = list(stages)[-1]
        wants = {"deps": bool(declared.get(last, {}).get("deps")),
                 "outs": any(declared.get(last, {}).get(k) for k in ("outs", "metrics", "plots"))}
        missing = [k for k, want in wants.items() if want and not stages[last].get(k)]
        if missing:
            return f"its last stage '{last}' stops before its {' and '.join(missing)}"
    return None


def guard_lock(lock="dvc.lock") -> str | None:
    """Before DVC runs: a one-line refusal for a broken lock, saying how to recover; else None."""
    why = lock_problem(lock)
    if why is None:
        return None
    good = f"`cp {GOOD_LOCK} {lock}` (the last good copy, kept after each run) or " if GOOD_LOCK.is_file() else ""
    return (f"{lock} is broken: {why}; DVC was probably interrupted while writing it. Recover with {good}"
            f"`git checkout {lock}`, then run again: the cached outputs are kept, and stages whose lock entry "
            "is older re-run")


def keep_good_lock(lock="dvc.lock"):
    """After a run: a copy of a lock that passes ``lock_problem``, for the next recovery."""
    if Path(lock).is_file() and lock_problem(lock) is None:
        GOOD_LOCK.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(lock, GOOD_LOCK)
