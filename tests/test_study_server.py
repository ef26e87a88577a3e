"""The study server under load and under attack: 200 participants posting at once are all
stored and counted, nothing is ever overwritten, oversized and garbage bodies are refused,
odd participant ids stay inside the answers folder, no URL reaches a file outside the study
folder, and a server killed mid-post leaves no partial file."""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from colorization.study import analyse, collect_responses, read_trials_js
from colorization.study_server import make_server, response_file_name
from conftest import ROOT
from study_fixtures import make_site, results_csv


@pytest.fixture
def server(tmp_path):
    site = make_site(tmp_path / "study")
    responses = tmp_path / "responses"
    srv = make_server(site, responses, "127.0.0.1", 0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv, site, responses
    srv.shutdown()
    srv.server_close()


def request(srv, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection(*srv.server_address[:2], timeout=30)
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    out = r.status, r.read()
    conn.close()
    return out


def post(srv, text, kind="text/csv"):
    body = text.encode() if isinstance(text, str) else text
    return request(srv, "POST", "/responses", body, {"Content-Type": kind})


def known(site):
    trials = read_trials_js(site / "trials.js")
    return {t["id"] for group in trials["trials"].values() for t in group}


def test_200_participants_posting_at_once_are_all_stored_and_counted(server):
    srv, site, responses = server
    people = [f"p{k:03d}" for k in range(200)]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(32) as pool:
        statuses = list(pool.map(lambda p: post(srv, results_csv(p, fooled={int(p[1:]) % 4}))[0], people))
    elapsed = time.perf_counter() - t0
    print(f"200 concurrent participants stored in {elapsed:.2f} s")
    assert statuses == [201] * 200
    assert len(list(responses.glob("*.csv"))) == 200
    trials, skipped, partial = collect_responses(responses, known(site), {"ours": 4})
    assert not skipped and not partial and trials.participant.nunique() == 200
    result = analyse(trials, ["ours", "random"], 1)
    assert result["methods"]["ours"]["n_participants"] == 200 and result["methods"]["ours"]["fool_rate"] == 0.25


def test_a_second_post_of_a_participant_is_refused_and_the_first_file_kept(server):
    srv, _, responses = server
    assert post(srv, results_csv("ana"))[0] == 201
    first = (responses / response_file_name("ana")).read_bytes()
    status, body = post(srv, results_csv("ana", fooled={0, 1}))
    assert status == 409 and b"already has" in body
    assert (responses / response_file_name("ana")).read_bytes() == first
    assert post(srv, results_csv(" ana "))[0] == 409  # the same person once trimmed


def test_the_server_logs_each_stored_refused_and_excluded_answer_in_one_line(server, capsys):
    srv, _, _ = server
    assert post(srv, results_csv("ana"))[0] == 201
    assert post(srv, results_csv("ana"))[0] == 409
    assert post(srv, results_csv("sleepy", vigilance_missed=True))[0] == 201
    assert post(srv, "hello,world\n1,2\n")[0] == 400
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("study serve:")]
    assert lines == ["study serve: 201 created: stored the answers of 'ana'",
                     "study serve: 409 conflict: participant 'ana' already has a results file",
                     "study serve: 201 created: stored the answers of 'sleepy'; excluded from the analysis: missed 1 "
                     "of 1 vigilance trials (at most 0 allowed)",
                     "study serve: 400 bad request: not a results file: missing columns ['participant', 'trial', "
                     "'image', 'real_side', 'answer', 'response_ms']"]
    assert all(",left," not in line and ",right," not in line for line in lines)  # no answers in the log


def test_oversized_garbage_and_wrong_bodies_are_refused_with_a_reason(server):
    srv, _, responses = server
    status, _ = post(srv, "x" * (2 << 20))
    assert status == 413
    status, body = post(srv, os.urandom(4096))
    assert status == 400 and body.startswith(b"not a results file")
    status, body = post(srv, "hello,world\n1,2\n")
    assert status == 400 and b"missing columns" in body
    assert post(srv, results_csv("bo"), kind="application/json")[0] == 400
    assert post(srv, results_csv("inf").replace(",500,", ",inf,", 1))[0] == 400
    assert not list(responses.glob("*.csv"))


@pytest.mark.parametrize("pid", ["../../x", "con", "李", "a/b\\\\c", "..", "NUL.txt", "x" * 300])
def test_odd_participant_ids_stay_inside_the_answers_folder(server, pid):
    srv, _, responses = server
    status, _ = post(srv, results_csv(f'"{pid}"'))
    assert status == 201
    files = list(responses.iterdir())
    assert len(files) == 1 and files[0].parent == responses and files[0].suffix == ".csv"
    assert files[0].name.startswith("study_") and "/" not in files[0].name and ".." not in files[0].name
    assert not (responses.parent / "x").exists() and not (responses.parent.parent / "x").exists()


def test_an_empty_participant_id_is_refused(server):
    srv, _, responses = server
    status, body = post(srv, results_csv('" "'))
    assert status == 400 and b"empty participant id" in body and not list(responses.iterdir())


@pytest.mark.parametrize("path", ["/../secret.txt", "/%2e%2e/secret.txt", "/images/..%2f..%2fsecret.txt",
                                  "/%2E%2E%2Fsecret.txt", "/..%5csecret.txt", "/images/%2e%2e/%2e%2e/secret.txt",
                                  "//etc/passwd", "/%00index.html", "/%ff%fe"])
def test_no_url_reaches_a_file_outside_the_study_folder(server, path):
    srv, site, _ = server
    (site.parent / "secret.txt").write_text("SECRET")
    status, body = request(srv, "GET", path)
    assert b"SECRET" not in body and b"root:" not in body and status in (400, 404)


def test_the_page_and_its_files_are_served(server):
    srv, site, _ = server
    status, body = request(srv, "GET", "/")
    assert status == 200 and b"Which photo is real?" in body
    assert request(srv, "GET", "/trials.js")[0] == 200
    assert request(srv, "GET", "/images/r0.png")[0] == 200
    status, body = request(srv, "GET", "/images/")
    assert status == 404 and b"r0.png" not in body  # no folder is listed


def test_methods_are_balanced_over_participants(server):
    srv, _, _ = server
    methods = [json.loads(request(srv, "GET", f"/method?participant=p{k}")[1])["method"] for k in range(10)]
    assert sorted(methods) == ["ours"] * 5 + ["random"] * 5
    assert json.loads(request(srv, "GET", "/method?participant=p3")[1])["method"] == methods[3]  # stays the same
    assert request(srv, "GET", "/method?participant=%20")[0] == 400


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_server_killed_mid_post_leaves_no_partial_file(tmp_path):
    site, responses = make_site(tmp_path / "study"), tmp_path / "responses"
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "colorization", "study", "serve", "--port", str(port), "--site",
                             str(site), "--responses", str(responses)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert "Serving the study" in proc.stdout.readline()
        body = results_csv("half").encode()
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(b"POST /responses HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
                      + f"Content-Length: {len(body)}\r\n\r\n".encode() + body[: len(body) // 2])
            time.sleep(0.5)
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
    finally:
        proc.kill()
    assert not list(responses.glob("*.csv")) and not list(responses.glob("*half*"))


def _half_sent(srv, announced=1000, sent=10):
    s = socket.create_connection(srv.server_address[:2], timeout=30)
    s.sendall(f"POST /responses HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: {announced}\r\n\r\n"
              .encode() + b"x" * sent)
    return s


def test_a_stalled_body_is_answered_400_after_the_stall_limit(server, monkeypatch):
    from colorization import study_server

    srv, site, responses = server
    monkeypatch.setattr(study_server.Handler, "timeout", 1)
    s = _half_sent(srv)
    t0 = time.time()
    reply = b""
    while chunk := s.recv(4096):  # the server closes the connection after its answer
        reply += chunk
    reply = reply.decode()
    assert reply.startswith("HTTP/1.0 400") and "stopped after 10 of 1000 bytes" in reply
    assert time.time() - t0 < 10 and not list(responses.glob("*"))
    s.close()


def test_normal_participants_are_stored_while_hundreds_of_clients_stall(server, monkeypatch):
    from colorization import study_server

    srv, site, responses = server
    monkeypatch.setattr(study_server.Handler, "timeout", 2)
    stalled = [_half_sent(srv) for _ in range(200)]
    try:
        t0 = time.time()
        assert post(srv, results_csv(site, "during-the-stall"))[0] == 201
        assert time.time() - t0 < 10
    finally:
        for s in stalled:
            s.close()
    assert len(list(responses.glob("*.csv"))) == 1


def test_a_post_that_cannot_be_stored_is_503_and_the_server_keeps_serving(server, monkeypatch):
    import errno

    from colorization import study_server

    srv, site, responses = server
    real_open = open

    def full(path, mode="r", *a, **k):
        if "w" in mode and ".upload-" in str(path):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real_open(path, mode, *a, **k)

    monkeypatch.setattr(study_server, "open", full, raising=False)
    status, body = post(srv, results_csv(site, "disk-full"))
    assert status == 503 and b"No space left on device" in body and b"download" in body
    monkeypatch.undo()
    assert post(srv, results_csv(site, "after-the-disk-was-freed"))[0] == 201
    assert not [p for p in responses.iterdir() if p.name.startswith(".upload-")]


def test_a_responses_folder_that_cannot_be_made_is_named_as_such(tmp_path):
    site = make_site(tmp_path / "study")
    (tmp_path / "file").write_text("not a folder")
    proc = subprocess.run([sys.executable, "-m", "colorization", "study", "serve", "--site", str(site), "--port", "0",
                           "--responses", str(tmp_path / "file" / "responses")], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 1 and "cannot create the responses folder" in proc.stderr
    assert "cannot listen" not in proc.stderr


def test_under_a_256_descriptor_limit_300_stalled_clients_do_not_lock_out_a_participant(tmp_path):
    """The server in its own process limited to 256 open files; 300 clients announce a body and
    stall. A normal participant's answers are stored once the stall limit frees descriptors,
    and the server is still there to serve the next."""
    import resource

    site, responses = make_site(tmp_path / "study"), tmp_path / "responses"
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "colorization", "study", "serve", "--port", str(port), "--site",
                             str(site), "--responses", str(responses)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256)))
    stalled = []
    try:
        assert "Serving the study" in proc.stdout.readline()
        head = "POST /responses HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: 1000\r\n\r\n"
        for _ in range(300):
            s = socket.create_connection(("127.0.0.1", port), timeout=30)
            s.sendall(head.encode() + b"x" * 10)
            stalled.append(s)
        t0 = time.time()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.request("POST", "/responses", results_csv("patient").encode(), {"Content-Type": "text/csv"})
        assert conn.getresponse().status == 201
        assert time.time() - t0 < 100  # within a few stall limits (15 s each), not never
        conn.close()
        assert proc.poll() is None and [p.name[:13] for p in responses.glob("*.csv")] == ["study_patient"]
    finally:
        for s in stalled:
            s.close()
        proc.kill()
        proc.wait(10)
