"""`make verify` on the committed reference run itself: it passes, an honest run on another
instruction set passes, and a metric off by a wide margin is named."""

import copy
import json

import pytest

from colorization.verify import HEADLINE, table, verify
from conftest import ROOT

REF = ROOT / "reports"


@pytest.fixture(scope="module")
def reference():
    seeds = REF / "reference" / "seeds.json"
    if not seeds.is_file():
        pytest.skip("no committed seed study in reports/reference/")
    return (json.loads((REF / "metrics.json").read_text()), json.loads((REF / "metrics_ci.json").read_text()),
            json.loads(seeds.read_text()))


def test_the_reference_run_is_within_its_own_bands(reference):
    ref, ci, seeds = reference
    rows = verify(ref, ref, ci, seeds)
    assert len(rows) == sum(len(m) for m in HEADLINE.values()) and all(r[-1] for r in rows)
    assert "within" in table(rows) and "OUTSIDE" not in table(rows)


@pytest.mark.parametrize("metric,shift", [("top1", -0.2), ("top1", 0.2), ("auc_rebal", -0.05), ("top5", -0.2)])
def test_a_metric_of_ours_off_by_a_wide_margin_is_named(reference, metric, shift):
    ref, ci, seeds = reference
    run = copy.deepcopy(ref)
    run["ours"][metric] += shift
    outside = [r[0] for r in verify(run, ref, ci, seeds) if not r[-1]]
    assert outside == [f"ours.{metric}"]


def test_an_honest_run_on_another_instruction_set_is_within(reference):
    """tests/data/metrics_avx2.json: the default run's metrics from a fresh clone with PyTorch
    limited to AVX2 (ATEN_CPU_CAPABILITY=avx2, ONEDNN_MAX_CPU_ISA=AVX2, MKL_ENABLE_INSTRUCTIONS=AVX2)
    on the reference machine: other weights, other numbers, the same method."""
    ref, ci, seeds = reference
    other = json.loads((ROOT / "tests" / "data" / "metrics_avx2.json").read_text())
    assert other["ours"]["top1"] != ref["ours"]["top1"]  # really another run
    rows = verify(other, ref, ci, seeds)
    assert all(r[-1] for r in rows), table(rows)
