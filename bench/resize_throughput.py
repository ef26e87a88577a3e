"""Images per second of the resize stage's decoding against a plain
``Image.open(p).convert('RGB').resize((s, s))`` loop, in the same run, on
fruits360-mini (small JPEGs) and on generated large (2000x1500) JPEGs.

    python bench/resize_throughput.py [--fruits ../shared/datasets/fruits360-mini] [--large 48]
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from colorization.sources import FolderSource  # noqa: E402
from colorization.resize import resize_split  # noqa: E402


def plain(paths, size):
    t0 = time.perf_counter()
    for p in paths:
        Image.open(p).convert("RGB").resize((size, size))
    return len(paths) / (time.perf_counter() - t0)


def ours(root, size, workers, tmp):
    src = FolderSource(str(root))
    items = src.items("train", src.candidates())
    t0 = time.perf_counter()
    kept, _ = resize_split(src, items, size, "squash", Path(tmp) / f"out{workers}.npy", workers)
    return len(kept) / (time.perf_counter() - t0)


def make_large(root, n):
    d = root / "train" / "n07753592"
    d.mkdir(parents=True)
    rng = np.random.default_rng(0)
    base = (rng.random((150, 200, 3)) * 255).astype(np.uint8)
    big = Image.fromarray(base).resize((2000, 1500), Image.Resampling.BICUBIC)
    for i in range(n):
        big.rotate(i % 7).save(d / f"large_{i:03d}.jpg", quality=90)
    return root


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fruits", default=str(ROOT.parent / "shared" / "datasets" / "fruits360-mini"))
    ap.add_argument("--large", type=int, default=48)
    ap.add_argument("--size", type=int, default=256)
    args = ap.parse_args()
    workers = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        sets = []
        if (Path(args.fruits) / "train").is_dir():
            sets.append(("fruits360-mini train (100x100 JPEG)", Path(args.fruits)))
        sets.append((f"{args.large} large JPEGs (2000x1500)", make_large(Path(tmp) / "large", args.large)))
        for name, root in sets:
            paths = [it.ref for it in FolderSource(str(root)).items("train", FolderSource(str(root)).candidates())]
            print(f"{name}, to {args.size}px:")
            print(f"  plain Image.open().convert().resize(), 1 process: {plain(paths, args.size):7.1f} images/s")
            print(f"  resize stage, 1 process (draft mode):            {ours(root, args.size, 1, tmp):7.1f} images/s")
            rate = ours(root, args.size, workers, tmp)
            print(f"  resize stage, {workers} processes:                     {rate:7.1f} images/s")


if __name__ == "__main__":
    main()
