"""Stage-level checks on the micro project: prior against the library, colorize
variants, and evaluation with an ImageNet VGG-16 taken from the torch hub cache."""

import json

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from colorization.prior import empirical_prior, rebalance_weights, smooth_prior
from conftest import run_stage


def test_prior_stage_matches_library(micro_data):
    from stages.prior import count_bins

    table = pd.read_csv(micro_data / "data" / "prior.csv")
    params = yaml.safe_load((micro_data / "params.yaml").read_text())["prior"]
    counts = count_bins(np.load(micro_data / "data" / "resized" / "train.npy"))
    p = smooth_prior(empirical_prior(counts), params["sigma"])
    np.testing.assert_allclose(table.p, p, rtol=1e-9)
    np.testing.assert_allclose(table.weight, rebalance_weights(p, params["lam"]), rtol=1e-9)
    assert table["count"].sum() == counts.sum() > 0


def test_prior_file_option(micro_project):
    prior = pd.read_csv(micro_project / "data" / "prior.csv")
    flat = pd.DataFrame({"p": np.full(313, 1 / 313)})
    # rare bins get weights of 1/p: a prior file is checked, read and smoothed like the train split's
    flat.to_csv(micro_project / "given.csv", index=False)
    params = yaml.safe_load((micro_project / "params.yaml").read_text())
    params["prior"]["file"] = str(micro_project / "given.csv")
    (micro_project / "params.yaml").write_text(yaml.safe_dump(params))
    run_stage("prior", micro_project)
    given = pd.read_csv(micro_project / "data" / "prior.csv")
    assert not np.allclose(given.weight, prior.weight)
    expected = rebalance_weights(smooth_prior(np.full(313, 1 / 313), params["prior"]["sigma"]), params["prior"]["lam"])
    np.testing.assert_allclose(given.weight, expected, rtol=1e-9)
    assert given["count"].isna().all()  # no counts: the prior was given


def test_resize_stage_on_micro(micro_data):
    man = pd.read_csv(micro_data / "data" / "resized" / "manifest.csv")
    syn = pd.read_csv(micro_data / "data" / "synsets.csv")
    assert len(syn) == 4 and list(syn.columns) == ["wnid", "synset", "lemma", "score", "n_train", "n_val"]
    assert (man.split == "train").sum() == 32 and (man.split == "val").sum() == 12
    assert np.load(micro_data / "data" / "resized" / "train.npy").shape == (32, 32, 32, 3)


@pytest.mark.slow
def test_colorize_and_evaluate_with_imagenet_vgg16_from_hub_cache(micro_project, tmp_path):
    from torchvision.models import vgg16

    hub = tmp_path / "torch"
    (hub / "hub" / "checkpoints").mkdir(parents=True)
    torch.manual_seed(0)
    torch.save(vgg16().state_dict(), hub / "hub" / "checkpoints" / "vgg16-397923af.pth")
    params = yaml.safe_load((micro_project / "params.yaml").read_text())
    params["evaluate"]["classifier"] = "imagenet"
    (micro_project / "params.yaml").write_text(yaml.safe_dump(params))
    for stage in ("train", "colorize"):
        run_stage(stage, micro_project)
    # grey really has no colour; random keeps L and takes a training image's ab
    col = micro_project / "data" / "colorized"
    from colorization.lab import uint8_to_lab as to_lab

    gt, grey, rnd = (np.load(col / f"{v}.npy") for v in ("gt", "grey", "random"))
    assert to_lab(grey)[:, 1:].abs().max() < 1.5
    assert (to_lab(rnd)[:, 0] - to_lab(gt)[:, 0]).abs().median() < 1.0
    assert "zhang" in json.loads((col / "skipped.json").read_text())
    proc = run_stage("evaluate", micro_project, env={"TORCH_HOME": str(hub)})
    synsets = pd.read_csv(micro_project / "data" / "synsets.csv")
    from colorization.classifier import imagenet1k_wnids

    outside = (~synsets.wnid.isin(imagenet1k_wnids())).sum()
    if outside:
        assert "left out of top-k" in proc.stderr
    metrics = json.loads((micro_project / "reports" / "metrics.json").read_text())
    assert 0 <= metrics["ours"]["top5"] <= 1 and metrics["gt"]["auc"] == pytest.approx(1.0)


def test_classifier_saves_its_input_normalisation(micro_project):
    from colorization.classifier import load_trained_classifier

    run_stage("classifier", micro_project)
    state = torch.load(micro_project / "models" / "classifier.pt", weights_only=True)
    train = np.load(micro_project / "data" / "resized" / "train.npy").reshape(-1, 3) / 255.0
    np.testing.assert_allclose(state["input_mean"], train.mean(0), atol=1e-6)  # every image of the micro set
    net = load_trained_classifier(micro_project / "models" / "classifier.pt")
    assert torch.allclose(net.mean.flatten(), torch.tensor(state["input_mean"], dtype=torch.float32))
    first = (micro_project / "models" / "classifier.pt").read_bytes()
    run_stage("classifier", micro_project)  # a second run writes the same bytes: DVC finds nothing changed
    assert (micro_project / "models" / "classifier.pt").read_bytes() == first


def test_classifier_stage_trains_nothing_for_the_imagenet_vgg16(micro_project):
    params = yaml.safe_load((micro_project / "params.yaml").read_text())
    params["evaluate"]["classifier"] = "imagenet"
    params["classifier"]["iterations"] = 10**6  # would take hours if it trained
    (micro_project / "params.yaml").write_text(yaml.safe_dump(params))
    proc = run_stage("classifier", micro_project)
    assert "nothing to train" in proc.stderr
    assert torch.load(micro_project / "models" / "classifier.pt", weights_only=True) == {"kind": "imagenet"}
