"""The perceptual study: response checking, the two-way bootstrap, vigilance exclusion and
partial sessions, and whole studies driven through headless Chromium, from disk and served
to two participants at once, whose answers the analysis must count exactly."""

import json
import shutil
import threading

import numpy as np
import pandas as pd
import pytest
import yaml

from colorization.study import (ResponseError, analyse, collect_responses, normalise_participant, read_responses,
                                read_trials_js, summarise, two_way_bootstrap, wilson_interval)
from conftest import run_stage
from study_fixtures import HEADER, results_csv

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
OLD_HEADER = "participant,trial,image,real_side,answer,response_ms\n"
KNOWN = {"0", "1", "2", "3", "practice-800", "vigilance-900"}


def test_wilson_interval_reference_values():
    # Reference values of the Wilson score interval (z = 1.96), e.g. Newcombe (1998), Table I.
    lo, hi = wilson_interval(0, 10)
    assert lo == 0 and hi == pytest.approx(0.2775, abs=1e-4)
    lo, hi = wilson_interval(5, 10)
    assert (lo, hi) == pytest.approx((0.2366, 0.7634), abs=1e-4)


def test_read_responses_rejects_malformed_files():
    ok = read_responses(OLD_HEADER + "a,1,1,left,right,500\na,2,2,right,right,300\n", KNOWN)
    assert ok.fooled.tolist() == [1, 0]
    assert ok.kind.tolist() == ["scored"] * 2 and ok.method.tolist() == ["ours"] * 2  # the first page's files
    for text, why in [
        ("participant,trial\na,1\n", "missing columns"),
        (OLD_HEADER, "no trials"),
        (OLD_HEADER + "a,1,1,left,up,5\n", "sides must be"),
        (OLD_HEADER + "a,1,9,left,left,5\n", "not in this study"),
        (OLD_HEADER + "a,1,1,left,left,5\na,2,1,left,left,5\n", "answered twice"),
        (OLD_HEADER + "a,1,1,left,left,5\nb,2,2,left,left,5\n", "more than one participant"),
        (OLD_HEADER + "a,1,1,left,left,-3\n", "non-negative"),
        (OLD_HEADER + "a,1,1,left,left,inf\n", "finite"),
        (OLD_HEADER + "a,1,1,left,left,1e400\n", "finite"),
        (OLD_HEADER + "a,1,1,left,left,nan\n", "finite"),
        (HEADER + "a,1,1,left,left,5,warmup,ours\n", "kind must be"),
        (HEADER + "a,1,1,left,left,5,scored,ours\na,2,2,left,left,5,scored,random\n", "more than one method"),
    ]:
        with pytest.raises(ResponseError, match=why):
            read_responses(text, KNOWN)


def test_participant_ids_are_one_person_whatever_their_spaces_or_unicode_form():
    assert normalise_participant("p1 ") == normalise_participant(" p1") == "p1"
    assert normalise_participant("Jose\u0301") == normalise_participant("Jos\u00e9")  # NFD and NFC
    assert normalise_participant("P1") != normalise_participant("p1")  # case kept
    assert normalise_participant("李") != normalise_participant("王")


def test_twins_partial_sessions_and_vigilance(tmp_path):
    folder = tmp_path / "responses"
    folder.mkdir()
    (folder / "a.csv").write_text(results_csv("p1", fooled={0}))
    (folder / "b.csv").write_text(results_csv("p1 ", fooled={1}))  # the same person, trailing space
    (folder / "c.csv").write_text(results_csv("Jos\u00e9", fooled={2}))
    (folder / "d.csv").write_text(results_csv("Jose\u0301", fooled={3}))  # NFD twin of c
    (folder / "e.csv").write_text(results_csv("short", n_scored=2))
    (folder / "f.csv").write_text(results_csv("sleepy", vigilance_missed=True))
    (folder / "g.csv").write_text(results_csv("inf").replace(",500,", ",1e400,", 1))
    trials, skipped, partial = collect_responses(folder, KNOWN, {"ours": 4})
    reasons = {s["file"]: s["reason"] for s in skipped}
    assert "already counted" in reasons["b.csv"] and "already counted" in reasons["d.csv"]
    assert "finite" in reasons["g.csv"]
    assert partial == [{"file": "e.csv", "participant": "short", "scored": 2, "expected": 4}]
    result = analyse(trials, ["ours"], max_vigilance_misses=0)
    assert [e["participant"] for e in result["excluded"]] == ["sleepy"]
    ours = result["methods"]["ours"]
    assert ours["n_participants"] == 3 and ours["n_trials"] == 4 + 4 + 2  # practice and vigilance never count
    assert ours["fool_rate"] == pytest.approx(2 / 10)


