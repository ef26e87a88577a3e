"""Hostile and careless inputs: every one ends in a clear line, loses nothing, and stops
no batch. The colourize command, params that would crash a later stage, data folders
with nothing readable, odd entries among the study's responses, a second training in
the same workspace (test_training.py), and a reports folder one may not write to."""

import json
import os
import re
import struct
import zlib

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from colorization.__main__ import main as cli
from colorization.lab import uint8_to_lab
from colorization.model import ColorizationNet
from conftest import ROOT, micro_params, run_stage
from stages.common import ParamsError
from stages.params.__main__ import check_all as validate


@pytest.fixture
def model(tmp_path):
    torch.manual_seed(0)
    net = ColorizationNet(0.0625)
    path = tmp_path / "m.pt"
    torch.save({"model": net.state_dict(), "width": 0.0625, "image_size": 32}, path)
    return path


def _png_header(width, height):
    """A tiny PNG that declares width x height (a decompression bomb's header)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def test_cli_colorizes_the_good_photos_of_a_batch_with_a_bomb_a_16bit_png_and_shared_stems(tmp_path, model, capsys):
    (tmp_path / "bomb.png").write_bytes(_png_header(20000, 20000))
    ramp = np.tile(np.linspace(0, 65535, 64), (16, 1)).astype(np.uint16)
    Image.fromarray(ramp).save(tmp_path / "deep.png")
    rgb = np.random.default_rng(0).integers(0, 255, (20, 30, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "photo.jpg")
    Image.fromarray(rgb[::-1]).save(tmp_path / "photo.png")
    out = tmp_path / "out"
    args = [str(tmp_path / n) for n in ("bomb.png", "deep.png", "photo.jpg", "photo.png")]
    rc = cli(["colorize", *args, "-o", str(out), "--model", str(model), "--cpu"])
    err = capsys.readouterr().err
    assert rc == 1 and "bomb.png" in err and "too large" in err  # one failure, counted in the exit code
    assert sorted(p.name for p in out.iterdir()) == ["deep_colorized.png", "photo_jpg_colorized.png",
                                                     "photo_png_colorized.png"]
    # the 16-bit ramp keeps its full range of lightness, as the pipeline's decoder gives it
    L = uint8_to_lab(np.asarray(Image.open(out / "deep_colorized.png"))[None])[0, 0]
    assert L[:, 0].mean() < 5 and L[:, -1].mean() > 95 and L[:, 1].mean() < 10


def test_cli_composites_transparency_on_white_like_the_pipeline(tmp_path, model):
    rgba = np.zeros((16, 16, 4), np.uint8)  # fully transparent black
    Image.fromarray(rgba, "RGBA").save(tmp_path / "clear.png")
    assert cli(["colorize", str(tmp_path / "clear.png"), "-o", str(tmp_path / "o"), "--model", str(model)]) == 0
    L = uint8_to_lab(np.asarray(Image.open(tmp_path / "o" / "clear_colorized.png"))[None])[0, 0]
    assert L.mean() > 95  # white, not dark


def test_cli_bounds_the_network_input_whatever_the_aspect_ratio(tmp_path, model):
    from colorization.photos import network_shape

    assert network_shape(1, 1000, 32) == (8, 128)  # a strip: long side at most 4x, short side at least 8
    assert network_shape(10000, 10000, 256) == (256, 256)
    Image.fromarray(np.full((1, 1000, 3), 120, np.uint8)).save(tmp_path / "strip.png")
    assert cli(["colorize", str(tmp_path / "strip.png"), "-o", str(tmp_path / "o"), "--model", str(model)]) == 0
    assert np.asarray(Image.open(tmp_path / "o" / "strip_colorized.png")).shape == (1, 1000, 3)


def test_cli_refuses_a_photo_over_the_pixel_limit_and_goes_on(tmp_path, model, capsys):
    Image.new("RGB", (300, 300), (90, 40, 20)).save(tmp_path / "big.png")
    Image.new("RGB", (30, 30), (90, 40, 20)).save(tmp_path / "small.png")
    rc = cli(["colorize", str(tmp_path / "big.png"), str(tmp_path / "small.png"), "-o", str(tmp_path / "o"),
              "--model", str(model), "--max-megapixels", "0.05"])
    assert rc == 1 and "too large" in capsys.readouterr().err
    assert (tmp_path / "o" / "small_colorized.png").is_file()


def test_cli_never_overwrites_an_input(tmp_path, model, capsys):
    Image.new("RGB", (16, 16), (10, 200, 30)).save(tmp_path / "x.png")
    (tmp_path / "x_colorized.png").write_bytes((tmp_path / "x.png").read_bytes())
    before = (tmp_path / "x_colorized.png").read_bytes()
    rc = cli(["colorize", str(tmp_path / "x.png"), str(tmp_path / "x_colorized.png"), "-o", str(tmp_path),
              "--model", str(model)])
    assert rc == 0 and (tmp_path / "x_colorized.png").read_bytes() == before  # the second input is untouched
    assert (tmp_path / "x_colorized_2.png").is_file() and (tmp_path / "x_colorized_colorized.png").is_file()
    with pytest.raises(SystemExit, match="is a file"):
        cli(["colorize", str(tmp_path / "x.png"), "-o", str(tmp_path / "x.png"), "--model", str(model)])


@pytest.mark.parametrize("flag,value", [("--T", "nan"), ("--T", "-1"), ("--T", "inf"), ("--size", "0"),
                                        ("--size", "-5"), ("--max-megapixels", "0")])
def test_cli_validates_its_numbers(tmp_path, model, flag, value, capsys):
    with pytest.raises(SystemExit):
        cli(["colorize", "x.png", "-o", str(tmp_path), "--model", str(model), flag, value])
    assert flag in capsys.readouterr().err


def test_cli_loads_zhangs_state_dict_and_refuses_other_files(tmp_path, capsys):
    torch.manual_seed(0)
    state = {k: v for k, v in ColorizationNet(1.0).state_dict().items() if not k.endswith("num_batches_tracked")}
    torch.save(state, tmp_path / "colorization_release_v2-9b330a0b.pth")
    Image.new("RGB", (24, 20), (200, 150, 30)).save(tmp_path / "a.png")
    rc = cli(["colorize", str(tmp_path / "a.png"), "-o", str(tmp_path / "o"), "--size", "32",
              "--model", str(tmp_path / "colorization_release_v2-9b330a0b.pth")])
    assert rc == 0 and (tmp_path / "o" / "a_colorized.png").is_file()
    (tmp_path / "notes.pt").write_text("not a model")
    torch.save({"weights": [1, 2, 3]}, tmp_path / "other.pt")
    for bad in ("notes.pt", "other.pt"):
        with pytest.raises(SystemExit) as e:
            cli(["colorize", str(tmp_path / "a.png"), "-o", str(tmp_path / "o"), "--model", str(tmp_path / bad)])
        assert bad in str(e.value) and "\n" not in str(e.value)


def test_cli_says_when_it_uses_the_first_frame_of_an_animation(tmp_path, model, capsys):
    frames = [Image.new("RGB", (16, 16), c) for c in ((200, 0, 0), (0, 200, 0))]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    assert cli(["colorize", str(tmp_path / "anim.gif"), "-o", str(tmp_path / "o"), "--model", str(model)]) == 0
    assert "animated (2 frames)" in capsys.readouterr().err


def _params(**sections):
    p = micro_params()
    for section, values in sections.items():
        p[section].update(values)
    return p


@pytest.mark.parametrize("sections,message", [
    ({"data": {"size": 24}}, r"'data.size' is 24; the VGG-16 trained here needs at least 32"),
    ({"synsets": {"count": 1}}, r"'synsets.count' is 1; expected an integer >= 2"),
    ({"train": {"crop": 40}}, r"'train.crop' is 40, larger than the images \(data.size: 32 px\)"),
    ({"train": {"crop": 20}}, r"'train.crop' is 20; expected a multiple of 8"),
    ({"train": {"batch_size": 1}}, r"'train.batch_size' is 1; expected an integer >= 2"),
    ({"classifier": {"batch_size": 1}}, r"'classifier.batch_size' is 1; expected an integer >= 2"),
    ({"train": {"lr": float("inf")}}, r"'train.lr' is inf; expected a finite number > 0"),
    ({"train": {"lr": float("nan")}}, r"'train.lr' is nan; expected a finite number > 0"),
    ({"colorize": {"T": float("nan")}}, r"'colorize.T' is nan"),
    ({"prior": {"file": None}}, r"'prior.file' is null; write none"),
    ({"data": {"source": "folder"}}, r"'data.root' must name the dataset folder"),
])
def test_params_that_would_crash_later_are_refused_up_front(sections, message):
    with pytest.raises(ParamsError, match=message):
        validate(_params(**sections))


def test_data_size_below_32_is_fine_with_the_imagenet_classifier():
    validate(_params(data={"size": 16}, train={"crop": 16}, evaluate={"classifier": "imagenet"}))


@pytest.mark.parametrize("content,message", [
    ("q\n" + "0.1\n" * 313, "no column 'p'"),
    ("p\n" + "0.1\n" * 312 + "nan\n", "1 not finite"),
    ("p\n" + "0.1\n" * 300, "got 300 rows"),
    ("p\n" + "0.1\n" * 312 + "-1\n", "1 negative"),
])
def test_a_given_prior_file_is_checked_before_anything_runs(tmp_path, content, message):
    (tmp_path / "prior.csv").write_text(content)
    with pytest.raises(ParamsError, match=message):
        validate(_params(prior={"file": str(tmp_path / "prior.csv")}))
    with pytest.raises(ParamsError, match="does not exist"):
        validate(_params(prior={"file": str(tmp_path / "missing.csv")}))


def _folder_project(tmp_path, build):
    root = tmp_path / "photos"
    build(root)
    project = tmp_path / "p"
    project.mkdir()
    (project / "params.yaml").write_text(yaml.safe_dump(_params(
        data={"source": "folder", "root": str(root), "train_per_class": "none", "val_per_class": "none"},
        synsets={"count": 2})))
    return project


def _tree(root, readable):
    for split in ("train", "val"):
        for wnid in ("n07753592", "n07749582"):
            d = root / split / wnid
            d.mkdir(parents=True)
            for i in range(2):
                if readable(split, wnid):
                    Image.new("RGB", (40, 40), (200, 180, 30)).save(d / f"{i}.jpg")
                else:
                    (d / f"{i}.jpg").write_text("not a photo")


def test_an_unreadable_source_is_a_clear_error_that_leaves_no_arrays(tmp_path, wordnet):
    project = _folder_project(tmp_path, lambda root: _tree(root, lambda s, w: False))
    run_stage("synsets", project)
    proc = run_stage("resize", project, check=False)
    assert proc.returncode != 0 and "no readable train image" in proc.stderr and "Traceback" not in proc.stderr
    assert not (project / "data" / "resized").exists() and not (project / "data" / "resized.partial").exists()
    skipped = (project / "reports" / "skipped.csv").read_text().splitlines()
    assert len(skipped) == 1 + 4  # header + the four train files (the stage stops at the train split)


def test_a_class_without_readable_images_is_named(tmp_path, wordnet):
    project = _folder_project(tmp_path, lambda root: _tree(root, lambda s, w: w != "n07749582" or s == "val"))
    run_stage("synsets", project)
    proc = run_stage("resize", project, check=False)
    assert proc.returncode != 0 and "n07749582 (lemon.n.01)" in proc.stderr and "Traceback" not in proc.stderr


def test_a_folder_without_train_or_classes_is_one_line(tmp_path):
    project = _folder_project(tmp_path, lambda root: (root / "val").mkdir(parents=True))
    proc = run_stage("synsets", project, check=False)
    assert proc.returncode != 0 and "does not exist" in proc.stderr and "Traceback" not in proc.stderr
    (tmp_path / "photos" / "train").mkdir()
    proc = run_stage("synsets", project, check=False)
    assert proc.returncode != 0 and "no class folders" in proc.stderr and "Traceback" not in proc.stderr


def test_odd_entries_among_the_responses_are_listed_and_the_rest_counted(tmp_path):
    from colorization.study import MAX_RESPONSE_BYTES, collect_responses

    folder = tmp_path / "responses"
    folder.mkdir()
    head = "participant,trial,image,real_side,answer,response_ms\n"
    (folder / "a.CSV").write_text(head + "李,1,1,left,right,500\n")  # upper-case suffix, non-ASCII id
    (folder / "b.csv").write_text(head + "王,1,1,left,left,400\n")  # another non-ASCII id: not a duplicate
    (folder / "c.csv").write_text(head + '"=cmd|x",1,1,left,left,400\n')
    (folder / "dir.csv").mkdir()
    (folder / "dangling.csv").symlink_to(tmp_path / "nowhere.csv")
    with open(folder / "huge.csv", "wb") as f:
        f.truncate(MAX_RESPONSE_BYTES * 1024)  # 1 GB, sparse: rejected by its size, never read
    unreadable = folder / "locked.csv"
    unreadable.write_text(head + "zed,1,1,left,left,1\n")
    unreadable.chmod(0)
    trials, skipped, _ = collect_responses(folder, {"1"})
    reasons = {s["file"]: s["reason"] for s in skipped}
    counted = ["李", "王", "=cmd|x"] + (["zed"] if os.geteuid() == 0 else [])  # root reads anything
    assert sorted(trials.participant) == sorted(counted)
    assert "folder" in reasons["dir.csv"] and "dangling" in reasons["dangling.csv"]
    assert "larger than a results file" in reasons["huge.csv"]
    if os.geteuid() != 0:  # root reads anything
        assert "cannot read" in reasons["locked.csv"]


def test_study_analysis_writes_results_despite_odd_entries(tmp_path, micro_project):
    for stage in ("train", "colorize", "study"):
        run_stage(stage, micro_project)
    responses = micro_project / "data" / "study" / "responses"
    responses.mkdir(parents=True)
    (responses / "folder.csv").mkdir()
    (responses / "gone.csv").symlink_to(tmp_path / "missing")
    run_stage("study_analysis", micro_project)
    result = json.loads((micro_project / "reports" / "study" / "results.json").read_text())
    assert {s["file"] for s in result["skipped_files"]} == {"folder.csv", "gone.csv"}


def test_a_stage_that_cannot_write_its_outputs_says_where_in_one_line(micro_project):
    """A reports path one may not write to: a read-only folder (when not root) or a file
    where the folder should be (even root cannot write through that)."""
    import shutil

    reports = micro_project / "reports"
    shutil.rmtree(reports, ignore_errors=True)
    if os.geteuid() != 0:
        reports.mkdir()
        reports.chmod(0o500)
    else:
        reports.write_text("a file where a folder should be")
    try:
        proc = run_stage("resize", micro_project, check=False)
    finally:
        if reports.is_dir():
            reports.chmod(0o755)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "resize: cannot use" in proc.stderr and "reports" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) <= 2  # the stage's own line, and DVC-free: nothing else


def test_a_full_disk_is_one_line_and_leaves_nothing_partial(micro_project, monkeypatch):
    """ENOSPC while a stage writes: the message names the path and the cause."""
    import errno

    from stages import common

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device", str(micro_project / "data" / "prior.csv"))

    def main():
        with common.atomic_path(micro_project / "data" / "prior.csv") as tmp:
            tmp.write_text("half")
            full()

    before = (micro_project / "data" / "prior.csv").read_text()
    with pytest.raises(SystemExit) as e:
        common.run(main)
    assert "prior.csv" in str(e.value) and "No space left" in str(e.value) and "free some disk space" in str(e.value)
    assert (micro_project / "data" / "prior.csv").read_text() == before  # the old output is intact
    assert not [p for p in (micro_project / "data").iterdir() if p.name.endswith(".tmp.csv")]


def test_presets_and_params_use_no_local_paths():
    for path in [ROOT / "params.yaml", *sorted((ROOT / "presets").glob("*.yaml"))]:
        text = path.read_text()
        assert "/work/" not in text and "/home/" not in text and "/root/" not in text, path


# --- second round: the CLI and params cases that crashed, hung or lied ---------------------------------


def _photo(path, colour=(200, 120, 40)):
    Image.new("RGB", (24, 20), colour).save(path)
    return path


def test_cli_skips_a_symlink_loop_a_fifo_and_devices_and_colorizes_the_rest_within_seconds(tmp_path, model, capsys):
    import time

    good = [_photo(tmp_path / "a.jpg"), _photo(tmp_path / "b.png")]
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    os.mkfifo(tmp_path / "pipe.jpg")
    r, w = os.pipe()  # what bash's <(cat x.jpg) hands over: /dev/fd/N, a pipe
    try:
        t0 = time.perf_counter()
        rc = cli(["colorize", str(good[0]), str(tmp_path / "loop1"), str(tmp_path / "pipe.jpg"), "/dev/zero",
                  f"/dev/fd/{r}", str(good[1]), "-o", str(tmp_path / "out"), "--model", str(model)])
        elapsed = time.perf_counter() - t0
    finally:
        os.close(r)
        os.close(w)
    err = capsys.readouterr().err
    assert rc == 4 and elapsed < 30
    assert f"skipped {tmp_path / 'loop1'}: symlink loop" in err
    for entry in (str(tmp_path / "pipe.jpg"), "/dev/zero", f"/dev/fd/{r}"):
        assert f"skipped {entry}: not a regular file" in err
    assert "empty file" not in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a_colorized.png", "b_colorized.png"]


def test_cli_ctrl_c_is_one_line_exit_130_and_no_partial_output(tmp_path, model, capsys, monkeypatch):
    import colorization.photos as photos

    _photo(tmp_path / "a.jpg")

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(photos, "colorize_photo", interrupted)
    rc = cli(["colorize", str(tmp_path / "a.jpg"), "-o", str(tmp_path / "out"), "--model", str(model)])
    err = capsys.readouterr().err
    assert rc == 130 and err.strip() == "colorize: interrupted" and "Traceback" not in err
    assert not list((tmp_path / "out").iterdir())


def _saved(tmp_path, name, **fields):
    torch.manual_seed(0)
    state = {"model": ColorizationNet(0.0625).state_dict(), "width": 0.0625, "image_size": 32, **fields}
    torch.save(state, tmp_path / name)
    return tmp_path / name


@pytest.mark.parametrize("fields,message", [
    ({"width": 0.25}, r"does not match its own width and head: model1\.0\.weight"),
    ({"width": "wide"}, r"its width is 'wide'; expected a number"),
    ({"width": float("nan")}, r"its width is nan"),
    ({"head": "banana"}, r"its head is 'banana'; expected one of classification, regression"),
    ({"image_size": -3}, r"its image_size is -3; expected an integer"),
    ({"image_size": "big"}, r"its image_size is 'big'"),
    ({"model": {"model1.0.weight": torch.zeros(3)}}, r"missing \[.*; model1\.0\.weight \(3,\)"),
    ({"model": [1, 2]}, r"its 'model' is a list, not a state dict"),
])
def test_cli_names_what_does_not_match_in_a_model_file(tmp_path, fields, message):
    path = _saved(tmp_path, "m.pt", **fields)
    _photo(tmp_path / "a.jpg")
    with pytest.raises(SystemExit) as e:
        cli(["colorize", str(tmp_path / "a.jpg"), "-o", str(tmp_path / "o"), "--model", str(path)])
    text = str(e.value)
    assert str(path) in text and "\n" not in text and re.search(message, text), text


def test_a_model_with_non_finite_weights_is_refused_at_load(tmp_path):
    torch.manual_seed(0)
    net = ColorizationNet(0.0625)
    with torch.no_grad():
        net.model3[0].weight[0, 0, 0, 0] = float("nan")
    torch.save({"model": net.state_dict(), "width": 0.0625, "image_size": 32}, tmp_path / "nan.pt")
    _photo(tmp_path / "a.jpg")
    with pytest.raises(SystemExit, match=r"nan\.pt holds non-finite weights \(model3\.0\.weight\)"):
        cli(["colorize", str(tmp_path / "a.jpg"), "-o", str(tmp_path / "o"), "--model", str(tmp_path / "nan.pt")])
    assert not (tmp_path / "o" / "a_colorized.png").exists()


def test_a_non_finite_network_output_fails_that_photo_with_a_reason(tmp_path, model, capsys, monkeypatch):
    import colorization.photos as photos

    _photo(tmp_path / "a.jpg")
    monkeypatch.setattr(photos, "colorize_lab", lambda m, lab, T: torch.full_like(lab, float("inf")))
    rc = cli(["colorize", str(tmp_path / "a.jpg"), "-o", str(tmp_path / "o"), "--model", str(model)])
    assert rc == 1 and "output is not finite" in capsys.readouterr().err
    assert not (tmp_path / "o" / "a_colorized.png").exists()


@pytest.mark.parametrize("value", [0, 1, 99])
def test_a_bootstrap_too_small_for_a_95_interval_is_refused(value):
    with pytest.raises(ParamsError, match=rf"'evaluate.bootstrap' is {value}; expected an integer >= 100"):
        validate(_params(evaluate={"bootstrap": value}))


def test_a_batch_larger_than_the_train_split_is_refused_by_name(micro_project):
    params = yaml.safe_load((micro_project / "params.yaml").read_text())
    params["train"]["batch_size"] = 100000
    (micro_project / "params.yaml").write_text(yaml.safe_dump(params))
    proc = run_stage("train", micro_project, check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "'train.batch_size' is 100000, more than the 32 train images" in proc.stderr


def test_a_batch_that_cannot_fit_in_memory_is_refused_by_name(tmp_path):
    from stages.params import train

    big = np.lib.format.open_memmap(tmp_path / "train.npy", mode="w+", dtype=np.uint8, shape=(200000, 256, 256, 3))
    del big  # a sparse file: the header says 200,000 images, nothing is written
    t = {**_params()["train"], "batch_size": 100000, "crop": 256}
    with pytest.raises(ParamsError, match=r"'train.batch_size' is 100000: a training step .* needs about \d+"):
        train.check_fits(t, 1.0, "cpu", tmp_path / "train.npy")


def test_running_out_of_memory_is_one_line_naming_the_params(monkeypatch):
    from stages import common

    monkeypatch.setattr(common, "current_stage", lambda: "train")

    def main():
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory: you "
                           "tried to allocate 98406000000 bytes.")

    with pytest.raises(SystemExit) as e:
        common.run(main)
    assert str(e.value).startswith("train: out of memory") and "train.batch_size" in str(e.value)

    def other():
        raise MemoryError

    with pytest.raises(SystemExit, match="train: out of memory"):
        common.run(other)


def test_a_data_root_that_is_a_file_is_named_so(tmp_path):
    (tmp_path / "photos.zip").write_bytes(b"PK")
    with pytest.raises(ParamsError, match=r"'data.root' is .*photos.zip, a file, not a folder"):
        validate(_params(data={"source": "imagenet", "root": str(tmp_path / "photos.zip")}))


def test_an_empty_class_folder_gets_a_suggestion_the_params_accept(tmp_path, wordnet):
    root = tmp_path / "imagenet"
    (root / "train" / "n07753592").mkdir(parents=True)
    _photo(root / "train" / "n07753592" / "0.JPEG")
    (root / "train" / "n07749582").mkdir(parents=True)  # a class folder with nothing in it
    (root / "val" / "n07753592").mkdir(parents=True)
    project = tmp_path / "p"
    project.mkdir()
    (project / "params.yaml").write_text(yaml.safe_dump(_params(
        data={"source": "imagenet", "root": str(root), "train_per_class": "none", "val_per_class": "none"},
        synsets={"count": 2})))
    proc = run_stage("synsets", project, check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "n07749582 has no train images" in proc.stderr and "needs at least 2" in proc.stderr
    assert "synsets.count to at most 1" not in proc.stderr  # a value the params would refuse


def test_a_killed_write_leaves_a_temporary_the_next_run_removes_and_git_ignores(tmp_path):
    import subprocess

    from colorization.atomic import atomic_path, sweep_temporaries, temporary_name

    target = tmp_path / "figures" / "fig1.png"
    target.parent.mkdir()
    stale = temporary_name(target)
    stale.write_bytes(b"half a png")  # what kill -9 mid-write leaves
    other = temporary_name(tmp_path / "figures" / "gone.png")
    other.write_bytes(b"half")
    with atomic_path(target) as tmp:
        assert tmp == stale
        tmp.write_bytes(b"whole")
    assert target.read_bytes() == b"whole" and not stale.exists()
    assert sweep_temporaries(target.parent) == [other] and not other.exists()
    ignored = subprocess.run(["git", "check-ignore", "-q", "reports/figures/.fig1_temperature.png.tmp.png"], cwd=ROOT)
    assert ignored.returncode == 0


def test_a_broken_environment_stops_resize_instead_of_blaming_the_data(tmp_path, micro_project):
    from colorization.errors import BrokenEnvironment
    from colorization.resize import resize_split
    from colorization.sources import SyntheticSource
    from stages import common

    class Vanished(SyntheticSource):
        def load(self, item, size, mode="squash"):
            raise ModuleNotFoundError("No module named 'colorization.synthetic'")

    src = Vanished(0, 3, 1)
    with pytest.raises(BrokenEnvironment, match="ModuleNotFoundError"):
        resize_split(src, src.items("train", ["n07753592"]), 16, "squash", tmp_path / "t.npy", 1)

    def main():
        resize_split(src, src.items("train", ["n07753592"]), 16, "squash", tmp_path / "t.npy", 1)

    with pytest.raises(SystemExit) as e:
        common.run(main)
    assert "environment is broken, not the data" in str(e.value) and "make setup" in str(e.value)
