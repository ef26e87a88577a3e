"""`python -m colorization data imagenette`: the fast.ai archive (or its folder) laid out as the
imagenet source and the preset read it, nothing else taken from it; and a missing data folder
is the project's own one-line error, before DVC removes anything."""

import io
import subprocess
import sys
import tarfile

import pytest
import yaml
from PIL import Image

from colorization.datasets import IMAGENETTE_WNIDS, DatasetError, lay_out_imagenette
from conftest import ROOT


def _jpeg():
    buf = io.BytesIO()
    Image.new("RGB", (12, 10), (120, 80, 40)).save(buf, format="JPEG")
    return buf.getvalue()


def _archive(path, wnids=IMAGENETTE_WNIDS, extra=True):
    data = _jpeg()
    with tarfile.open(path, "w:gz") as tar:
        def add(name, payload=data):
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
        for split, n in (("train", 3), ("val", 2)):
            for w in wnids:
                for k in range(n):
                    add(f"imagenette2-320/{split}/{w}/{w}_{k}.JPEG")
        if extra:
            add("imagenette2-320/noisy_imagenette.csv", b"path,noisy_labels_0\n")
            add("imagenette2-320/train/../../evil.JPEG")  # climbs out: never written
            link = tarfile.TarInfo(f"imagenette2-320/train/{wnids[0]}/link.JPEG")
            link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tar.addfile(link)
    return path


def test_the_archive_becomes_the_presets_layout_and_nothing_else(tmp_path):
    dest = tmp_path / "data" / "imagenette"
    proc = subprocess.run([sys.executable, "-m", "colorization", "data", "imagenette",
                           str(_archive(tmp_path / "imagenette2-320.tgz")), str(dest)],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "30 train and 20 val photos of 10 classes" in proc.stdout
    assert sorted(p.name for p in (dest / "train").iterdir()) == sorted(IMAGENETTE_WNIDS)
    assert all(len(list((dest / "val" / w).iterdir())) == 2 for w in IMAGENETTE_WNIDS)
    assert not list(tmp_path.rglob("evil.JPEG")) and not list(dest.rglob("link.JPEG"))
    assert not list(dest.rglob("*.csv")) and not (tmp_path / "data" / "imagenette.partial").exists()
    from colorization.sources import ImageNetSource

    source = ImageNetSource(str(dest))
    assert source.candidates() == sorted(IMAGENETTE_WNIDS)
    assert len(source.items("val", list(IMAGENETTE_WNIDS))) == 20  # val/<wnid>/ folders: no label file needed


def test_the_unpacked_folder_can_be_linked_instead_of_copied(tmp_path):
    with tarfile.open(_archive(tmp_path / "a.tgz", extra=False)) as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    counts = lay_out_imagenette(tmp_path / "unpacked" / "imagenette2-320", tmp_path / "dest", link=True)
    assert sum(counts["train"].values()) == 30
    one = next((tmp_path / "dest" / "train" / IMAGENETTE_WNIDS[0]).iterdir())
    assert one.is_symlink() and one.resolve().is_file()


@pytest.mark.parametrize("case,message", [("missing", "does not exist; download imagenette2-320.tgz"),
                                          ("garbage", "is not a tar archive"),
                                          ("other", "no train photos of"),
                                          ("taken", "already exists and is not empty")])
def test_wrong_sources_and_destinations_are_named(tmp_path, case, message):
    src, dest = tmp_path / "in.tgz", tmp_path / "dest"
    if case == "garbage":
        src.write_bytes(b"not a tar")
    elif case == "other":
        _archive(src, wnids=IMAGENETTE_WNIDS[:3])
    elif case == "taken":
        _archive(src)
        dest.mkdir()
        (dest / "x").write_text("mine")
    with pytest.raises(DatasetError, match=message):
        lay_out_imagenette(src, dest)
    if case == "taken":
        assert (dest / "x").read_text() == "mine"


def test_a_missing_data_root_is_the_projects_error_before_anything_runs(tmp_path):
    from conftest import micro_params

    params = micro_params({"data": {"source": "imagenet", "root": "data/imagenette", "train_per_class": "none",
                                    "val_per_class": "none"}})
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    proc = subprocess.run([sys.executable, "-m", "stages.params", "check", str(tmp_path / "params.yaml")],
                          cwd=tmp_path, capture_output=True, text=True, env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "'data.root' is data/imagenette, which does not exist" in proc.stderr
    assert "<root>/train/<wnid>/*.JPEG" in proc.stderr