def test_two_way_bootstrap_equals_resampling_people_and_images_by_hand():
    rng = np.random.default_rng(0)
    trials = pd.DataFrame([(f"p{p}", f"i{i}", int(rng.random() < 0.3)) for p in range(6) for i in range(5)
                           if rng.random() < 0.8], columns=["participant", "image", "fooled"])
    lo, hi = two_way_bootstrap(trials, n_boot=200, seed=3)
    # the same draws, done the long way: the trials of each drawn participant on each drawn image
    people, images = np.unique(trials.participant), np.unique(trials.image)
    draws = np.random.default_rng(3)
    rates = []
    for _ in range(200):
        ps = people[draws.integers(0, len(people), len(people))]
        ims = images[draws.integers(0, len(images), len(images))]
        picked = [t.fooled for p in ps for i in ims for t in trials.itertuples() if t.participant == p and t.image == i]
        if picked:
            rates.append(np.mean(picked))
    assert (lo, hi) == pytest.approx((np.quantile(rates, 0.025), np.quantile(rates, 0.975)))


def test_the_two_way_interval_is_wider_than_wilson_when_people_differ():
    """30 participants x 40 images, fool rate 30 % on average but some people fooled far more
    often than others: trials are not independent, and the naive interval is too narrow."""
    rng = np.random.default_rng(0)
    person = rng.normal(0, 1.2, 30)
    image = rng.normal(0, 0.8, 40)
    p = 1 / (1 + np.exp(-(-1.0 + person[:, None] + image[None, :])))
    fooled = (rng.random((30, 40)) < p).astype(int)
    trials = pd.DataFrame([(f"p{a}", f"i{b}", fooled[a, b]) for a in range(30) for b in range(40)],
                          columns=["participant", "image", "fooled"])
    s = summarise(trials)
    boot, naive = s["ci95"][1] - s["ci95"][0], s["ci95_wilson"][1] - s["ci95_wilson"][0]
    assert s["ci95"][0] < s["fool_rate"] < s["ci95"][1]
    assert boot > 1.5 * naive


def test_a_study_whose_only_participant_is_excluded_says_received_and_excluded(tmp_path):
    from colorization.report import labelled_real

    folder = tmp_path / "responses"
    folder.mkdir()
    (folder / "f.csv").write_text(results_csv("sleepy", vigilance_missed=True))
    trials, _, _ = collect_responses(folder, KNOWN, {"ours": 4})
    result = analyse(trials, ["ours"], max_vigilance_misses=0)
    ours = result["methods"]["ours"]
    assert ours["fool_rate"] is None and (ours["n_received"], ours["n_excluded"]) == (1, 1)
    assert ours["summary"] == "1 response received, 1 excluded (missed 1 of 1 vigilance trials (at most 0 allowed))"
    assert labelled_real(result, "ours") == ours["summary"]


def test_summary_with_no_responses_is_explicit():
    s = summarise(pd.DataFrame(columns=["participant", "image", "fooled"]))
    assert s["n_participants"] == 0 and s["fool_rate"] is None and s["summary"] == "no responses yet"


@pytest.fixture(scope="module")
def built_study(micro_data, tmp_path_factory):
    """The micro project with the study page made once (train, colorize, study)."""
    project = tmp_path_factory.mktemp("study") / "p"
    shutil.copytree(micro_data, project)
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["study"].update(n_images=4, display_ms=300, practice=1, vigilance=0.25, methods=["ours", "random"])
    (project / "params.yaml").write_text(yaml.safe_dump(params))
    for stage in ("train", "colorize", "study"):
        run_stage(stage, project)
    return project


@pytest.fixture
def study_site(built_study, tmp_path):
    """A private copy of the built study, for tests that add responses."""
    shutil.copytree(built_study, tmp_path / "p")
    return tmp_path / "p"


def test_study_stage_writes_every_kind_of_trial_on_distinct_photos(study_site):
    trials = read_trials_js(study_site / "reports" / "study" / "trials.js")
    assert trials["methods"] == ["ours", "random"]
    groups = trials["trials"]
    assert {len(groups[k]) for k in ("scored:ours", "scored:random")} == {4}
    assert len(groups["practice:ours"]) == 1 and len(groups["vigilance"]) == 1
    rows = {k: {t["id"].split("-")[-1] for t in groups[k]} for k in ("scored:ours", "practice:ours", "vigilance")}
    assert not (rows["scored:ours"] & rows["practice:ours"]) and not (rows["scored:ours"] & rows["vigilance"])
    for group in groups.values():
        for t in group:
            assert (study_site / "reports" / "study" / t["real"]).is_file()
            assert (study_site / "reports" / "study" / t["fake"]).is_file()


def test_study_analysis_without_responses(study_site):
    (study_site / "data" / "study" / "responses").mkdir(parents=True)
    run_stage("study_analysis", study_site)
    result = json.loads((study_site / "reports" / "study" / "results.json").read_text())
    assert result["n_responses"] == 0 and result["summary"] == "no responses yet"
    assert (study_site / "reports" / "figures" / "fig3_study.png").stat().st_size > 1000


