"""Image sources behind one interface, chosen by ``data.source``.

* ``synthetic``: rendered produce scenes (``colorization.synthetic``), no files.
* ``folder``: ``<root>/{train,val}/<class>/*`` in any format Pillow reads; a class
  folder is a wnid (``n07753592``) or a name mapped to one by a CSV
  (``folder,wnid``).
* ``imagenet``: ILSVRC-2012: ``train/<wnid>/*.JPEG``; validation either in
  ``val/<wnid>/`` folders or flat ``val/*.JPEG`` with labels from
  ``LOC_val_solution.csv`` or from the devkit (``ILSVRC2012_devkit_t12/``:
  ``data/ILSVRC2012_validation_ground_truth.txt`` plus ``data/meta.mat``).

A source lists candidate wnids, the items of a split, and loads one item as a
fixed-size RGB array. Sources are plain picklable values, so worker processes
can load in parallel.
"""

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import SourceError
from .images import load_rgb

SPLITS = ("train", "val")
WNID = re.compile(r"^n\d{8}$")


@dataclass(frozen=True)
class Item:
    split: str
    wnid: str
    ref: str  # a file path, or synthetic://<wnid>/<split>/<index>


def _files(folder: Path):
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


@dataclass(frozen=True)
class SyntheticSource:
    seed: int = 0
    train_per_class: int = 60
    val_per_class: int = 15

    def candidates(self):
        from . import synthetic  # imports torch: only where synthetic data is used

        return sorted(c.wnid for c in synthetic.CLASSES)

    def count(self, split, wnid):
        return self.train_per_class if split == "train" else self.val_per_class

    def items(self, split, wnids):
        return [Item(split, w, f"synthetic://{w}/{split}/{i}") for w in wnids for i in range(self.count(split, w))]

    def load(self, item, size, mode="squash"):
        from . import synthetic

        _, _, wnid, split, index = item.ref.split("/")
        return synthetic.render_item(self.seed, wnid, split, int(index), size)


def read_class_map(path) -> dict:
    """folder name -> wnid from a CSV with columns ``folder,wnid``."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or not {"folder", "wnid"} <= set(rows[0]):
        raise SourceError(f"{path}: a class map needs the columns 'folder' and 'wnid'")
    return {r["folder"]: r["wnid"] for r in rows}


@dataclass(frozen=True)
class FolderSource:
    root: str
    class_map: str | None = None

    def _classes(self, split):
        base = Path(self.root) / split
        if not base.is_dir():
            raise SourceError(f"folder source: {base} does not exist; "
                              "expected <root>/{train,val}/<wnid or class>/images")
        mapping = read_class_map(self.class_map) if self.class_map else {}
        out, unmapped = {}, []
        for d in sorted(p for p in base.iterdir() if p.is_dir()):
            wnid = d.name if WNID.match(d.name) else mapping.get(d.name)
            if wnid is None:
                unmapped.append(d.name)
            else:
                out.setdefault(wnid, []).append(d)
        if unmapped:
            raise SourceError(
                f"folder source: class folders {unmapped[:5]} in {base} are not wnids; "
                "give data.class_map, a CSV with columns folder,wnid"
            )
        return out

    def candidates(self):
        classes = sorted(self._classes("train"))
        if not classes:
            raise SourceError(f"folder source: no class folders in {Path(self.root) / 'train'}; expected "
                              "<root>/train/<wnid or class>/images")
        return classes

    def items(self, split, wnids):
        classes = self._classes(split)
        return [Item(split, w, str(f)) for w in wnids for d in classes.get(w, []) for f in _files(d)]

    def count(self, split, wnid):
        return sum(len(_files(d)) for d in self._classes(split).get(wnid, []))

    def load(self, item, size, mode="squash"):
        return load_rgb(item.ref, size, mode)


def read_loc_val_solution(path) -> dict:
    """ImageId -> wnid from Kaggle's ``LOC_val_solution.csv`` (first wnid of PredictionString)."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or not {"ImageId", "PredictionString"} <= set(rows[0]):
        raise SourceError(f"{path}: expected the columns ImageId,PredictionString")
    return {r["ImageId"]: r["PredictionString"].split()[0] for r in rows}


