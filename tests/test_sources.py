import numpy as np
import pytest
from PIL import Image

from colorization import synthetic
from colorization.sources import (FolderSource, ImageNetSource, SourceError, SyntheticSource, cap_per_class,
                                  make_source)
from colorization.resize import resize_split


def _jpeg(path, colour=(200, 30, 30)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (12, 10), colour).save(path, "JPEG")


def test_synthetic_is_deterministic_and_seeded():
    a = synthetic.render_item(0, "n07749582", "train", 3, 32)
    b = synthetic.render_item(0, "n07749582", "train", 3, 32)
    c = synthetic.render_item(1, "n07749582", "train", 3, 32)
    assert a.shape == (32, 32, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    assert np.abs(a.astype(int) - c).mean() > 1


def test_synthetic_classes_are_wordnet_noun_synsets(wordnet):
    from colorization.wordnet import wnid

    assert len(synthetic.CLASSES) >= 36
    assert len({c.wnid for c in synthetic.CLASSES}) == len(synthetic.CLASSES)
    for c in synthetic.CLASSES:
        syn = wordnet.synset(c.name)
        assert wnid(syn) == c.wnid, c.name
        assert syn.lexname() in ("noun.food", "noun.plant"), c.name


def test_synthetic_lemon_and_lime_differ_in_colour_not_lightness():
    from colorization.lab import rgb_to_lab
    import torch

    def stats(w):
        imgs = np.stack([synthetic.render_item(0, w, "train", i, 48) for i in range(12)])
        lab = rgb_to_lab(torch.from_numpy(imgs).permute(0, 3, 1, 2).float() / 255)
        return lab[:, 0].mean().item(), lab[:, 1].mean().item()

    (l_lemon, a_lemon), (l_lime, a_lime) = stats("n07749582"), stats("n07749731")
    assert abs(l_lemon - l_lime) < 6 and a_lime < a_lemon - 3


def test_synthetic_background_dominates_with_low_chroma():
    from colorization.lab import rgb_to_lab
    import torch

    imgs = np.stack([synthetic.render_item(0, c.wnid, "train", 0, 32) for c in synthetic.CLASSES])
    lab = rgb_to_lab(torch.from_numpy(imgs).permute(0, 3, 1, 2).float() / 255)
    chroma = torch.linalg.vector_norm(lab[:, 1:], dim=1)
    assert (chroma < 15).float().mean() > 0.5  # most pixels desaturated, as in photos
    assert (chroma > 40).float().mean() > 0.05  # and a real share of vivid ones


def test_folder_source_on_fruits360(fruits360, tmp_path):
    src = FolderSource(str(fruits360))
    wnids = src.candidates()
    assert len(wnids) == 33 and "n07753592" in wnids
    assert src.count("train", "n07753592") == 60 and src.count("val", "n07753592") == 15
    items = src.items("val", ["n07753592", "n07749582"])
    kept, skipped = resize_split(src, items, 32, "squash", tmp_path / "val.npy", workers=1)
    assert len(kept) == 30 and not skipped
    arr = np.load(tmp_path / "val.npy")
    assert arr.shape == (30, 32, 32, 3)
    assert arr[:15, 16, 16].mean(0)[2] < arr[:15, 16, 16].mean(0)[0]  # bananas: more red than blue


def test_folder_with_class_names_needs_a_map(tmp_path):
    _jpeg(tmp_path / "d" / "train" / "banana" / "a.jpg")
    with pytest.raises(SourceError, match="class_map"):
        FolderSource(str(tmp_path / "d")).candidates()
    (tmp_path / "map.csv").write_text("folder,wnid\nbanana,n07753592\n")
    assert FolderSource(str(tmp_path / "d"), str(tmp_path / "map.csv")).candidates() == ["n07753592"]


def test_imagenet_flat_val_labels_from_csv(tmp_path):
    root = tmp_path / "ILSVRC"
    _jpeg(root / "train" / "n07753592" / "n07753592_1.JPEG")
    _jpeg(root / "train" / "n07749582" / "n07749582_1.JPEG")
    for i in range(1, 5):
        _jpeg(root / "val" / f"ILSVRC2012_val_{i:08d}.JPEG")
    (root / "LOC_val_solution.csv").write_text(
        "ImageId,PredictionString\n"
        "ILSVRC2012_val_00000001,n07753592 1 2 3 4\n"
        "ILSVRC2012_val_00000002,n07749582 1 2 3 4 n07749582 5 6 7 8\n"
        "ILSVRC2012_val_00000003,n01440764 1 2 3 4\n"
        "ILSVRC2012_val_00000004,n07753592 1 2 3 4\n"
    )
    src = make_source("imagenet", root)
    assert src.candidates() == ["n07749582", "n07753592"]
    val = src.items("val", ["n07753592", "n07749582"])
    assert [(it.wnid, it.ref.rsplit("_", 1)[1]) for it in val] == [
        ("n07753592", "00000001.JPEG"), ("n07753592", "00000004.JPEG"), ("n07749582", "00000002.JPEG")]
    assert src.count("val", "n07753592") == 2


def test_imagenet_errors_name_the_fix(tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        make_source("imagenet", tmp_path / "nowhere")
    (tmp_path / "x").mkdir()
    with pytest.raises(SourceError, match="train/<wnid>"):
        make_source("imagenet", tmp_path / "x").candidates()
    _jpeg(tmp_path / "y" / "train" / "n07753592" / "a.JPEG")
    _jpeg(tmp_path / "y" / "val" / "ILSVRC2012_val_00000001.JPEG")
    with pytest.raises(SourceError, match="LOC_val_solution.csv"):
        ImageNetSource(str(tmp_path / "y")).items("val", ["n07753592"])


def test_cap_per_class_is_seeded():
    src = SyntheticSource(0, 10, 2)
    items = src.items("train", ["n07753592", "n07749582"])
    a, b = cap_per_class(items, 3, seed=1), cap_per_class(items, 3, seed=1)
    assert a == b and len(a) == 6 and cap_per_class(items, None) == items
