"""The first things a newcomer gets wrong each get a clear error."""


import pytest
import yaml

from conftest import ROOT, run_stage
from stages.common import ParamsError
from stages.params.__main__ import check_all as validate


def _params():
    return yaml.safe_load((ROOT / "params.yaml").read_text())


def test_params_typo_names_the_key_and_the_allowed_ones():
    p = _params()
    p["train"]["learning_rate"] = 0.1
    with pytest.raises(ParamsError, match=r"unknown key 'train.learning_rate'.*allowed in 'train':.*\blr\b"):
        validate(p)


def test_params_wrong_type_or_value_names_the_key():
    p = _params()
    p["train"]["batch_size"] = "32"
    with pytest.raises(ParamsError, match=r"'train.batch_size' is '32'; expected an integer >= 2 .*write it as 32"):
        validate(p)
    p = _params()
    p["data"]["source"] = "imagenett"
    with pytest.raises(ParamsError,
                       match=r"'data.source' is 'imagenett'; expected one of 'synthetic', 'folder', 'imagenet'"):
        validate(p)
    p = _params()
    p["prior"]["lam"] = 2
    with pytest.raises(ParamsError, match=r"'prior.lam' is 2; expected a finite number in \[0, 1\]"):
        validate(p)
    p = _params()
    del p["colorize"]["T"]
    with pytest.raises(ParamsError, match="missing key 'colorize.T'"):
        validate(p)
    p = _params()
    p["modle"] = {}
    with pytest.raises(ParamsError, match="unknown section 'modle'"):
        validate(p)


def test_a_stage_fails_fast_on_bad_params(tmp_path):
    p = _params()
    p["data"]["sise"] = 64
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(p))
    proc = run_stage("synsets", tmp_path, check=False)
    assert proc.returncode != 0 and "unknown key 'data.sise'" in proc.stderr


def test_imagenet_path_missing_is_named(tmp_path):
    p = _params()
    p["data"].update(source="imagenet", root=str(tmp_path / "ILSVRC2012"))
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(p))
    proc = run_stage("synsets", tmp_path, check=False)
    assert proc.returncode != 0 and "ILSVRC2012, which does not exist" in proc.stderr and "data.root" in proc.stderr


def test_no_wordnet_says_how_to_install(tmp_path):
    from colorization.wordnet import load_wordnet

    with pytest.raises(RuntimeError, match="(?s)apt-get install wordnet-base.*nltk.downloader wordnet"):
        load_wordnet.__wrapped__(str(tmp_path))  # a folder without WordNet's files


def test_missing_vgg16_weights_name_file_folder_and_url(tmp_path, monkeypatch):
    from colorization.classifier import load_imagenet_vgg16

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    with pytest.raises(FileNotFoundError) as e:
        load_imagenet_vgg16()
    msg = str(e.value)
    assert "vgg16-397923af.pth" in msg and str(tmp_path / "torch" / "hub" / "checkpoints") in msg
    assert "https://download.pytorch.org/models/vgg16-397923af.pth" in msg


def test_no_disk_space_for_resize(tmp_path, monkeypatch):
    import colorization.resize as resize
    from colorization.sources import SyntheticSource

    class Full:
        free = 1000

    monkeypatch.setattr(resize.shutil, "disk_usage", lambda p: Full)
    src = SyntheticSource(0, 4, 1)
    with pytest.raises(resize.NotEnoughDisk, match="not enough disk space"):
        resize.resize_split(src, src.items("train", ["n07753592"]), 64, "squash", tmp_path / "t.npy", 1)


def _photo_tree(root, classes=("n07753592", "n07749582"), n=3):
    from PIL import Image

    for split in ("train", "val"):
        for wnid in classes:
            (root / split / wnid).mkdir(parents=True)
            for i in range(n):
                Image.new("RGB", (40, 40), (30 * i, 200, 40)).save(root / split / wnid / f"{i}.jpg")


def test_a_per_class_cap_on_real_photos_is_said_out_loud(tmp_path, wordnet):
    _photo_tree(tmp_path / "photos")
    p = _params()
    p["data"].update(source="folder", root=str(tmp_path / "photos"), train_per_class=2, val_per_class="none", size=32)
    p["synsets"]["count"] = 2
    p["train"]["crop"] = 32
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(p))
    run_stage("synsets", tmp_path)
    proc = run_stage("resize", tmp_path)
    assert "data.train_per_class = 2 caps the train split: 4 of 6 images kept" in proc.stderr
    assert "val_per_class" not in proc.stderr  # no cap on val, nothing to say


def test_more_synsets_than_the_source_has_names_the_key(tmp_path, wordnet):
    _photo_tree(tmp_path / "photos")
    p = _params()
    p["data"].update(source="folder", root=str(tmp_path / "photos"))
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(p))
    proc = run_stage("synsets", tmp_path, check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "'synsets.count' is 33 but the folder source offers only 2 classes" in proc.stderr


def test_a_params_error_is_an_ordinary_exception_that_a_stage_reports_in_one_line(micro_project):
    from conftest import run_stage

    assert issubclass(ParamsError, Exception) and not issubclass(ParamsError, SystemExit)
    params = micro_project / "params.yaml"
    params.write_text(params.read_text().replace("lam: 0.5", "lam: 2"))
    proc = run_stage("prior", micro_project, check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "params.yaml: 'prior.lam' is 2; expected a finite number in [0, 1]"


def test_unset_has_one_spelling_that_the_stages_read_as_none(tmp_path):
    """`none` leaves numbers and files alike unset; a null names the key and the spelling to use."""
    import yaml as _yaml

    from stages.common import load_params
    from stages.params import classifier, colorize, data, train
    from stages.params.__main__ import defaults

    text = (ROOT / "params.yaml").read_text()
    assert ": null" not in text and "workers: none" in text and "max_images: none" in text
    raw = defaults()
    raw["data"]["train_per_class"] = "none"
    path = tmp_path / "params.yaml"
    path.write_text(_yaml.safe_dump(raw))
    p = load_params(data, train, classifier, colorize, path=path)
    assert p["data"]["train_per_class"] is None and p["train"]["workers"] is None
    assert p["colorize"]["zhang_weights"] is None and dict(p["train"])["workers"] is None
    assert p["data"]["val_per_class"] == 15
    for section, key in (("data", "val_per_class"), ("prior", "file"), ("classifier", "input_size")):
        bad = defaults()
        bad[section][key] = None
        with pytest.raises(ParamsError, match=rf"'{section}\.{key}' is null; write none"):
            validate(bad)
