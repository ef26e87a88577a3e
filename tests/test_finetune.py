"""The fair random baseline and fine-tuning with few labels: the rescaled random body has unit
variance where the default one collapses, label subsets are class-balanced, nested and seeded,
fine-tuning learns and repeats itself, and the findings follow the paired intervals."""

import numpy as np
import pytest
import torch
from torch import nn

from colorization.finetune import fine_tune, label_subset, random_bodies, rescale_to_data, top1_hits
from colorization.model import L_CENTRE, L_SCALE, ColorizationNet
from colorization.probe import block_outputs, blocks
from colorization.probe_report import finetune_findings


def _lightness(n=24, side=32, seed=0):
    g = np.random.default_rng(seed)
    return torch.from_numpy(g.uniform(0, 100, (n, 1, side, side)).astype(np.float32))


def test_every_convolution_of_the_rescaled_body_has_zero_mean_unit_variance_on_its_batch():
    torch.manual_seed(0)
    net, L = ColorizationNet(0.125), _lightness()
    rescale_to_data(net, L)
    outputs = []
    # clone: the ReLU after each convolution works in place
    hooks = [m.register_forward_hook(lambda mod, i, o: outputs.append(o.clone())) for b in blocks(net) for m in b
             if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        x = (L - L_CENTRE) / L_SCALE
        for b in blocks(net):
            x = b(x)
    for h in hooks:
        h.remove()
    assert len(outputs) == sum(isinstance(m, nn.Conv2d) for b in blocks(net) for m in b)
    for o in outputs:  # an independent measurement of what the rescaling promised
        assert o.mean((0, 2, 3)).abs().max() < 1e-3 and (o.std((0, 2, 3)) - 1).abs().max() < 1e-3


def test_the_default_random_body_collapses_where_the_rescaled_one_does_not():
    train = np.random.default_rng(1).integers(0, 256, (40, 32, 32, 3), dtype=np.uint8)
    nets = random_bodies(0.125, 0, train, 32)
    L = _lightness(8, seed=2)
    with torch.no_grad():
        default = block_outputs(nets["random_default"], L)[-1].std().item()
        rescaled = block_outputs(nets["random"], L)[-1].std().item()
    assert rescaled > 0.2 and default < rescaled / 10, (default, rescaled)
    again = random_bodies(0.125, 0, train, 32)["random"].state_dict()
    assert all(torch.equal(v, again[k]) for k, v in nets["random"].state_dict().items())  # seeded


def test_label_subsets_are_class_balanced_nested_and_seeded():
    labels = np.repeat(np.arange(5), [20, 20, 20, 20, 3])
    small, large = label_subset(labels, 0.1, 0), label_subset(labels, 0.5, 0)
    assert np.bincount(labels[small]).tolist() == [2, 2, 2, 2, 1]  # at least one of a rare class
    assert np.bincount(labels[large]).tolist() == [10, 10, 10, 10, 2]
    assert set(small) <= set(large) and len(label_subset(labels, 1.0, 0)) == len(labels)
    assert np.array_equal(small, label_subset(labels, 0.1, 0))
    assert not np.array_equal(small, label_subset(labels, 0.1, 1))


def test_fine_tuning_learns_a_lightness_task_and_repeats_itself():
    g = np.random.default_rng(0)
    y = np.repeat([0, 1], 40)
    images = np.where(y[:, None, None, None] == 1, 200, 40).astype(np.uint8) * np.ones((80, 32, 32, 3), np.uint8)
    images = np.clip(images + g.integers(-30, 30, images.shape), 0, 255).astype(np.uint8)
    cfg = {"iterations": 60, "batch_size": 16, "crop": 24, "dims": 256, "head_epochs": 10, "head_lr": 0.01,
           "lr": 0.01, "momentum": 0.9, "weight_decay": 0.0, "seed": 0}
    body = random_bodies(0.0625, 0, images, 32)["random"]
    train, val = np.arange(0, 80, 2), np.arange(1, 80, 2)
    net = fine_tune(body, images, y, train, 2, cfg, torch.device("cpu"))
    hits = top1_hits(net, images[val], y[val], torch.device("cpu"))
    assert hits.mean() >= 0.9
    again = top1_hits(fine_tune(body, images, y, train, 2, cfg, torch.device("cpu")), images[val], y[val],
                      torch.device("cpu"))
    assert np.array_equal(hits, again)


@pytest.mark.parametrize("interval, word", [((0.02, 0.08), "helps"), ((-0.03, 0.05), "makes no measurable"),
                                            ((-0.09, -0.01), "hurts")])
def test_the_findings_follow_the_paired_interval(interval, word):
    top1 = {"colorization": {"0.05": 0.5, "1": 0.8}, "random": {"0.05": 0.45, "1": 0.8},
            "supervised": {"0.05": 0.6, "1": 0.85}}
    ci = {"colorization_minus_random": {"0.05": list(interval), "1": [-0.02, 0.02]},
          "supervised_minus_colorization": {"0.05": [0.05, 0.15], "1": [-0.01, 0.1]}}
    text = " ".join(finetune_findings(top1, ci))
    assert f"With 5 % of the labels, colourization pretraining {word}" in text
    assert "With 100 % of the labels, colourization pretraining makes no measurable difference" in text
    assert ("helps most with 5 %" in text) == (word == "helps")
    assert "beats colourization at 1 of 2 fractions (5 %)" in text
