import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from colorization.__main__ import main
from colorization.model import ColorizationNet

ROOT = Path(__file__).resolve().parents[1]


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


def _model(tmp_path):
    torch.manual_seed(0)
    torch.save({"model": ColorizationNet(0.0625).state_dict(), "width": 0.0625, "image_size": 32}, tmp_path / "m.pt")
    return tmp_path / "m.pt"


def test_a_folder_colorizes_its_images_and_its_subfolders_with_recursive(tmp_path, capsys):
    model = _model(tmp_path)
    photos = tmp_path / "family"
    (photos / "1950s").mkdir(parents=True)
    for name in ("a.jpg", "b.png", "1950s/c.jpg", "1950s/a.jpg"):
        Image.new("RGB", (20, 16), (90, 120, 30)).save(photos / name)
    (photos / ".hidden.jpg").write_text("not shown")
    assert main(["colorize", str(photos), "-o", str(tmp_path / "out"), "--model", str(model)]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a_colorized.png", "b_colorized.png"]
    assert main(["colorize", str(photos), "-o", str(tmp_path / "all"), "--model", str(model), "--recursive"]) == 0
    # the output mirrors the input tree: same-named photos of two folders keep their names
    made = sorted(str(p.relative_to(tmp_path / "all")) for p in (tmp_path / "all").rglob("*.png"))
    assert made == ["1950s/a_colorized.png", "1950s/c_colorized.png", "a_colorized.png", "b_colorized.png"]


def test_help_shows_defaults_only_where_there_is_one(capsys):
    with pytest.raises(SystemExit):
        main(["colorize", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: None)" not in text and "(default: False)" not in text
    assert "(default: models/colorizer.pt)" in text and "(default: 0.38)" in text


def test_the_classifier_or_a_folder_as_model_is_one_line_saying_what_it_is(tmp_path):
    import pytest

    torch.save({"kind": "trained", "model": {}, "width": 0.125, "n_classes": 3}, tmp_path / "classifier.pt")
    Image.new("RGB", (20, 16)).save(tmp_path / "a.jpg")
    with pytest.raises(SystemExit) as e:
        main(["colorize", str(tmp_path / "a.jpg"), "-o", str(tmp_path / "o"), "--model",
              str(tmp_path / "classifier.pt")])
    assert "VGG-16 classifier" in str(e.value) and "not a colourizer" in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(SystemExit) as e:
        main(["colorize", str(tmp_path / "a.jpg"), "-o", str(tmp_path / "o"), "--model", str(tmp_path)])
    assert "is a folder" in str(e.value)


def test_help_shows_the_defaults_and_a_bad_number_says_so(capsys):
    import pytest

    with pytest.raises(SystemExit):
        main(["colorize", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: models/colorizer.pt)" in text and "(default: 0.38)" in text and "synthetic produce" in text
    with pytest.raises(SystemExit):
        main(["colorize", "x.jpg", "-o", "out", "--T", "0.1e"])
    assert "--T got '0.1e': not a number" in capsys.readouterr().err


def test_no_decompression_bomb_warning_before_the_projects_own_refusal(tmp_path, capfd):
    import warnings

    big = tmp_path / "big.png"
    Image.new("L", (10000, 9000)).save(big)  # 90 MP: over Pillow's warning threshold, a small file
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning would fail the call
        rc = main(["colorize", str(big), "-o", str(tmp_path / "o"), "--model", str(_model(tmp_path)),
                   "--max-megapixels", "50"])
    err = capfd.readouterr().err
    assert rc == 1 and "too large" in err and "DecompressionBomb" not in err


def test_the_results_screen_and_the_lock_check_start_without_pytorch():
    """`make repro` runs `fsck --lock-only` before and `fsck --keep-lock` and `results` after the
    pipeline: loading PyTorch (1.5 s) for either would cost each run seconds for nothing."""
    code = ("import sys, runpy; sys.argv = ['colorization'] + sys.argv[1:]\n"
            "try:\n    runpy.run_module('colorization', run_name='__main__')\n"
            "except SystemExit:\n    pass\n"
            "print('TORCH LOADED' if 'torch' in sys.modules else 'NO TORCH')")
    for args in (["results"], ["fsck", "--lock-only"]):
        proc = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=120)
        assert proc.stdout.strip().endswith("NO TORCH"), (args, proc.stdout[-500:], proc.stderr[-500:])
