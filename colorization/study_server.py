"""`python -m colorization study serve`: the perceptual study on a local network. Serves the
study page (reports/study/) and keeps every participant's answers, one file each.

* ``GET /`` and static files, only from the study folder (no path outside it, however encoded);
* ``GET /method?participant=ID``: the method this participant's session shows, assigned so
  that the methods get balanced numbers of participants (one method per session, as Zhang's);
* ``POST /responses`` (``Content-Type: text/csv``, the results file the page offers for
  download): 201 stored, 409 that participant already has a file (nothing overwritten), 413
  over 1 MB, 400 not a valid results file (the reason in the body). Files are written to a
  temporary name, fsynced and linked into place, so a killed server leaves no partial file
  and two posts of one participant cannot both win.

The standard library's threading HTTP server: each participant's requests get a thread.
"""

import hashlib
import json
import os
import posixpath
import re
import threading
import uuid
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from .study import (MAX_RESPONSE_BYTES, ResponseError, normalise_participant, read_responses,
                    read_trials_js, response_files, vigilance_exclusions)

DEFAULT_PORT, DEFAULT_HOST = 8000, "127.0.0.1"
DEFAULT_SITE, DEFAULT_RESPONSES = "reports/study", "data/study/responses"
DRAIN_LIMIT = 16 << 20  # an oversized body up to this is read and dropped, a larger one cut off
STALL_SECONDS = 15  # a connection silent this long, in its headers or its body, is closed
REFUSED = ".refused-path"  # a name inside the study folder that is never created: a 404


def response_file_name(participant: str) -> str:
    """A file name for a participant's results, safe whatever the id (no separators, no ..,
    no reserved device names, letters of any script kept) and distinct for distinct ids."""
    digest = hashlib.sha256(participant.encode()).hexdigest()[:10]
    stem = re.sub(r"[^\w-]", "_", participant, flags=re.UNICODE)[:40].strip("_") or "participant"
    return f"study_{stem}_{digest}.csv"


class Study:
    """What the server knows: the site, the answers folder, and the method assignments."""

    def __init__(self, site, responses):
        self.site, self.responses = Path(site).resolve(), Path(responses)
        self.responses.mkdir(parents=True, exist_ok=True)
        for stale in self.responses.glob(".upload-*"):  # left by a server killed mid-write
            stale.unlink(missing_ok=True)
        trials = read_trials_js(self.site / "trials.js")
        self.methods = list(trials["methods"])
        self.max_misses = trials.get("maxVigilanceMisses")  # the analysis's exclusion rule, to tell it at once
        self.known = {t["id"] for group in trials["trials"].values() for t in group}
        self.lock = threading.Lock()
        self.assigned = {}  # participant -> method, this server's sessions
        for path in response_files(self.responses):
            try:
                frame = read_responses(path.read_text(encoding="utf-8", errors="replace"), self.known)
            except (ResponseError, OSError):
                continue
            self.assigned.setdefault(frame.participant.iloc[0], frame["method"].iloc[0])

    def method_for(self, participant: str) -> str:
        """The method of this participant's session: theirs if known, else the least used."""
        with self.lock:
            if participant not in self.assigned:
                counts = {m: 0 for m in self.methods}
                for m in self.assigned.values():
                    counts[m] = counts.get(m, 0) + 1
                self.assigned[participant] = min(self.methods, key=lambda m: (counts[m], self.methods.index(m)))
            return self.assigned[participant]

    def store(self, body: bytes) -> tuple:
        """(status, message) for one posted results file."""
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return HTTPStatus.BAD_REQUEST, "not a results file: not UTF-8 text"
        try:
            frame = read_responses(text, self.known)
        except ResponseError as e:
            return HTTPStatus.BAD_REQUEST, f"not a results file: {e}"
        participant = frame.participant.iloc[0]
        final = self.responses / response_file_name(participant)
        tmp = self.responses / f".upload-{uuid.uuid4().hex}"
        try:
            with open(tmp, "wb") as f:
                f.write(body)
                f.flush()
                os.fsync(f.fileno())
            try:
                os.link(tmp, final)  # fails if the participant already has a file: never overwritten
            except FileExistsError:
                return HTTPStatus.CONFLICT, f"participant {participant!r} already has a results file"
        except OSError as e:  # a full or read-only disk: the participant keeps the answers and the download
            return HTTPStatus.SERVICE_UNAVAILABLE, (f"the server could not store the answers ({e.strerror or e}); "
                                                    "download them and send the file to the experimenter")
        finally:
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass
        _fsync_dir(self.responses)
        with self.lock:
            self.assigned.setdefault(participant, frame["method"].iloc[0])
        rule = self.max_misses
        excluded = vigilance_exclusions(frame, rule).get(participant) if rule is not None else None
        return HTTPStatus.CREATED, f"stored the answers of {participant!r}" + (
            f"; excluded from the analysis: {excluded}" if excluded else "")


