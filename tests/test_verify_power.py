"""The power of `make verify`'s stage walk, proven on a micro run: a reference is written from a
clean run; then plausible bugs are planted one at a time (the colour conversion, the data path,
the prior, the soft-encoding, the loss and its rebalancing, the optimizer, the annealed-mean
decoding, the variants, the classifier, the metrics), `dvc repro` re-runs what each touches,
and verify must fail naming the stage where the bug first shows. Honest reruns (another
instruction set, another thread count) must pass."""

import re
import shutil
import subprocess
import sys

import pytest

from test_pipeline import DVC, SKIP, _run, micro_repo

pytestmark = pytest.mark.slow
VERIFY = [sys.executable, "-m", "colorization", "verify"]

# (what, file, text, replacement, the stage verify must name first)
BUGS = [
    ("D65 white point's Z", "colorization/lab.py", "(0.95047, 1.0, 1.08883)", "(0.95047, 1.0, 1.0)",
     "colour conversion"),
    ("sRGB gamma 2.2", "colorization/lab.py", "((rgb + 0.055) / 1.055) ** 2.4", "((rgb + 0.055) / 1.055) ** 2.2",
     "colour conversion"),
    ("prior smoothed in grid cells, not ab units", "colorization/prior.py", "sigma=sigma / GRID", "sigma=sigma",
     "prior"),
    ("ab target max-pooled", "colorization/model.py", "return F.avg_pool2d(ab, OUTPUT_STRIDE)",
     "return F.max_pool2d(ab, OUTPUT_STRIDE)", "prior"),
    ("loader flips upside down", "colorization/data.py", "patch = patch[:, ::-1]", "patch = patch[::-1]", "train"),
    ("soft-encoding sigma not squared", "colorization/bins.py", "(2.0 * sigma**2)", "(2.0 * sigma)", "train"),
    ("rebalancing weight of the farthest bin", "colorization/loss.py", "class_weights[idx[:, 0]]",
     "class_weights[idx[:, -1]]", "train"),
    ("Adam betas swapped", "colorization/training.py", "betas=tuple(cfg[\"betas\"])",
     "betas=tuple(cfg[\"betas\"])[::-1]", "train"),
    ("classifier input not divided by std", "colorization/classifier.py", "return self.net((x - self.mean) / self.std)",
     "return self.net(x - self.mean)", "classifier"),
    ("annealed mean multiplies by T", "colorization/decode.py", "log_p / T", "log_p * T", "colorize"),
    ("temperature ignored in decoding", "colorization/inference.py", "annealed_mean(out, T=T)",
     "annealed_mean(out, T=1.0)", "colorize"),
    ("random variant's donors from another seed", "stages/colorize.py", "np.random.default_rng(c[\"seed\"])",
     "np.random.default_rng(c[\"seed\"] + 1)", "colorize"),
    ("grey variant keeps a", "colorization/inference.py", "lab[:, 1:] = 0\n", "lab[:, 2:] = 0\n", "colorize"),
    ("AuC thresholds up to 100", "colorization/metrics.py", "AUC_MAX_THRESHOLD = 150", "AUC_MAX_THRESHOLD = 100",
     "evaluate"),
]


def _copy(src, dst):
    shutil.copytree(src, dst, symlinks=True)
    return dst


@pytest.fixture(scope="module")
def clean(tmp_path_factory, wordnet):
    """A micro project after `dvc repro`, committed, and its reference written beside it."""
    tmp = tmp_path_factory.mktemp("power")
    repo = micro_repo(tmp)
    for cmd in (DVC + ["repro"], VERIFY + ["--write-reference", str(tmp / "ref")]):
        _run(cmd, repo)
    return repo, tmp / "ref"


def _verify(repo, ref, **env):
    proc = subprocess.run(VERIFY + ["--reference-dir", str(ref)], cwd=repo, capture_output=True, text=True,
                          timeout=600, env=_env_for(**env))
    first = re.search(r"DIVERGES: first at stage '([^']+)'", proc.stdout)
    return proc.returncode, first.group(1) if first else None, proc.stdout + proc.stderr


def _env_for(**extra):
    """test_pipeline's environment (one thread), with ``extra`` taking precedence."""
    from test_pipeline import _env

    return {**_env(), **extra}


