"""Stage `resize`: decode every image of the chosen synsets, convert to RGB and
resize to `data.size`, into one uint8 array per split (fast to read in training)
plus a manifest. Unreadable inputs are skipped and listed in reports/skipped.csv."""

import os
import shutil
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from colorization.sources import SPLITS, cap_per_class, load_into, quiet_worker
from stages.common import atomic_path, load_params, say, write_csv
from stages.synsets import source_from_params

OUT_DIR, SKIPPED = Path("data/resized"), Path("reports/skipped.csv")


def resize_split(source, items, size, mode, out_npy, workers):
    """Decode ``items`` in parallel into ``out_npy``; returns (kept rows, skipped rows).

    Workers write straight into the memory-mapped output, so only file names and
    error messages cross process boundaries."""
    out_npy = Path(out_npy)
    out_npy.parent.mkdir(parents=True, exist_ok=True)
    need = len(items) * size * size * 3
    free = shutil.disk_usage(out_npy.parent).free
    if need > free:
        raise SystemExit(f"resize: not enough disk space in {out_npy.parent}: need {need / 2**30:.1f} GiB, "
                         f"{free / 2**30:.1f} GiB free")
    with atomic_path(out_npy) as tmp:
        np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=(len(items), size, size, 3)).flush()
        jobs = [(source, it, i, size, mode, str(tmp)) for i, it in enumerate(items)]
        if workers > 1:
            # fork starts workers at once (spawn re-imports this module per worker, which costs more
            # than decoding a small set); quiet_worker pins torch to one thread, so a forked
            # worker never enters an OpenMP pool inherited from the parent.
            method = "fork" if "fork" in get_all_start_methods() else "spawn"
            with get_context(method).Pool(workers, initializer=quiet_worker) as pool:
                chunk = max(1, min(32, len(jobs) // (workers * 4)))  # small sets: keep every worker busy
                errors = list(tqdm(pool.imap(load_into, jobs, chunksize=chunk), total=len(jobs),
                                   desc=f"resize {items[0].split}", mininterval=2, disable=None))
        else:
            errors = [load_into(j) for j in tqdm(jobs, desc=f"resize {items[0].split}", mininterval=2, disable=None)]
        kept = [{"split": it.split, "wnid": it.wnid, "source": it.ref} for it, e in zip(items, errors) if e is None]
        skipped = [{"split": it.split, "wnid": it.wnid, "source": it.ref, "reason": e}
                   for it, e in zip(items, errors) if e is not None]
        if skipped:
            _compact(tmp, [i for i, e in enumerate(errors) if e is None])
    return kept, skipped


def _compact(path, keep):
    """Drop the slots of skipped images (rare), keeping order."""
    full = np.load(path, mmap_mode="r")
    with atomic_path(path) as tmp:
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=(len(keep),) + full.shape[1:])
        for start in range(0, len(keep), 1024):
            out[start : start + 1024] = full[keep[start : start + 1024]]
        out.flush()
        del out, full


def main():
    p = load_params()
    d = p["data"]
    source = source_from_params(d)
    synsets = pd.read_csv("data/synsets.csv")
    wnids = list(synsets.wnid)
    label = {w: i for i, w in enumerate(wnids)}
    workers = max(1, min(os.cpu_count() or 1, 16))
    rows, skipped = [], []
    for split in SPLITS:
        items = source.items(split, wnids)
        cap = None if d["source"] == "synthetic" else d[f"{split}_per_class"]
        items = cap_per_class(items, cap, d["seed"])
        if not items:
            raise SystemExit(f"resize: no {split} images found for the {len(wnids)} chosen synsets")
        kept, bad = resize_split(source, items, d["size"], d["resize_mode"], OUT_DIR / f"{split}.npy", workers)
        for i, r in enumerate(kept):
            r.update(index=i, label=label[r["wnid"]])
        rows += kept
        skipped += bad
    write_csv(OUT_DIR / "manifest.csv", pd.DataFrame(rows)[["split", "index", "wnid", "label", "source"]])
    write_csv(SKIPPED, pd.DataFrame(skipped, columns=["split", "wnid", "source", "reason"]))
    n_train = sum(r["split"] == "train" for r in rows)
    say(f"resize: kept {n_train} train and {len(rows) - n_train} val images at {d['size']}px; "
        f"skipped {len(skipped)} unreadable (listed in {SKIPPED})")


if __name__ == "__main__":
    main()
