"""Stage `resize`: decode every image of the chosen synsets, convert to RGB and
resize to `data.size`, into one uint8 array per split (fast to read in training)
plus a manifest. Unreadable inputs are skipped and listed in reports/skipped.csv."""

import os
import shutil
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from colorization.images import UnreadableImage
from colorization.sources import SPLITS, cap_per_class
from stages.common import atomic_path, load_params, say, write_csv
from stages.synsets import source_from_params

OUT_DIR, SKIPPED = Path("data/resized"), Path("reports/skipped.csv")


def _one_thread():
    # Workers decode one image each; torch's own thread pool would only oversubscribe.
    import torch

    torch.set_num_threads(1)


def _load(args):
    source, item, size, mode = args
    try:
        return source.load(item, size, mode), None
    except UnreadableImage as e:
        return None, str(e)
    except Exception as e:  # a source bug must not lose a long run either; it is listed
        return None, f"{type(e).__name__}: {e}"


def resize_split(source, items, size, mode, out_npy, workers):
    """Decode ``items`` in parallel into ``out_npy``; returns (kept rows, skipped rows)."""
    need = len(items) * size * size * 3
    free = shutil.disk_usage(out_npy.parent).free
    if need > free:
        raise SystemExit(f"resize: not enough disk space in {out_npy.parent}: need {need / 2**30:.1f} GiB, "
                         f"{free / 2**30:.1f} GiB free")
    kept, skipped = [], []
    with atomic_path(out_npy) as tmp:
        arr = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=(len(items), size, size, 3))
        jobs = ((source, it, size, mode) for it in items)
        pool = get_context("spawn").Pool(workers, initializer=_one_thread) if workers > 1 else _Serial()
        with pool:
            results = pool.imap(_load, jobs, chunksize=16)
            for item, (img, err) in tqdm(zip(items, results), total=len(items), desc=f"resize {items[0].split}",
                                         mininterval=2, disable=None):
                if err is None:
                    arr[len(kept)] = img
                    kept.append({"split": item.split, "wnid": item.wnid, "source": item.ref})
                else:
                    skipped.append({"split": item.split, "wnid": item.wnid, "source": item.ref, "reason": err})
        arr.flush()
        del arr
        _truncate_npy(tmp, len(kept), size)
    return kept, skipped


def _truncate_npy(path, n, size):
    """Rewrite the header for the images actually kept (skipped ones leave a tail)."""
    full = np.load(path, mmap_mode="r")
    if full.shape[0] == n:
        return
    with atomic_path(path) as tmp:
        np.save(tmp, np.ascontiguousarray(full[:n]))
        del full


class _Serial:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False

    imap = staticmethod(lambda f, it, chunksize=1: map(f, it))


def main():
    p = load_params()
    d = p["data"]
    source = source_from_params(d)
    synsets = pd.read_csv("data/synsets.csv")
    wnids = list(synsets.wnid)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    workers = max(1, min(os.cpu_count() or 1, 16))
    rows, skipped = [], []
    for split in SPLITS:
        items = source.items(split, wnids)
        cap = None if d["source"] == "synthetic" else d[f"{split}_per_class"]
        items = cap_per_class(items, cap, d["seed"])
        if not items:
            raise SystemExit(f"resize: no {split} images found for the {len(wnids)} chosen synsets")
        kept, bad = resize_split(source, items, d["size"], d["resize_mode"], OUT_DIR / f"{split}.npy", workers)
        label = {w: i for i, w in enumerate(wnids)}
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
