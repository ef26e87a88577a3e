"""The perceptual study: response checking, statistics, and a whole study driven
through headless Chromium, whose answers the analysis must count exactly."""

import json
import shutil

import pandas as pd
import pytest
import yaml

from colorization.study import ResponseError, read_responses, read_trials_js, summarise, wilson_interval
from conftest import run_stage

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HEADER = "participant,trial,image,real_side,answer,response_ms\n"


def test_wilson_interval_reference_values():
    # Reference values of the Wilson score interval (z = 1.96), e.g. Newcombe (1998), Table I.
    lo, hi = wilson_interval(0, 10)
    assert lo == 0 and hi == pytest.approx(0.2775, abs=1e-4)
    lo, hi = wilson_interval(5, 10)
    assert (lo, hi) == pytest.approx((0.2366, 0.7634), abs=1e-4)


def test_read_responses_rejects_malformed_files():
    known = {"1", "2"}
    ok = read_responses(HEADER + "a,1,1,left,right,500\na,2,2,right,right,300\n", known)
    assert ok.fooled.tolist() == [1, 0]
    for text, why in [
        ("participant,trial\na,1\n", "missing columns"),
        (HEADER, "no trials"),
        (HEADER + "a,1,1,left,up,5\n", "sides must be"),
        (HEADER + "a,1,9,left,left,5\n", "not in this study"),
        (HEADER + "a,1,1,left,left,5\na,2,1,left,left,5\n", "answered twice"),
        (HEADER + "a,1,1,left,left,5\nb,2,2,left,left,5\n", "more than one participant"),
        (HEADER + "a,1,1,left,left,-3\n", "non-negative"),
    ]:
        with pytest.raises(ResponseError, match=why):
            read_responses(text, known)


def test_summary_with_no_responses_is_explicit():
    s = summarise(pd.DataFrame(columns=["participant", "image", "fooled"]))
    assert s["n_responses"] == 0 and s["fool_rate"] is None and s["summary"] == "no responses yet"


@pytest.fixture
def study_site(micro_project):
    params = yaml.safe_load((micro_project / "params.yaml").read_text())
    params["study"].update(n_images=4, display_ms=400)
    (micro_project / "params.yaml").write_text(yaml.safe_dump(params))
    for stage in ("train", "colorize", "study"):
        run_stage(stage, micro_project)
    return micro_project


def test_study_analysis_without_responses(study_site):
    (study_site / "data" / "study" / "responses").mkdir(parents=True)
    run_stage("study_analysis", study_site)
    result = json.loads((study_site / "reports" / "study" / "results.json").read_text())
    assert result["n_responses"] == 0 and result["summary"] == "no responses yet"
    assert (study_site / "reports" / "figures" / "fig3_study.png").stat().st_size > 1000


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM, reason="no Chromium installed (apt-get install chromium)")
def test_whole_study_in_headless_chromium(study_site, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    site = study_site / "reports" / "study"
    trials = read_trials_js(site / "trials.js")
    real_of = {t["real"]: t["id"] for t in trials["images"]}
    responses = study_site / "data" / "study" / "responses"
    responses.mkdir(parents=True)
    fooled_expected = 0
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--allow-file-access-from-files"])
        page = browser.new_page(viewport={"width": 1280, "height": 720}, accept_downloads=True)
        page.goto((site / "index.html").as_uri())
        page.fill("#pid", "李 tester")  # any script, spaces kept
        page.keyboard.press("Enter")
        for k in range(4):
            page.wait_for_function("document.body.dataset.phase === 'showing'")
            shown_at = page.evaluate("performance.now()")
            assert page.is_visible("#img-left") and page.is_visible("#img-right")
            box_before = page.locator("#slot-right").bounding_box()
            left_src = page.get_attribute("#img-left", "src")
            real_side = "left" if left_src in real_of else "right"
            page.wait_for_function("document.body.dataset.phase === 'answering'")
            assert page.evaluate("performance.now()") - shown_at >= 300  # shown for ~400 ms, then hidden
            assert not page.is_visible("#img-left") and not page.is_visible("#img-right")
            assert page.locator("#slot-right").bounding_box() == box_before  # no layout shift
            wrong = k >= 2  # answer right twice, then be fooled twice
            side = ({"left": "right", "right": "left"}[real_side]) if wrong else real_side
            fooled_expected += wrong
            if k == 3:
                page.click(f"#slot-{side}")
            else:
                page.keyboard.press("ArrowLeft" if side == "left" else "ArrowRight")
        page.wait_for_function("document.body.dataset.phase === 'done'")
        with page.expect_download() as dl:
            page.keyboard.press("Enter")  # the download link has the focus
        suggested = dl.value.suggested_filename
        dl.value.save_as(responses / "study_tester.csv")
        browser.close()
    csv = (responses / "study_tester.csv").read_text()
    shutil.copyfile(responses / "study_tester.csv", responses / "study_tester_again.csv")
    (responses / "garbage.csv").write_text("hello\nworld\n")
    run_stage("study_analysis", study_site)
    result = json.loads((site / "results.json").read_text())
    assert result["n_trials"] == 4 and result["fool_rate"] == fooled_expected / 4 == 0.5
    assert result["per_participant"] == {"李 tester": {"fooled": 2, "trials": 4}}
    assert suggested.startswith("study_李_tester_") and suggested.endswith(".csv")
    assert {s["file"] for s in result["skipped_files"]} == {"study_tester_again.csv", "garbage.csv"}
    assert len(csv.strip().splitlines()) == 5