def _play(page, real_of, wrong_after=2):
    """A participant: id, practice (with its feedback), the interlude, then every trial;
    right on the first ``wrong_after`` scored ones, fooled after, never on vigilance. A
    generator: it yields after each step, so that two can play side by side."""
    page.keyboard.press("Enter")
    scored = 0
    while True:
        # the other participant's step may take longer than a pair is shown: it may be answering already
        page.wait_for_function("['showing', 'answering', 'interlude', 'done'].includes(document.body.dataset.phase)")
        phase = page.evaluate("document.body.dataset.phase")
        if phase == "done":
            return
        if phase == "interlude":
            page.keyboard.press("Enter")
            yield
            continue
        kind = page.evaluate("document.body.dataset.kind")
        left = page.get_attribute("#img-left", "src")
        real = "left" if left in real_of else "right"
        page.wait_for_function("document.body.dataset.phase === 'answering'")
        wrong = kind == "scored" and scored >= wrong_after
        scored += kind == "scored"
        side = {"left": "right", "right": "left"}[real] if wrong else real
        page.keyboard.press("ArrowLeft" if side == "left" else "ArrowRight")
        if kind == "practice":
            page.wait_for_function("document.body.dataset.phase === 'feedback'")
            assert page.text_content("#feedback").startswith("Right")
        yield


def _browser(sync_api, pw):
    return pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--allow-file-access-from-files",
                                                               "--disable-background-networking"])


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM, reason="no Chromium installed (apt-get install chromium)")
def test_whole_study_from_disk_in_headless_chromium(study_site):
    sync_api = pytest.importorskip("playwright.sync_api")
    site = study_site / "reports" / "study"
    trials = read_trials_js(site / "trials.js")
    real_of = {t["real"] for g in trials["trials"].values() for t in g}
    responses = study_site / "data" / "study" / "responses"
    responses.mkdir(parents=True)
    with sync_api.sync_playwright() as pw:
        browser = _browser(sync_api, pw)
        page = browser.new_page(viewport={"width": 1280, "height": 720}, accept_downloads=True)
        page.goto((site / "index.html").as_uri())
        page.fill("#pid", "李 tester ")  # any script, spaces inside kept, trimmed at the ends
        for _ in _play(page, real_of):
            pass
        assert page.evaluate("document.body.dataset.stored") == "offline"
        with page.expect_download() as dl:
            page.keyboard.press("Enter")  # the download link has the focus
        suggested = dl.value.suggested_filename
        dl.value.save_as(responses / "study_tester.csv")
        browser.close()
    assert suggested.startswith("study_李_tester_") and suggested.endswith(".csv")
    run_stage("study_analysis", study_site)
    result = json.loads((site / "results.json").read_text())
    method = pd.read_csv(responses / "study_tester.csv").method.iloc[0]
    assert result["methods"][method]["n_trials"] == 4 and result["methods"][method]["fool_rate"] == 0.5
    kinds = pd.read_csv(responses / "study_tester.csv").kind.tolist()
    assert kinds == ["practice"] + kinds[1:] and sorted(kinds[1:]) == ["scored"] * 4 + ["vigilance"]


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM, reason="no Chromium installed (apt-get install chromium)")
def test_two_participants_side_by_side_through_the_served_page(study_site, tmp_path):
    from colorization.study_server import make_server

    sync_api = pytest.importorskip("playwright.sync_api")
    site = study_site / "reports" / "study"
    trials = read_trials_js(site / "trials.js")
    real_of = {t["real"] for g in trials["trials"].values() for t in g}
    responses = tmp_path / "served"
    server = make_server(site, responses, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        with sync_api.sync_playwright() as pw:
            browser = _browser(sync_api, pw)
            pages = [browser.new_context().new_page() for _ in range(2)]
            for page, name in zip(pages, ("ana", "ben")):
                page.goto(url)
                page.fill("#pid", name)
            players = [_play(pages[0], real_of, 1), _play(pages[1], real_of, 3)]
            while players:  # one step each in turn: both sessions run at once
                for p in list(players):
                    if next(p, "end") == "end":
                        players.remove(p)
            for page in pages:
                page.wait_for_function("document.body.dataset.stored === 'yes'")
                assert page.is_hidden("#download")
            methods = sorted(page.evaluate("document.body.dataset.method") for page in pages)
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    assert methods == ["ours", "random"]  # balanced by the server
    shutil.copytree(responses, study_site / "data" / "study" / "responses")
    run_stage("study_analysis", study_site)
    result = json.loads((site / "results.json").read_text())
    assert result["n_responses"] == 2 and not result["skipped_files"] and not result["excluded"]
    fooled = sorted(r["fool_rate"] for r in result["methods"].values())
    assert fooled == [0.25, 0.75]  # ana fooled on 3 of her 4 scored trials, ben on 1 of his
    for f in (study_site / "data" / "study" / "responses").glob("*.csv"):
        kinds = pd.read_csv(f).kind.tolist()
        assert kinds[0] == "practice" and kinds.count("vigilance") == 1 and kinds.count("scored") == 4
