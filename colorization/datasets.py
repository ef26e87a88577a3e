"""Laying out a downloaded dataset the way a preset reads it.

Imagenette (fast.ai, https://github.com/fastai/imagenette): 10 easy ImageNet classes,
released as ``imagenette2.tgz`` (full size), ``imagenette2-320.tgz`` and
``imagenette2-160.tgz`` (shortest side 320 / 160 px), each unpacking to
``imagenette2*/{train,val}/<wnid>/*.JPEG`` plus a CSV of noisy labels. The `imagenet`
source reads ``train/<wnid>/`` and ``val/<wnid>/`` folders, so the photos only need to be
taken out of the archive (nothing else in it is used) and checked.
"""

import os
import re
import shutil
import tarfile
from pathlib import Path

IMAGENETTE_WNIDS = ("n01440764", "n02102040", "n02979186", "n03000684", "n03028079", "n03394916", "n03417042",
                    "n03425413", "n03445777", "n03888257")
_PHOTO = re.compile(r"^(?:[^/]+/)?(train|val)/(n\d{8})/([^/]+\.(?:jpe?g|png))$", re.IGNORECASE)


class DatasetError(Exception):
    pass


def _photo_members(tar: tarfile.TarFile):
    """(split, wnid, file name, member) of every regular photo file; anything else in the
    archive (the label CSV, links, names that climb out with ..) is left alone."""
    for m in tar:
        name = re.sub(r"^(\./)+", "", m.name)
        match = _PHOTO.match(name)
        if m.isfile() and match and ".." not in name.split("/"):
            yield (*match.groups(), m)


def _photo_files(folder: Path):
    for split in ("train", "val"):
        for wnid_dir in sorted((folder / split).glob("n*")):
            for f in sorted(wnid_dir.iterdir()):
                match = _PHOTO.match(f"{split}/{wnid_dir.name}/{f.name}")
                if match and f.is_file():
                    yield (*match.groups(), f)


def lay_out_imagenette(source, dest, link=False) -> dict:
    """Photos of ``source`` (an archive or its unpacked folder) into ``dest``/{train,val}/<wnid>/;
    returns {split: {wnid: count}}. Written to ``dest``.partial and renamed at the end, so an
    interrupted run leaves no half dataset under the name the preset reads."""
    source, dest = Path(source), Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise DatasetError(f"{dest} already exists and is not empty; remove it or choose another folder")
    partial = dest.with_name(dest.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    counts = {"train": {}, "val": {}}
    try:
        if source.is_dir():
            if not (source / "train").is_dir():
                raise DatasetError(f"{source} has no train/ folder; expected the unpacked imagenette2*/ folder")
            for split, wnid, name, f in _photo_files(source):
                target = partial / split / wnid / name
                target.parent.mkdir(parents=True, exist_ok=True)
                if link:
                    os.symlink(f.resolve(), target)
                else:
                    shutil.copyfile(f, target)
                counts[split][wnid] = counts[split].get(wnid, 0) + 1
        elif source.is_file():
            try:
                tar = tarfile.open(source)
            except tarfile.TarError as e:
                raise DatasetError(f"{source} is not a tar archive ({e}); expected imagenette2-320.tgz") from None
            with tar:
                for split, wnid, name, member in _photo_members(tar):
                    target = partial / split / wnid / name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with tar.extractfile(member) as src, open(target, "wb") as out:
                        shutil.copyfileobj(src, out)
                    counts[split][wnid] = counts[split].get(wnid, 0) + 1
        else:
            raise DatasetError(f"{source} does not exist; download imagenette2-320.tgz from "
                               "https://github.com/fastai/imagenette (the 320 px release)")
        _check(counts, source)
        dest.mkdir(parents=True, exist_ok=True)
        for split in ("train", "val"):
            os.replace(partial / split, dest / split)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return counts


def _check(counts, source):
    for split in ("train", "val"):
        missing = [w for w in IMAGENETTE_WNIDS if not counts[split].get(w)]
        if missing:
            raise DatasetError(f"{source}: no {split} photos of {', '.join(missing[:3])}"
                               f"{' ...' if len(missing) > 3 else ''}; is it Imagenette (imagenette2*)?")


def imagenette_command(args) -> int:
    try:
        counts = lay_out_imagenette(args.source, args.dest, args.link)
    except DatasetError as e:
        raise SystemExit(f"data imagenette: {e}") from None
    n = {s: sum(c.values()) for s, c in counts.items()}
    print(f"{args.dest}: {n['train']} train and {n['val']} val photos of {len(counts['train'])} classes "
          f"(train/<wnid>/, val/<wnid>/). Next: make params PRESET=imagenette && make repro")
    return 0
