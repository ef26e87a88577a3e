"""Seconds of each part of a fresh clone's `make repro`: set-up (venv and WordNet), the params
check, every stage's own work (its "done in" line) and what DVC and Python start-up add around
it, and the whole. Clones this repository's HEAD into a temporary folder and runs there, so
the result is what a new user gets (the uv cache and WordNet already on the machine count as
on the machine).

    python bench/stage_times.py                 # fresh clone of HEAD
    python bench/stage_times.py --keep /tmp/run # the same, keeping the clone and its outputs
    python bench/stage_times.py --log repro.log # parse a saved `make repro` log (timestamped lines)
"""

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGE = re.compile(r"^\[stage (\d+)/(\d+)\] (\w+)")
DONE = re.compile(r"^(\w+): done in ([\d.]+) s")


def timed_lines(cmd, cwd):
    """(seconds since start, line) for each line the command prints (stdout and stderr)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    out = []
    for raw in proc.stdout:
        for line in raw.replace("\r", "\n").splitlines():
            out.append((time.perf_counter() - t0, line))
    if proc.wait() != 0:
        sys.exit("stage_times: `make repro` failed:\n" + "\n".join(line for _, line in out[-20:]))
    return out, time.perf_counter() - t0


def table(lines, total) -> str:
    """Per part: from its first line to the next part's first line (wall), and the stage's own work."""
    marks, own = [(0.0, "set-up (venv, WordNet)")], {}
    for t, line in lines:
        if "-m stages.params check" in line and len(marks) == 1:
            marks.append((t, "params check"))
        elif "colorization fsck --lock-only" in line:
            marks.append((t, "lock check"))
        elif line.startswith(".venv/bin/dvc repro") or line.strip() == "dvc repro":
            marks.append((t, "dvc start-up"))
        elif m := STAGE.match(line):
            marks.append((t, m.group(3)))
        elif m := DONE.match(line):
            own[m.group(1)] = float(m.group(2))
        elif "colorization fsck --keep-lock" in line:
            marks.append((t, "lock, results screen"))
    rows = [f"{'part':<26} {'wall (s)':>9} {'own work (s)':>13}"]
    for (t, name), (t_next, _) in zip(marks, marks[1:] + [(total, None)]):
        rows.append(f"{name:<26} {t_next - t:9.1f} {own[name]:13.1f}" if name in own else
                    f"{name:<26} {t_next - t:9.1f} {'':>13}")
    rows.append(f"{'total':<26} {total:9.1f}")
    return "\n".join(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--log", help="a saved log whose lines start with seconds since the start")
    ap.add_argument("--keep", metavar="DIR", help="clone into DIR (new) and keep it, with the run's outputs")
    args = ap.parse_args()
    if args.log:
        pairs = [line.split(" ", 1) for line in Path(args.log).read_text().splitlines() if " " in line]
        lines = [(float(t), rest) for t, rest in pairs]
        print(table(lines, lines[-1][0]))
        return
    with tempfile.TemporaryDirectory(prefix="stage_times_") as tmp:
        clone = Path(args.keep) if args.keep else Path(tmp) / "repo"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        lines, total = timed_lines(["make", "repro"], clone)
    print(f"fresh clone of {ROOT.name} HEAD, `make repro`:")
    print(table(lines, total))
    if args.keep:
        print(f"the clone and its outputs are kept in {clone}")


if __name__ == "__main__":
    main()
