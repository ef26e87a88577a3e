"""Full and read-only disks for real: a small tmpfs, filled or remounted read-only, under the
stages' writer, a whole stage, the CLI and the study server. Skipped with the reason where
the test cannot mount one (it needs root or CAP_SYS_ADMIN)."""

import errno
import http.client
import os
import shutil
import subprocess
import threading

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import run_stage
from study_fixtures import make_site, results_csv


def _mount(path, size_kb):
    path.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(path)],
                          capture_output=True, text=True)
    if proc.returncode:
        pytest.skip(f"cannot mount a tmpfs here ({proc.stderr.strip() or 'mount failed'}): needs root or "
                    "CAP_SYS_ADMIN")


@pytest.fixture
def small_disk(tmp_path):
    """A 512 kB tmpfs; ``fill()`` leaves it with no room, ``read_only()`` remounts it read-only."""
    disk = tmp_path / "disk"
    _mount(disk, 512)

    class Disk:
        path = disk

        @staticmethod
        def fill():
            _fill(disk / ".filler")

        @staticmethod
        def read_only():
            subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)

    yield Disk
    subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def _fill(path):
    """Write zeros until the disk refuses (unbuffered: nothing left to flush at close)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as e:
        assert e.errno == errno.ENOSPC
    finally:
        os.close(fd)


def _left(folder):
    return sorted(p.name for p in folder.iterdir() if p.name != ".filler")


@pytest.mark.parametrize("fault", ["full", "read_only"])
def test_saving_a_model_on_a_full_or_read_only_disk_names_the_path_and_keeps_the_old_file(small_disk, fault):
    from colorization.atomic import save_torch

    target = small_disk.path / "model.pt"
    save_torch({"w": torch.zeros(10)}, target)
    before = target.read_bytes()
    small_disk.fill() if fault == "full" else small_disk.read_only()
    with pytest.raises(OSError) as e:
        save_torch({"w": torch.zeros(200_000)}, target)  # 800 kB: more than the disk holds
    assert e.value.errno == (errno.ENOSPC if fault == "full" else errno.EROFS)
    assert str(target.parent) in str(e.value.filename)
    assert target.read_bytes() == before and _left(small_disk.path) == ["model.pt"]


def test_a_stage_whose_disk_is_full_says_so_in_one_line(tmp_path, micro_data):
    """The micro project on a small disk, the disk filled, `prior` run again: one line naming
    the path and the cause, no traceback, the previous prior intact, no temporary file."""
    disk = tmp_path / "disk"
    _mount(disk, 64 * 1024)
    try:
        project = disk / "p"
        shutil.copytree(micro_data, project, ignore=shutil.ignore_patterns("models", "dvclive"))
        run_stage("prior", project)
        before = (project / "data" / "prior.csv").read_bytes()
        _fill(disk / ".filler")
        proc = run_stage("prior", project, check=False)
        assert proc.returncode != 0 and "Traceback" not in proc.stderr, proc.stderr[-800:]
        assert "No space left on device" in proc.stderr and "prior" in proc.stderr
        assert (project / "data" / "prior.csv").read_bytes() == before
        assert not [p for p in (project / "data").iterdir() if p.name.startswith(".")]
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_the_cli_on_a_full_output_disk_lists_each_photo_and_leaves_no_partial_png(small_disk, tmp_path, capsys):
    from colorization.__main__ import main
    from colorization.model import ColorizationNet

    torch.manual_seed(0)
    model = tmp_path / "m.pt"
    torch.save({"model": ColorizationNet(0.0625).state_dict(), "width": 0.0625, "head": "classification",
                "image_size": 32}, model)
    photos = tmp_path / "photos"
    photos.mkdir()
    for k in range(2):
        Image.fromarray(np.random.default_rng(k).integers(0, 255, (300, 300, 3), dtype=np.uint8)).save(
            photos / f"p{k}.png")
    small_disk.fill()
    rc = main(["colorize", str(photos), "-o", str(small_disk.path), "--model", str(model), "--cpu"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("No space left on device") >= 2 and "Traceback" not in err
    assert _left(small_disk.path) == []


def test_the_study_server_on_a_full_disk_answers_503_and_keeps_serving(small_disk, tmp_path):
    from colorization.study_server import make_server

    site = make_site(tmp_path / "study")
    responses = small_disk.path / "responses"
    srv = make_server(site, responses, "127.0.0.1", 0)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        small_disk.fill()

        def post(pid):
            conn = http.client.HTTPConnection(*srv.server_address[:2], timeout=30)
            conn.request("POST", "/responses", results_csv(pid).encode(), {"Content-Type": "text/csv"})
            r = conn.getresponse()
            out = r.status, r.read().decode()
            conn.close()
            return out

        status, body = post("ana")
        assert status == 503 and "No space left on device" in body and "download" in body
        conn = http.client.HTTPConnection(*srv.server_address[:2], timeout=30)
        conn.request("GET", "/index.html")
        assert conn.getresponse().status == 200  # still serving the page
        (small_disk.path / ".filler").unlink()  # room again: the next participant is stored
        assert post("bo")[0] == 201
        assert [p.name.startswith("study_bo") for p in responses.iterdir()] == [True]
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.mark.skipif(not shutil.which("chromium") and not shutil.which("chromium-browser"),
                    reason="no Chromium installed (apt-get install chromium)")
def test_a_participant_whose_answers_meet_a_full_disk_keeps_them_and_is_offered_the_download(small_disk, tmp_path):
    """The served page in headless Chromium, the responses folder on a full disk: the page says
    why the answers could not be stored and offers the results file; nothing is lost."""
    from colorization.study import read_trials_js
    from colorization.study_server import make_server
    from test_study import _browser, _play

    sync_api = pytest.importorskip("playwright.sync_api")
    site = make_site(tmp_path / "study")
    trials = read_trials_js(site / "trials.js")
    real_of = {t["real"] for g in trials["trials"].values() for t in g}
    srv = make_server(site, small_disk.path / "responses", "127.0.0.1", 0)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    small_disk.fill()
    try:
        with sync_api.sync_playwright() as pw:
            browser = _browser(sync_api, pw)
            page = browser.new_context(accept_downloads=True).new_page()
            page.goto(f"http://127.0.0.1:{srv.server_address[1]}/")
            page.fill("#pid", "ana")
            for _ in _play(page, real_of, 2):
                pass
            page.wait_for_function("document.body.dataset.stored === 'no'")
            status = page.inner_text("#status")
            assert "No space left on device" in status and "download" in status.lower()
            assert page.is_visible("#download")
            with page.expect_download() as download:
                page.click("#download")
            saved = tmp_path / "saved.csv"
            download.value.save_as(saved)
            browser.close()
    finally:
        srv.shutdown()
        srv.server_close()
    text = saved.read_text()
    assert text.startswith("participant,") and "ana" in text and len(text.splitlines()) > 4
