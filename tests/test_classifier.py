"""The scoring classifier's training input: the batch augmentation against a per-image
reference built on torch's reflect padding, the once-only resize against the resize the
model applies to what it scores, and a training that learns colour and repeats itself."""

import numpy as np
import torch
import torch.nn.functional as F

from colorization.classifier import (NormalisedInput, augment, load_trained_classifier, resize_once, shift_of,
                                     small_vgg16_bn, train_classifier)


def reference_augment(x_uint8, rng):
    """One image at a time: torch's reflect padding, a crop at the drawn shift, the drawn flip."""
    t = torch.from_numpy(np.array(x_uint8)).permute(0, 3, 1, 2).float() / 255
    h, w = t.shape[-2:]
    pad = shift_of(w)
    t = F.pad(t, (pad,) * 4, mode="reflect")
    out = torch.empty(len(x_uint8), 3, h, w)
    for i in range(len(x_uint8)):
        dy, dx = rng.integers(0, 2 * pad + 1, 2)
        out[i] = t[i, :, dy : dy + h, dx : dx + w]
        if rng.random() < 0.5:
            out[i] = out[i].flip(-1)
    return out


def test_the_batch_augmentation_is_the_per_image_shift_and_flip_of_torchs_reflect_padding():
    x = np.random.default_rng(1).integers(0, 256, (40, 32, 32, 3), dtype=np.uint8)
    got = augment(x, np.random.default_rng(7))
    assert torch.equal(got, reference_augment(x, np.random.default_rng(7)))
    assert got.is_contiguous(memory_format=torch.channels_last)
    assert shift_of(32) == 2 and shift_of(64) == 4  # a sixteenth of the side
    plain = torch.from_numpy(x).permute(0, 3, 1, 2).float() / 255
    assert not torch.equal(got, plain)  # the draws moved something


def test_resizing_once_gives_what_the_model_sees_of_the_full_size_image():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (12, 64, 64, 3), dtype=np.uint8)
    small = resize_once(x, 32)
    assert small.shape == (12, 32, 32, 3) and small.dtype == np.uint8
    net = small_vgg16_bn(5, 0.125, 0.0).eval()
    model = NormalisedInput(net, (0.5, 0.4, 0.3), (0.2, 0.2, 0.2), size=32).eval()
    seen = {}
    net.features[0].register_forward_hook(lambda m, i, o: seen.__setitem__("x", i[0]))
    with torch.no_grad():
        model(torch.from_numpy(x).permute(0, 3, 1, 2).float() / 255)
        full = seen["x"].clone()
        model(torch.from_numpy(small).permute(0, 3, 1, 2).float() / 255)  # at its own size: not resized again
    # the same normalised pixels up to uint8 rounding (half a level over std 0.2)
    assert (seen["x"] - full).abs().max() <= 0.5 / 255 / 0.2 + 1e-5


def colour_task(n, rng, side=32):
    """Three classes that differ only in hue (same lightness pattern): red, green, blue."""
    labels = rng.integers(0, 3, n)
    base = rng.uniform(0.3, 0.7, (n, side, side, 1))
    hue = np.eye(3)[labels][:, None, None, :] * 0.3
    return np.clip((base + hue) * 255, 0, 255).astype(np.uint8), labels


def test_the_classifier_learns_colour_and_repeats_itself(tmp_path):
    rng = np.random.default_rng(0)
    images, labels = colour_task(192, rng)
    cfg = {"width": 0.0625, "input_size": None, "dropout": 0.0, "iterations": 40, "batch_size": 32,
           "lr": 3e-3, "seed": 0}
    state = train_classifier(images, labels, 3, cfg, torch.device("cpu"))
    again = train_classifier(images, labels, 3, cfg, torch.device("cpu"))
    assert all(torch.equal(state["model"][k], again["model"][k]) for k in state["model"])
    torch.save({"kind": "trained", **state}, tmp_path / "c.pt")
    model = load_trained_classifier(tmp_path / "c.pt")
    test, truth = colour_task(90, np.random.default_rng(1))
    grey = np.repeat(test.mean(-1, keepdims=True), 3, -1).astype(np.uint8)
    with torch.no_grad():
        acc = (model(torch.from_numpy(test).permute(0, 3, 1, 2).float() / 255).argmax(1).numpy() == truth).mean()
        on_grey = (model(torch.from_numpy(grey).permute(0, 3, 1, 2).float() / 255).argmax(1).numpy() == truth).mean()
    assert acc >= 0.9 and on_grey <= 0.6
