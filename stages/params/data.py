"""`data`: where the photos come from and how they are resized (read by synsets, resize)."""

from pathlib import Path

from stages.params.checks import ParamsError, integer, is_unset, one_of, path

COMMENT = ""
KEYS = {
    "source": one_of("synthetic", "synthetic", "folder", "imagenet", comment="synthetic | folder | imagenet"),
    "root": path("folder/imagenet: the dataset folder"),
    "class_map": path("folder: CSV folder,wnid when class folders are not wnids"),
    "size": integer(64, 8, 4096, comment="side after resizing (paper: 256)"),
    "resize_mode": one_of("squash", "squash", "center_crop", comment="squash (paper) | center_crop"),
    "train_per_class": integer(60, 1, null=True, comment="synthetic: images rendered per class; folder/imagenet: "
                                                          "a cap (none = all)"),
    "val_per_class": integer(15, 1, null=True, comment="the same for the val split"),
    "seed": integer(0, 0),
}
LAYOUT = {"folder": "<root>/{train,val}/<wnid or class>/*", "imagenet": "<root>/train/<wnid>/*.JPEG and <root>/val/"}


def check(d):
    check_root_named(d)
    check_folder(d)


def check_root_named(d):
    if d["source"] != "synthetic" and is_unset(d["root"]):
        raise ParamsError(f"'data.root' must name the dataset folder for data.source={d['source']} "
                          f"(expected {LAYOUT[d['source']]})")


def check_folder(d):
    """The data folder is there, and is a folder (DVC's own error for a missing dependency
    is a bare [Errno 2], after it has removed the stage's outputs)."""
    if d["source"] == "synthetic":
        return
    root = Path(d["root"])
    if root.is_file():
        raise ParamsError(f"'data.root' is {d['root']}, a file, not a folder; expected the dataset folder with "
                          f"{LAYOUT[d['source']]}")
    if not root.is_dir():
        raise ParamsError(f"'data.root' is {d['root']}, which does not exist; expected the dataset folder with "
                          f"{LAYOUT[d['source']]} (README, 'Data sources', says how to get and lay out each)")

