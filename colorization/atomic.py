"""Writing a file so that it is either all there or not there at all."""

import errno
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
    _remove(tmp)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        _remove(tmp)


def _remove(tmp: Path):
    """Remove a temporary file if it is there; in a read-only folder none can be (and unlink
    itself fails with EROFS), so the error that matters is the one that stopped the write."""
    try:
        tmp.unlink(missing_ok=True)
    except OSError:
        pass


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

    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            try:
                torch.save(obj, f)
            except RuntimeError as e:  # torch reports a full disk as its zip writer's failure
                if any(m in str(e) for m in TORCH_WRITE_FAILURES):
                    raise OSError(errno.ENOSPC, "No space left on device", str(path)) from None
                raise
    except OSError as e:
        if e.filename is None:  # a write or flush into the open file names no path: name the output
            raise OSError(e.errno, e.strerror, str(path)) from None
        raise


# How torch's zip writer words a write that the disk refused (ENOSPC inside torch.save).
TORCH_WRITE_FAILURES = ("unexpected pos", "file write failed", "PytorchStreamWriter failed writing")
