"""Install requirements.txt and the project into a venv: with uv where it can be had, else pip.

uv installs the same pinned files several times faster, but it does not read pip's
configuration. On machines whose pip points at local wheel folders or indexes (find-links,
extra index URLs, constraints), uv must look in the same places, or it would download other
builds of torch. So pip's configuration is read (``pip config list``, which merges the
global, user and site files and the PIP_* variables) and passed to uv as flags, and uv picks
the best version over all sources, as pip does. Where uv cannot be installed or fails, pip
does the whole job. Neither byte-compiles: Python compiles the few modules the pipeline
imports on first use.

Usage: python tools/install_env.py VENV_PYTHON  (run from the repository root)
"""

import os
import shlex
import subprocess
import sys

PIP_QUIET = ["-q", "--no-compile", "--disable-pip-version-check"]
# pip option -> uv flag; list options may hold several values separated by white space.
TRANSLATED = {"index-url": "--index-url", "extra-index-url": "--extra-index-url", "find-links": "--find-links",
              "constraint": "--constraint"}
SECTION_RANK = {":env:": 3, "install": 2, "global": 1}  # pip: variables over [install] over [global]


def pip_sources(python: str) -> list:
    """uv flags for the package sources pip is configured with on this machine."""
    out = subprocess.run([python, "-m", "pip", "config", "list"], capture_output=True, text=True).stdout
    chosen = {}  # option -> (rank, values)
    for line in out.splitlines():
        key, _, value = line.partition("=")
        section, _, option = key.rpartition(".")
        rank = SECTION_RANK.get(section, 0)
        value = value.strip().strip("'\"")
        if option == "no-index" and value.lower() in ("1", "true", "yes", "on"):
            chosen[option] = (rank, [])
        elif option in TRANSLATED and rank and rank >= chosen.get(option, (0, None))[0]:
            chosen[option] = (rank, shlex.split(value))
    flags = []
    for option, (_, values) in sorted(chosen.items()):
        if option == "no-index":
            flags.append("--no-index")
            continue
        for v in values:
            flags += [TRANSLATED[option], v]
    return flags + ["--index-strategy", "unsafe-best-match"]


def run(cmd) -> bool:
    return subprocess.run(cmd).returncode == 0


def main(python: str) -> int:
    uv = os.path.join(os.path.dirname(python), "uv")
    have_uv = os.path.exists(uv) or subprocess.run([python, "-m", "pip", "install", *PIP_QUIET, "uv"],
                                                   capture_output=True).returncode == 0
    if have_uv:
        env_flags = ["--python", python, "--quiet", *pip_sources(python)]
        if run([uv, "pip", "install", *env_flags, "-r", "requirements.txt"]) and \
                run([uv, "pip", "install", *env_flags, "--no-deps", "-e", "."]):
            return 0
        print("install_env: uv failed; installing with pip instead", file=sys.stderr)
    else:
        print("install_env: uv could not be installed; installing with pip", file=sys.stderr)
    ok = run([python, "-m", "pip", "install", *PIP_QUIET, "-r", "requirements.txt"]) and \
        run([python, "-m", "pip", "install", *PIP_QUIET, "--no-deps", "--no-build-isolation", "-e", "."])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
