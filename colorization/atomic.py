"""Writing a file so that it is either all there or not there at all."""

import os
from contextlib import contextmanager
from pathlib import Path

TMP_MARK = ".tmp"  # .<name>.tmp<suffix>: ignored by git, swept by the stage that writes there


def temporary_name(path: Path) -> Path:
    """The one temporary name of ``path``: the same on every run, so that a run killed mid-write
    (kill -9) leaves a file the next write of that output replaces, never a new one each time."""
    return path.with_name(f".{path.name}{TMP_MARK}{path.suffix}")


@contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; rename onto it only if the block succeeds,
    so an interrupted stage never leaves a half-written output (or checkpoint) behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(path)
    tmp.unlink(missing_ok=True)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def sweep_temporaries(folder) -> list:
    """Remove what killed runs left in ``folder`` (files named by ``temporary_name``)."""
    stale = [p for p in Path(folder).glob(f".*{TMP_MARK}*") if p.is_file()]
    for p in stale:
        p.unlink(missing_ok=True)
    return stale


def save_torch(obj, path):
    """``torch.save`` through :func:`atomic_path`, into an open file: saved to a path, the
    zip archive's inner folder is named after the temporary file, so the same weights would
    hash differently on every run and DVC would re-run every stage that follows."""
    import torch

    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        torch.save(obj, f)