def test_the_clean_run_reproduces_its_own_reference(clean):
    repo, ref = clean
    code, first, out = _verify(repo, ref)
    assert code == 0 and first is None and "this run reproduces the reference" in out, out[-3000:]
    assert "DIVERGES" not in out


@pytest.mark.parametrize("what,path,old,new,stage", BUGS, ids=[b[0] for b in BUGS])
def test_a_planted_bug_is_named_at_its_stage(clean, tmp_path, what, path, old, new, stage):
    repo = _copy(clean[0], tmp_path / "repo")
    source = (repo / path).read_text()
    assert source.count(old) == 1, f"the bug's text is not once in {path}"
    (repo / path).write_text(source.replace(old, new))
    _run(DVC + ["repro"], repo)
    code, first, out = _verify(repo, clean[1])
    assert code == 1 and first == stage, f"{what}: verify named {first!r}, not {stage!r}\n{out[-4000:]}"


@pytest.mark.parametrize("env", [{"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2",
                                  "MKL_ENABLE_INSTRUCTIONS": "AVX2"}, {"OMP_NUM_THREADS": "2"}],
                         ids=["avx2", "two-threads"])
def test_an_honest_rerun_passes(clean, tmp_path, env):
    """Every stage again from scratch, on another instruction set or thread count: other
    rounding, the same method, so verify must pass."""
    repo = _copy(clean[0], tmp_path / "repo")
    proc = subprocess.run(DVC + ["repro", "-f"], cwd=repo, env=_env_for(**env), capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    code, first, out = _verify(repo, clean[1], **env)
    assert code == 0, out[-4000:]
    threads = env.get("OMP_NUM_THREADS", "1")
    assert re.search(rf"^threads\s+1\s+{threads}\s", out, re.M), "the rerun did not use the thread count it names"


def test_the_environment_check_needs_no_run_and_catches_a_conversion_bug(clean, tmp_path):
    repo = tmp_path / "bare"
    shutil.copytree(clean[0], repo, ignore=lambda d, names: [n for n in names if n in SKIP])
    proc = subprocess.run(VERIFY + ["--reference-dir", str(clean[1]), "--environment"], cwd=repo,
                          capture_output=True, text=True, timeout=300, env=_env_for())
    assert proc.returncode == 0 and "this environment can reproduce the reference" in proc.stdout, proc.stdout
    lab = repo / "colorization" / "lab.py"
    lab.write_text(lab.read_text().replace("(0.95047, 1.0, 1.08883)", "(0.95047, 1.0, 1.0)"))
    proc = subprocess.run(VERIFY + ["--reference-dir", str(clean[1]), "--environment"], cwd=repo,
                          capture_output=True, text=True, timeout=300, env=_env_for())
    assert proc.returncode == 1 and "first at stage 'colour conversion'" in proc.stdout, proc.stdout


def test_a_corrupt_artefact_is_named_before_anything_is_compared(clean, tmp_path):
    repo = _copy(clean[0], tmp_path / "repo")
    model = repo / "models" / "colorizer.pt"
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0x01
    model.chmod(0o644)
    model.write_bytes(bytes(data))
    code, first, out = _verify(repo, clean[1])
    assert code == 1 and "models/colorizer.pt is not the bytes dvc.lock records" in out and "dvc checkout" in out
    assert "reproduces" not in out


def test_a_stage_refuses_an_input_that_rotted_after_the_stage_that_made_it(clean, tmp_path):
    """Bit rot with the mtime put back: DVC calls the pipeline up to date, and a stage that runs
    anyway (forced, or for another reason) must not use the rotten bytes."""
    import os

    repo = _copy(clean[0], tmp_path / "repo")
    prior = repo / "data" / "prior.csv"
    st = prior.stat()
    text = prior.read_text()
    prior.write_text(text.replace("0.", "1.", 1))
    os.utime(prior, ns=(st.st_atime_ns, st.st_mtime_ns))
    proc = subprocess.run(DVC + ["repro", "-f", "-s", "train"], cwd=repo, env=_env_for(), capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode != 0
    assert "train: data/prior.csv is not the bytes dvc.lock records for it" in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
