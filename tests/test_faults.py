"""Faults of the machine and of timing: an edit while a stage runs, a live input that grows
during a run, a dvc.lock cut off by an interrupted write, a corrupt artefact or cache object,
a full disk under torch.save, a read-only folder."""

import errno
import hashlib
import os
import shutil
import subprocess
import sys

import pytest
import torch

from conftest import ROOT, run_stage

FSCK = [sys.executable, "-m", "colorization", "fsck"]


def _cli(args, cwd):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_an_edit_of_params_while_a_stage_runs_fails_the_stage(micro_project):
    params = micro_project / "params.yaml"
    assert "lam: 0.5" in params.read_text()
    proc = run_stage("prior", micro_project, check=False,
                     env={"COLORIZATION_DURING_RUN": f"sed -i 's/lam: 0.5/lam: 0.3/' {params}"})
    assert proc.returncode != 0
    assert "params.yaml changed while the stage ran" in proc.stderr and "Traceback" not in proc.stderr
    # the same stage with nothing edited succeeds
    assert run_stage("prior", micro_project).returncode == 0


def test_a_response_posted_while_the_analysis_runs_is_noticed(tmp_path, monkeypatch):
    from stages.common import _same_inputs, _snapshot

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLORIZATION_PARAMS", str(tmp_path / "params.yaml"))
    (tmp_path / "params.yaml").write_text("data: {}\n")
    responses = tmp_path / "data" / "study" / "responses"
    responses.mkdir(parents=True)
    (responses / "a.csv").write_text("x\n")
    before = _snapshot("study_analysis")
    _same_inputs("study_analysis", before)  # nothing changed
    (responses / "b.csv").write_text("y\n")
    with pytest.raises(SystemExit, match="data/study/responses changed while the stage ran"):
        _same_inputs("study_analysis", before)
    assert _snapshot("resize").keys() == {tmp_path / "params.yaml"}  # only study_analysis watches responses


@pytest.fixture
def lock_repo(tmp_path):
    for name in ("dvc.yaml", "dvc.lock"):
        shutil.copyfile(ROOT / name, tmp_path / name)
    return tmp_path


@pytest.mark.parametrize("cut", [0.2, 0.5, 0.9])
def test_a_truncated_lock_is_refused_in_one_line_with_the_way_back(lock_repo, cut):
    text = (lock_repo / "dvc.lock").read_bytes()
    (lock_repo / "dvc.lock").write_bytes(text[: int(len(text) * cut)])
    proc = _cli(FSCK + ["--lock-only"], lock_repo)
    assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1
    assert "dvc.lock is broken" in proc.stderr and "git checkout dvc.lock" in proc.stderr


def test_the_last_good_lock_is_kept_and_offered(lock_repo):
    assert _cli(FSCK + ["--lock-only"], lock_repo).returncode == 0
    assert _cli(FSCK + ["--keep-lock"], lock_repo).returncode == 0
    good = lock_repo / ".dvc" / "tmp" / "dvc.lock.good"
    assert good.read_bytes() == (lock_repo / "dvc.lock").read_bytes()
    (lock_repo / "dvc.lock").write_text((lock_repo / "dvc.lock").read_text()[:-200])
    proc = _cli(FSCK + ["--lock-only"], lock_repo)
    assert proc.returncode == 1 and "cp .dvc/tmp/dvc.lock.good dvc.lock" in proc.stderr
    assert _cli(FSCK + ["--keep-lock"], lock_repo).returncode == 0  # a broken lock is never kept
    assert good.read_bytes() != (lock_repo / "dvc.lock").read_bytes()


def test_a_lock_older_than_dvc_yaml_is_not_called_broken(lock_repo):
    """A newly declared output makes DVC re-run that stage; it is no interrupted write."""
    pipeline = (lock_repo / "dvc.yaml").read_text()
    (lock_repo / "dvc.yaml").write_text(pipeline.replace("      - data/prior.csv\n", "      - data/prior.csv\n"
                                                         "      - data/prior_extra.csv\n", 1))
    assert _cli(FSCK + ["--lock-only"], lock_repo).returncode == 0


def test_fsck_names_a_corrupt_artefact_and_a_corrupt_cache_object(tmp_path):
    from colorization.fsck import fsck

    (tmp_path / "data").mkdir()
    good = b"the prior\n"
    (tmp_path / "data" / "prior.csv").write_bytes(good)
    md5 = hashlib.md5(good).hexdigest()
    (tmp_path / "none").write_text("a placeholder, since edited")  # a source the stage reads: an edit, not rot
    (tmp_path / "dvc.lock").write_text(f"schema: '2.0'\nstages:\n  prior:\n    cmd: x\n    deps:\n"
                                       f"    - path: none\n      hash: md5\n      md5: {'0' * 32}\n    outs:\n"
                                       f"    - path: data/prior.csv\n      hash: md5\n      md5: {md5}\n")
    cache = tmp_path / ".dvc" / "cache" / "files" / "md5" / md5[:2]
    cache.mkdir(parents=True)
    (cache / md5[2:]).write_bytes(good)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert fsck() == []
        (tmp_path / "data" / "prior.csv").write_bytes(b"the prior\x00")  # a flipped bit, same size
        (cache / md5[2:]).write_bytes(b"the Prior\n")
        problems = fsck()
    finally:
        os.chdir(cwd)
    assert len(problems) == 2
    assert problems[0].startswith("data/prior.csv:") and "dvc checkout data/prior.csv" in problems[0]
    assert md5[2:] in problems[1] and "corrupt" in problems[1]


def test_a_full_disk_under_torch_save_is_an_oserror_naming_the_path_and_leaves_nothing(tmp_path, monkeypatch):
    from colorization import atomic

    target = tmp_path / "model.pt"
    target.write_bytes(b"previous")

    def full(obj, f):
        f.write(b"partial")
        raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 64 vs 0")

    monkeypatch.setattr(torch, "save", full)
    with pytest.raises(OSError) as e:
        atomic.save_torch({"w": 1}, target)
    assert e.value.errno == errno.ENOSPC and e.value.filename == str(target)
    assert target.read_bytes() == b"previous" and sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]


def test_writing_into_a_folder_that_refuses_it_raises_the_write_error_not_the_cleanup(tmp_path, monkeypatch):
    from colorization import atomic

    def refuse(self, missing_ok=False):
        raise OSError(errno.EROFS, "Read-only file system", str(self))

    monkeypatch.setattr(atomic.Path, "unlink", refuse)
    with pytest.raises(OSError) as e, atomic.atomic_path(tmp_path / "out.json") as tmp:
        raise OSError(errno.EROFS, "Read-only file system", str(tmp))
    assert e.value.errno == errno.EROFS and str(tmp_path) in e.value.filename


def test_a_stage_checks_its_upstream_inputs_but_leaves_huge_ones_to_fsck(tmp_path):
    from colorization.integrity import upstream_problems

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "prior.csv").write_text("rotten\n")
    lock = ("stages:\n  prior:\n    cmd: x\n    outs:\n    - path: data/prior.csv\n      md5: "
            f"{hashlib.md5(b'good').hexdigest()}\n      size: 5\n")
    bad = upstream_problems("train", ["data/prior.csv"], lock, root=tmp_path)
    assert [b[0] for b in bad] == ["data/prior.csv"]
    assert upstream_problems("prior", ["data/prior.csv"], lock, root=tmp_path) == []  # its own output
    assert upstream_problems("train", ["data/prior.csv"], lock, root=tmp_path, max_bytes=4) == []
