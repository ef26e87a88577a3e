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
        paths = [p for p in recorded(Path(lock).read_text()) if Path(p).exists() and not p.startswith("stages/")
                 and not p.startswith("colorization/")]
        for path, want, got in check(paths, lock):
            problems.append(f"{path}: content {got[:12]} is not the {want[:12]} {lock} records; {recovery(path)}")
    for obj in corrupt_cache_objects(cache):
        problems.append(f"{obj}: the cache copy is corrupt (its content does not hash to its name); delete it, then "
                        "`dvc pull` it from a remote or `dvc repro` the stage that makes it")
    return problems


def lock_problem(lock="dvc.lock", pipeline="dvc.yaml") -> str | None:
    """Why ``lock`` cannot be what a finished DVC write left (unparsable, or a stage cut off
    before the outputs dvc.yaml declares), or None."""
    lock = Path(lock)
    if not lock.is_file():
        return None
    try:
        data = yaml.safe_load(lock.read_text())
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        return f"it does not parse ({'line ' + str(mark.line + 1) if mark else 'YAML error'})"
    if not isinstance(data, dict) or not isinstance(data.get("stages", {}), dict):
        return "it holds no stages table"
    declared = (yaml.safe_load(Path(pipeline).read_text()) or {}).get("stages", {}) if Path(pipeline).is_file() else {}
    for name, entry in (data.get("stages") or {}).items():
        outs = [next(iter(o)) if isinstance(o, dict) else o for kind in ("outs", "metrics", "plots")
                for o in (declared.get(name, {}).get(kind) or [])]
        have = {o.get("path") for o in (entry or {}).get("outs") or [] if isinstance(o, dict) and o.get("md5")}
        if not isinstance(entry, dict) or "cmd" not in entry or any(o not in have for o in outs if "$" not in o):
            return f"stage '{name}' is cut off (an output dvc.yaml declares has no hash)"
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