def read_devkit_val_labels(devkit) -> dict:
    """ImageId -> wnid from the ILSVRC-2012 devkit, via torchvision's own parsers."""
    from torchvision.datasets.imagenet import parse_meta_mat, parse_val_groundtruth_txt

    idx_to_wnid, _ = parse_meta_mat(str(devkit))
    labels = parse_val_groundtruth_txt(str(devkit))
    return {f"ILSVRC2012_val_{i + 1:08d}": idx_to_wnid[lab] for i, lab in enumerate(labels)}


@dataclass(frozen=True)
class ImageNetSource:
    root: str

    def _check(self):
        train = Path(self.root) / "train"
        if not train.is_dir():
            raise SourceError(
                f"imagenet source: {train} does not exist. data.root must be the ILSVRC-2012 folder "
                "holding train/<wnid>/*.JPEG and val/ (see README, 'Running on ImageNet')"
            )
        return train

    def candidates(self):
        wnids = sorted(d.name for d in self._check().iterdir() if d.is_dir() and WNID.match(d.name))
        if not wnids:
            raise SourceError(f"imagenet source: no train/<wnid>/ folders under {self.root}")
        return wnids

    def _val_labels(self):
        root = Path(self.root)
        for csv_path in (root / "LOC_val_solution.csv", root.parent / "LOC_val_solution.csv"):
            if csv_path.is_file():
                return read_loc_val_solution(csv_path)
        for devkit in (root / "ILSVRC2012_devkit_t12", root.parent / "ILSVRC2012_devkit_t12"):
            if (devkit / "data" / "meta.mat").is_file():
                return read_devkit_val_labels(devkit)
        raise SourceError(
            f"imagenet source: {root / 'val'} is flat but no labels were found. Put LOC_val_solution.csv "
            f"or the devkit folder ILSVRC2012_devkit_t12/ in {root}"
        )

    def items(self, split, wnids):
        if split == "train":
            train = self._check()
            return [Item(split, w, str(f)) for w in wnids if (train / w).is_dir() for f in _files(train / w)]
        val = Path(self.root) / "val"
        if not val.is_dir():
            raise SourceError(f"imagenet source: {val} does not exist")
        if any(d.is_dir() and WNID.match(d.name) for d in val.iterdir()):
            return [Item(split, w, str(f)) for w in wnids if (val / w).is_dir() for f in _files(val / w)]
        labels, wanted = self._val_labels(), set(wnids)
        files = [f for f in _files(val) if labels.get(f.stem) in wanted]
        order = {w: i for i, w in enumerate(wnids)}
        files.sort(key=lambda f: (order[labels[f.stem]], f.name))
        return [Item(split, labels[f.stem], str(f)) for f in files]

    def count(self, split, wnid):
        return len(self.items(split, [wnid]))

    def load(self, item, size, mode="squash"):
        return load_rgb(item.ref, size, mode)


def make_source(kind: str, root=None, seed=0, train_per_class=60, val_per_class=15, class_map=None):
    if kind == "synthetic":
        return SyntheticSource(seed, train_per_class, val_per_class)
    if root is None or root == "none":
        raise SourceError(f"data.root must be set for data.source={kind}")
    if Path(root).is_file():
        raise SourceError(f"data.root {root} is a file, not a folder (data.source={kind})")
    if not Path(root).is_dir():
        raise SourceError(f"data.root {root} does not exist (data.source={kind})")
    if kind == "folder":
        return FolderSource(str(root), None if class_map in (None, "none") else class_map)
    if kind == "imagenet":
        return ImageNetSource(str(root))
    raise SourceError(f"data.source must be one of synthetic, folder, imagenet; got {kind!r}")


def cap_per_class(items, cap, seed=0):
    """At most ``cap`` items per wnid, chosen by a seeded shuffle (None keeps all)."""
    if cap is None:
        return list(items)
    rng = np.random.default_rng(seed)
    by_class = {}
    for it in items:
        by_class.setdefault(it.wnid, []).append(it)
    out = []
    for group in by_class.values():
        keep = sorted(rng.permutation(len(group))[:cap])
        out += [group[i] for i in keep]
    return out


def source_from_config(d) -> "SyntheticSource | FolderSource | ImageNetSource":
    """The source a ``data`` params section describes."""
    return make_source(d["source"], d["root"], d["seed"], d["train_per_class"], d["val_per_class"], d["class_map"])
