"""The odd-file fixture: every trap ImageNet and user folders hold goes through resize."""

import numpy as np
import pytest
from PIL import Image

from colorization import images
from colorization.images import UnreadableImage, load_rgb
from colorization.sources import FolderSource
from colorization.resize import resize_split

RED, BLUE = (220, 20, 20), (20, 20, 220)


def _two_halves(w=40, h=20):
    a = np.zeros((h, w, 3), np.uint8)
    a[:, : w // 2] = RED
    a[:, w // 2 :] = BLUE
    return Image.fromarray(a)


def make_odd_tree(root):
    good = root / "train" / "n07753592"
    bad = root / "train" / "n07749582"
    good.mkdir(parents=True)
    bad.mkdir(parents=True)
    rgb = _two_halves()
    rgb.convert("CMYK").save(good / "cmyk.jpg", "JPEG")
    rgb.save(good / "png_named.JPEG", "PNG")
    rgb.convert("L").save(good / "grey.jpg", "JPEG")
    rgba = rgb.convert("RGBA")
    rgba.putalpha(128)
    rgba.save(good / "alpha.png")
    Image.fromarray((np.linspace(0, 65535, 40 * 20).reshape(20, 40)).astype(np.uint16)).save(good / "deep16.png")
    pal = rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    pal.info["transparency"] = 0
    pal.save(good / "palette.gif", transparency=0)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    rgb.save(good / "rotated.jpg", "JPEG", exif=exif.tobytes())
    (bad / "empty.jpg").write_bytes(b"")
    (bad / "notes.jpg").write_text("this is not an image")
    whole = good / "cmyk.jpg"
    rgb.save(bad / "truncated_src.jpg", "JPEG", quality=95)
    data = (bad / "truncated_src.jpg").read_bytes()
    (bad / "truncated_src.jpg").unlink()
    (bad / "truncated.jpg").write_bytes(data[: len(data) // 2])
    Image.new("RGB", (300, 300), RED).save(bad / "bomb.png")  # "huge" once MAX_PIXELS is lowered
    return whole


def test_odd_files_kept_or_listed(tmp_path, monkeypatch):
    make_odd_tree(tmp_path / "src")
    monkeypatch.setattr(images, "MAX_PIXELS", 250 * 250)
    src = FolderSource(str(tmp_path / "src"))
    items = src.items("train", src.candidates())
    kept, skipped = resize_split(src, items, 16, "squash", tmp_path / "train.npy", workers=1)
    kept_names = sorted(r["source"].rsplit("/", 1)[1] for r in kept)
    assert kept_names == sorted(["cmyk.jpg", "png_named.JPEG", "grey.jpg", "alpha.png", "deep16.png",
                                 "palette.gif", "rotated.jpg"])
    reasons = {r["source"].rsplit("/", 1)[1]: r["reason"] for r in skipped}
    assert set(reasons) == {"empty.jpg", "notes.jpg", "truncated.jpg", "bomb.png"}
    assert reasons["empty.jpg"] == "empty file"
    assert "bomb" in reasons["bomb.png"]
    arr = np.load(tmp_path / "train.npy")
    assert arr.shape == (7, 16, 16, 3) and arr.dtype == np.uint8


def test_exif_rotation_is_applied(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6
    _two_halves().save(tmp_path / "r.jpg", "JPEG", exif=exif.tobytes(), quality=95)
    out = load_rgb(tmp_path / "r.jpg", 20).astype(int)
    # stored left (red) half is on top once displayed
    assert out[:8, :, 0].mean() > 150 and out[12:, :, 2].mean() > 150


def test_16bit_png_keeps_its_range(tmp_path):
    ramp = np.tile(np.linspace(0, 65535, 64), (8, 1)).astype(np.uint16)
    Image.fromarray(ramp).save(tmp_path / "d.png")
    out = load_rgb(tmp_path / "d.png", 8)[..., 0].astype(int)
    assert out[:, 0].mean() < 20 and out[:, -1].mean() > 235 and 100 < out.mean() < 155


def test_cmyk_and_grey_become_rgb_with_right_colour(tmp_path):
    _two_halves().convert("CMYK").save(tmp_path / "c.jpg", "JPEG", quality=95)
    out = load_rgb(tmp_path / "c.jpg", 20, "squash").astype(int)
    assert out[:, :8, 0].mean() > 150 and out[:, 12:, 2].mean() > 150
    Image.new("L", (10, 10), 100).save(tmp_path / "g.png")
    g = load_rgb(tmp_path / "g.png", 4)
    assert g.shape == (4, 4, 3) and (g == 100).all()


def test_center_crop_keeps_aspect(tmp_path):
    a = np.zeros((10, 30, 3), np.uint8)
    a[:, :10] = RED  # left third red: cropped away by a centre crop
    Image.fromarray(a).save(tmp_path / "w.png")
    assert load_rgb(tmp_path / "w.png", 10, "center_crop")[..., 0].max() < 10
    assert load_rgb(tmp_path / "w.png", 12, "squash")[:, :3, 0].mean() > 150
    with pytest.raises(ValueError):
        load_rgb(tmp_path / "w.png", 10, "stretch")


def test_unreadable_raises_with_reason(tmp_path):
    (tmp_path / "x.jpg").write_text("nope")
    with pytest.raises(UnreadableImage, match="UnidentifiedImageError|cannot identify"):
        load_rgb(tmp_path / "x.jpg", 8)