def _fsync_dir(folder):
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Handler(SimpleHTTPRequestHandler):
    study: Study  # set on the subclass that ``make_server`` builds
    # Seconds a connection may stall (in its headers or body) before it is closed: a client that
    # announces 1000 bytes and sends 10 must not hold a thread and a file descriptor for ever.
    timeout = STALL_SECONDS

    def log_message(self, fmt, *args):  # one quiet line per request, no host lookups
        pass

    def translate_path(self, path):
        """The file a URL names inside the study folder; anything that would leave it (``..``,
        ``%2e%2e``, an encoded slash or backslash, a link out) becomes a name that never exists."""
        refused = str(self.study.site / REFUSED)
        try:
            raw = unquote(urlsplit(path).path, errors="strict")
        except UnicodeDecodeError:
            return refused
        parts = [p for p in raw.split("/") if p not in ("", ".")]
        if "\x00" in raw or "\\" in raw or ".." in parts:
            return refused
        resolved = (self.study.site / posixpath.join(*parts)).resolve() if parts else self.study.site
        if resolved != self.study.site and self.study.site not in resolved.parents:
            return refused
        return str(resolved)

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/method":
            participant = normalise_participant(parse_qs(url.query).get("participant", [""])[0])
            if not participant:
                return self._reply(HTTPStatus.BAD_REQUEST, "a participant id is needed")
            return self._reply(HTTPStatus.OK, json.dumps({"method": self.study.method_for(participant)}),
                               "application/json")
        return super().do_GET()

    def list_directory(self, path):  # the page names its files; no folder is listed
        self.send_error(HTTPStatus.NOT_FOUND)
        return None

    def do_POST(self):
        if urlsplit(self.path).path != "/responses":
            return self._reply(HTTPStatus.NOT_FOUND, "POST answers to /responses")
        kind = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind != "text/csv":
            return self._reply(HTTPStatus.BAD_REQUEST, "not a results file: expected Content-Type text/csv")
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            return self._reply(HTTPStatus.LENGTH_REQUIRED, "a Content-Length is needed")
        if length > MAX_RESPONSE_BYTES:
            self._reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                        f"{length} bytes: far larger than a results file (limit {MAX_RESPONSE_BYTES})")
            self.close_connection = True
            left = length if length <= DRAIN_LIMIT else 0  # read and drop it, else the client's send fails
            while left > 0:                                   # before it sees the 413
                chunk = self.rfile.read(min(1 << 16, left))
                if not chunk:
                    break
                left -= len(chunk)
            return None
        if length < 0:
            return self._reply(HTTPStatus.BAD_REQUEST, "a negative Content-Length")
        body = bytearray()
        try:
            while len(body) < length:  # in pieces, so that a stall still tells how much came
                chunk = self.rfile.read1(min(1 << 16, length - len(body)))
                if not chunk:
                    break
                body += chunk
        except TimeoutError:
            pass
        body = bytes(body)
        if len(body) < length:  # stalled or gone mid-body: nothing is stored
            self.close_connection = True
            try:
                return self._reply(HTTPStatus.BAD_REQUEST, f"the body stopped after {len(body)} of {length} bytes")
            except OSError:
                return None
        status, message = self.study.store(body)
        self._reply(status, message)

    def _reply(self, status, text, kind="text/plain; charset=utf-8"):
        if self.command == "POST":  # one line per answer stored, refused or excluded: the id, never the answers
            print(f"study serve: {int(status)} {status.phrase.lower()}: {text}", flush=True)
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)


class StudyServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the listen backlog: a room of participants posting at once


def make_server(site=DEFAULT_SITE, responses=DEFAULT_RESPONSES, host=DEFAULT_HOST, port=DEFAULT_PORT):
    study = Study(site, responses)
    handler = type("StudyHandler", (Handler,), {"study": study})
    return StudyServer((host, port), lambda *a, **k: handler(*a, directory=str(study.site), **k))


def add_arguments(parser):
    sub = parser.add_subparsers(dest="study_command", required=True)
    s = sub.add_parser("serve", help="serve the study page and store the answers",
                       description=__doc__.split("\n\n")[0])
    s.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    s.add_argument("--host", default=DEFAULT_HOST,
                   help=f"default {DEFAULT_HOST} (this machine only); 0.0.0.0 serves every network this machine is "
                        "on: anyone who reaches it can read the study images and post answers")
    s.add_argument("--responses", default=DEFAULT_RESPONSES, help=f"where answers are stored; default "
                                                                  f"{DEFAULT_RESPONSES}")
    s.add_argument("--site", default=DEFAULT_SITE, help=f"the study page (dvc repro study); default {DEFAULT_SITE}")


def study_command(args) -> int:
    if not (Path(args.site) / "trials.js").is_file():
        raise SystemExit(f"study serve: no study page in {args.site}; run `dvc repro study` first")
    try:
        Path(args.responses).mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise SystemExit(f"study serve: cannot create the responses folder {args.responses}: {e.strerror}") from None
    try:
        server = make_server(args.site, args.responses, args.host, args.port)
    except OSError as e:
        raise SystemExit(f"study serve: cannot listen on {args.host}:{args.port}: {e.strerror}") from None
    host, port = server.server_address[:2]
    print(f"Serving the study on http://{host}:{port}/ ; answers go to {args.responses} (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0
