"""Stage `resize`: decode every image of the chosen synsets, convert to RGB and
resize to `data.size`, into one uint8 array per split (fast to read in training)
plus a manifest. Unreadable inputs are skipped and listed in reports/skipped.csv
(always written); a class left without a readable image stops the stage with its
name, and nothing half-made is left in data/resized."""

import os
import shutil
from pathlib import Path

import pandas as pd

from colorization.resize import NotEnoughDisk, resize_split
from colorization.sources import SPLITS, cap_per_class, source_from_config
from stages.common import load_params, run, say, write_csv
from stages.params import data

OUT_DIR, SKIPPED = Path("data/resized"), Path("reports/skipped.csv")
SKIPPED_COLUMNS = ["split", "wnid", "source", "reason"]


def main():
    p = load_params(data)
    d = p["data"]
    source = source_from_config(d)
    synsets = pd.read_csv("data/synsets.csv")
    wnids = list(synsets.wnid)
    label = {w: i for i, w in enumerate(wnids)}
    workers = max(1, min(os.cpu_count() or 1, 16))
    staging = OUT_DIR.with_name(OUT_DIR.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    rows, skipped, done = [], [], False
    try:
        for split in SPLITS:
            items = source.items(split, wnids)
            if d["source"] != "synthetic":
                items = _capped(items, d[f"{split}_per_class"], f"data.{split}_per_class", d["seed"], split)
            if not items:
                raise SystemExit(f"resize: no {split} images found for the {len(wnids)} chosen synsets in {d['root']}")
            kept, bad = resize_split(source, items, d["size"], d["resize_mode"], staging / f"{split}.npy", workers)
            for i, r in enumerate(kept):
                r.update(index=i, label=label[r["wnid"]])
            rows += kept
            skipped += bad
            _check_every_class_kept(split, kept, bad, synsets)
        write_csv(staging / "manifest.csv", pd.DataFrame(rows)[["split", "index", "wnid", "label", "source"]])
        done = True
    except NotEnoughDisk as e:
        raise SystemExit(f"resize: {e}") from None
    finally:
        write_csv(SKIPPED, pd.DataFrame(skipped, columns=SKIPPED_COLUMNS))
        if not done:
            shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(OUT_DIR, ignore_errors=True)
    os.replace(staging, OUT_DIR)
    n_train = sum(r["split"] == "train" for r in rows)
    say(f"resize: kept {n_train} train and {len(rows) - n_train} val images at {d['size']}px; "
        f"skipped {len(skipped)} unreadable (listed in {SKIPPED})")


def _capped(items, cap, key, seed, split):
    """The per-class cap of a folder or ImageNet source, said out loud (it is easy to
    inherit the synthetic demo's 60/15 and not notice)."""
    if cap is None:
        return items
    kept = cap_per_class(items, cap, seed)
    if len(kept) < len(items):
        say(f"resize: {key} = {cap} caps the {split} split: {len(kept)} of {len(items)} images kept "
            f"(a seeded sample per class; set {key}: null to use all)")
    return kept


def _check_every_class_kept(split, kept, bad, synsets):
    have = {r["wnid"] for r in kept}
    empty = [w for w in synsets.wnid if w not in have]
    if empty:
        names = dict(zip(synsets.wnid, synsets.synset))
        lost = sum(r["wnid"] in empty for r in bad)
        left = len(synsets) - len(empty)
        fix = (f"or set synsets.count to {left}" if left >= 2 else
               "the study needs at least 2 classes with readable images")
        raise SystemExit(
            f"resize: no readable {split} image for {len(empty)} chosen synset(s): "
            + ", ".join(f"{w} ({names[w]})" for w in empty[:5])
            + f"; {lost} of their files were unreadable (see {SKIPPED}). Fix or remove those folders, {fix}")


if __name__ == "__main__":
    run(main)
