"""Are the artefacts on disk the bytes that a DVC lock file records?

DVC decides that a stage is up to date from file sizes and modification times, and trusts
its cache; a flipped bit with its mtime put back, or a corrupt cache copy checked out, looks
up to date to it. This module hashes the content, as DVC's lock records it: a file's MD5,
and for a folder the MD5 of the JSON list of its files' (MD5, relative path), sorted by path,
which is how DVC names a folder (its ``.dir`` object)."""

import hashlib
import json
from pathlib import Path

import yaml

CHUNK = 1 << 20


def file_md5(path) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            h.update(block)
    return h.hexdigest()


def dir_md5(path) -> str:
    """DVC's hash of a folder: ``<md5 of the sorted JSON listing>.dir``."""
    root = Path(path)
    entries = [{"md5": file_md5(p), "relpath": p.relative_to(root).as_posix()}
               for p in sorted(root.rglob("*")) if p.is_file()]
    entries.sort(key=lambda e: e["relpath"])
    return hashlib.md5(json.dumps(entries).encode()).hexdigest() + ".dir"


def content_md5(path) -> str:
    return dir_md5(path) if Path(path).is_dir() else file_md5(path)


def recorded(lock_text: str, kinds=("outs", "deps")) -> dict:
    """path -> (md5, the stages that write or read it) over every stage of a dvc.lock text
    (``kinds=("outs",)``: only what the stages write)."""
    lock = yaml.safe_load(lock_text) or {}
    out = {}
    for stage, entry in (lock.get("stages") or {}).items():
        for kind in kinds:
            for item in entry.get(kind) or []:
                if item.get("md5"):
                    md5, stages = out.get(item["path"], (item["md5"], []))
                    out[item["path"]] = (md5, stages + [stage])
    return out


def upstream_problems(stage, deps, lock_text, root=".", max_bytes=None) -> list:
    """(path, recorded md5, md5 on disk) for each of ``deps`` that another stage of the lock
    wrote (a file, or a file inside a folder it wrote) and whose bytes are not what the lock
    records for it: an artefact that rotted or was edited after the stage that made it.
    Artefacts the lock records as larger than ``max_bytes`` are left to `make fsck`."""
    lock = yaml.safe_load(lock_text) or {}
    outs = {item["path"]: (item["md5"], item.get("size") or 0) for name, entry in (lock.get("stages") or {}).items()
            if name != stage for item in (entry or {}).get("outs") or [] if isinstance(item, dict) and item.get("md5")}
    bad, root = [], Path(root)
    for dep in deps:
        owner = next((o for o in outs if dep == o or dep.startswith(o.rstrip("/") + "/")), None)
        if owner is None or not (root / owner).exists() or (max_bytes and outs[owner][1] > max_bytes):
            continue
        now = content_md5(root / owner)
        if now != outs[owner][0]:
            bad.append((owner, outs[owner][0], now))
    return sorted(set(bad))


def check(paths, lock_path="dvc.lock", root=".") -> list:
    """(path, recorded md5, md5 on disk or None when missing) for each of ``paths`` whose
    bytes differ from what the lock file records (paths the lock does not name are skipped)."""
    root = Path(root)
    rec = recorded((root / lock_path).read_text())
    bad = []
    for p in paths:
        if p not in rec:
            continue
        full = root / p
        now = content_md5(full) if full.exists() else None
        if now != rec[p][0]:
            bad.append((p, rec[p][0], now))
    return bad


def recovery(path) -> str:
    """What a user does about a corrupt or missing artefact."""
    return (f"restore it with `dvc checkout {path}` (or `dvc pull {path}` from a remote); if the cache copy is "
            f"corrupt too, `make fsck` names it: delete it and run `dvc repro` to make it again")
