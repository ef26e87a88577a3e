import numpy as np
import torch
from PIL import Image

from colorization.__main__ import main
from colorization.model import ColorizationNet


def test_colorize_command_on_odd_sized_jpeg(tmp_path):
    torch.manual_seed(0)
    net = ColorizationNet(0.0625)
    torch.save({"model": net.state_dict(), "width": 0.0625, "image_size": 32}, tmp_path / "m.pt")
    rgb = np.random.default_rng(0).integers(0, 255, (77, 123, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "old photo.jpg")
    (tmp_path / "broken.jpg").write_text("not an image")
    rc = main(["colorize", str(tmp_path / "old photo.jpg"), str(tmp_path / "broken.jpg"), "-o", str(tmp_path / "out"),
               "--model", str(tmp_path / "m.pt"), "--T", "0.5", "--cpu"])
    assert rc == 1  # one photo failed (the broken one): the exit code counts failures
    out = np.asarray(Image.open(tmp_path / "out" / "old photo_colorized.png"))
    assert out.shape == (77, 123, 3)
    # lightness comes from the input at full resolution (up to gamut clipping)
    from colorization.lab import uint8_to_lab as to_lab

    L_in = to_lab(np.asarray(Image.open(tmp_path / "old photo.jpg"))[None])[0, 0]
    L_out = to_lab(out[None])[0, 0]
    assert (L_in - L_out).abs().median() < 1.0


def test_colorize_command_without_model_says_how(tmp_path, capsys):
    import pytest

    with pytest.raises(SystemExit, match="dvc repro train"):
        main(["colorize", "x.jpg", "-o", str(tmp_path), "--model", str(tmp_path / "none.pt")])
