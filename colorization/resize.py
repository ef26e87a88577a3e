"""Decoding a split of any source into one uint8 array (N, S, S, 3), in parallel.

Workers write straight into a memory-mapped ``.npy`` file, so only file names and
error messages cross process boundaries; an image that cannot be read is skipped
with its reason and the array is compacted, so nothing downstream sees a hole.
"""

import os
import shutil
import sys
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path

import numpy as np
from .errors import BrokenEnvironment
from .images import UnreadableImage
from .progress import Progress

_OPEN = {}


class NotEnoughDisk(OSError):
    pass


def load_into(args):
    """Worker task: load one item into slot ``i`` of the .npy file at ``out`` (opened once
    per process). Returns None or the reason the item was skipped: only a file that cannot be
    decoded is skipped. An import error (a vanished virtualenv) comes back as a
    ``BrokenEnvironment`` that stops the stage; any other error stops it too, with its file."""
    source, item, i, size, mode, out = args
    try:
        img = source.load(item, size, mode)
    except UnreadableImage as e:
        return str(e)
    except ImportError as e:  # the project or a package it needs is gone: the environment, not this file
        return BrokenEnvironment(f"{type(e).__name__}: {e}")
    if out not in _OPEN:
        _OPEN.clear()
        _OPEN[out] = np.load(out, mmap_mode="r+")
    _OPEN[out][i] = img
    return None


def quiet_worker():
    """Pool initializer: one thread per worker (workers already run in parallel)."""
    os.environ["OMP_NUM_THREADS"] = "1"
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


def resize_split(source, items, size, mode, out_npy, workers):
    """Decode ``items`` into ``out_npy`` (written in place: the caller gives a temporary
    path and renames it); returns (kept rows, skipped rows) in item order."""
    out_npy = Path(out_npy)
    out_npy.parent.mkdir(parents=True, exist_ok=True)
    need = len(items) * size * size * 3
    free = shutil.disk_usage(out_npy.parent).free
    if need > free:
        raise NotEnoughDisk(f"not enough disk space in {out_npy.parent}: need {need / 2**30:.1f} GiB, "
                            f"{free / 2**30:.1f} GiB free")
    np.lib.format.open_memmap(out_npy, mode="w+", dtype=np.uint8, shape=(len(items), size, size, 3)).flush()
    jobs = [(source, it, i, size, mode, str(out_npy)) for i, it in enumerate(items)]
    desc = f"resize {items[0].split}" if items else "resize"
    if workers > 1 and len(jobs) > 1:
        # fork starts workers at once (spawn re-imports the caller per worker, which costs more
        # than decoding a small set); quiet_worker pins torch to one thread, so a forked
        # worker never enters an OpenMP pool inherited from the parent.
        method = "fork" if "fork" in get_all_start_methods() else "spawn"
        with get_context(method).Pool(workers, initializer=quiet_worker) as pool:
            chunk = max(1, min(32, len(jobs) // (workers * 4)))  # small sets: keep every worker busy
            errors = _with_progress(pool.imap(load_into, jobs, chunksize=chunk), len(jobs), desc)
    else:
        errors = _with_progress(map(load_into, jobs), len(jobs), desc)
    _OPEN.clear()
    kept = [{"split": it.split, "wnid": it.wnid, "source": it.ref} for it, e in zip(items, errors) if e is None]
    skipped = [{"split": it.split, "wnid": it.wnid, "source": it.ref, "reason": e}
               for it, e in zip(items, errors) if e is not None]
    if skipped:
        _compact(out_npy, [i for i, e in enumerate(errors) if e is None])
    return kept, skipped


def _with_progress(results, total, desc):
    progress, out = Progress(total, desc, unit="img", every=10), []
    for r in results:
        if isinstance(r, BrokenEnvironment):
            raise r
        out.append(r)
        progress.update(1)
    progress.close()
    return out


def _compact(path, keep):
    """Drop the slots of skipped images (rare), keeping order."""
    full = np.load(path, mmap_mode="r")
    tmp = path.with_name(path.name + ".compact")
    out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=(len(keep),) + full.shape[1:])
    for start in range(0, len(keep), 1024):
        out[start : start + 1024] = full[keep[start : start + 1024]]
    out.flush()
    del out, full
    os.replace(tmp, path)
