"""The VGG-16 that scores colourizations (paper section 5.4).

Two kinds: torchvision's VGG-16 with ImageNet weights (the paper's), scored over
the 1000 ImageNet-1k classes; or a VGG-16 with batch norm trained here on the
colour training split of the selected synsets (the default, since no ImageNet
weights can be fetched offline), with channel counts scaled for the CPU demo.
"""

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models import vgg16
from torchvision.models.vgg import VGG, cfgs, make_layers

VGG16_FILE = "vgg16-397923af.pth"
VGG16_URL = "https://download.pytorch.org/models/vgg16-397923af.pth"
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
WNIDS_FILE = Path(__file__).with_name("imagenet1k_wnids.txt")


def imagenet1k_wnids() -> list:
    """The 1000 ILSVRC-2012 wnids in the standard (sorted) order of classifier outputs."""
    return [line.strip() for line in WNIDS_FILE.read_text().splitlines() if line.strip() and not line.startswith("#")]


def small_vgg16_bn(num_classes: int, width: float = 1.0, dropout: float = 0.5) -> VGG:
    """torchvision's VGG-16-BN topology (config "D") with every width scaled.

    At width 1 this is exactly ``torchvision.models.vgg16_bn``; narrower nets
    pool globally before the classifier so that small images work too.
    """
    if width == 1.0:
        from torchvision.models import vgg16_bn

        return vgg16_bn(num_classes=num_classes, dropout=dropout)
    cfg = [v if v == "M" else max(4, int(round(v * width))) for v in cfgs["D"]]
    net = VGG(make_layers(cfg, batch_norm=True), num_classes=num_classes, init_weights=True)
    c, hidden = cfg[-2], max(16, int(round(4096 * width)))
    net.avgpool = nn.AdaptiveAvgPool2d(1)
    net.classifier = nn.Sequential(
        nn.Linear(c, hidden), nn.ReLU(True), nn.Dropout(dropout),
        nn.Linear(hidden, hidden), nn.ReLU(True), nn.Dropout(dropout),
        nn.Linear(hidden, num_classes),
    )
    return net


def hub_checkpoint_dir() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints"


def load_imagenet_vgg16(path=None) -> nn.Module:
    """torchvision's VGG-16 with IMAGENET1K_V1 weights, from ``path`` or the torch hub
    cache, never from the network: a missing file is an error that says what to fetch."""
    path = Path(path) if path else hub_checkpoint_dir() / VGG16_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"VGG-16 ImageNet weights not found at {path}.\n"
            f"Download {VGG16_URL} and put it at {hub_checkpoint_dir() / VGG16_FILE} "
            f"(the torch hub cache; TORCH_HOME moves it), or set evaluate.vgg16_weights to its path.\n"
            "Or set evaluate.classifier: trained to score with a VGG-16 trained here."
        )
    net = vgg16()
    net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return net.eval()


class NormalisedInput(nn.Module):
    """A classifier that takes float RGB in [0, 1]: its input normalisation (the mean and
    std it was trained with) and, for ImageNet's VGG-16, the resize to 224 travel with it."""

    def __init__(self, net, mean, std, size=None):
        super().__init__()
        self.net, self.size = net, size
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32).view(1, 3, 1, 1))

    def forward(self, x):
        if self.size and x.shape[-2:] != (self.size, self.size):
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", antialias=True, align_corners=False)
        return self.net((x - self.mean) / self.std)


def imagenet_classifier(path=None) -> NormalisedInput:
    """The paper's scorer: torchvision's ImageNet VGG-16 at 224 px with ImageNet normalisation."""
    return NormalisedInput(load_imagenet_vgg16(path), IMAGENET_MEAN, IMAGENET_STD, size=224).eval()


def load_trained_classifier(path) -> NormalisedInput:
    """The VGG-16-BN the classifier stage trained, with the normalisation it was trained with."""
    return classifier_from_state(torch.load(path, map_location="cpu", weights_only=True))


def classifier_from_state(state: dict) -> NormalisedInput:
    """The scorer from what ``train_classifier`` returns (and the stage saves)."""
    with torch.device("meta"):  # no random initialisation of weights about to be replaced (~1 s)
        net = small_vgg16_bn(state["n_classes"], state["width"])
    net.load_state_dict(state["model"], assign=True)
    return NormalisedInput(net, state["input_mean"], state["input_std"], state.get("input_size")).eval()


SHIFT = 1 / 16  # random translation by up to this share of the side (4 px at 64 px), reflect-padded


def shift_of(side: int) -> int:
    return max(1, round(side * SHIFT))


def augment(x_uint8: np.ndarray, rng) -> torch.Tensor:
    """uint8 (N,H,W,3) -> float RGB (N,3,H,W) in [0, 1], channels_last: random shift
    (reflect padding) and horizontal flip. No colour jitter: the classifier is meant to rely
    on colour (VGG-16's random RGB colour shift, tried here, made it nearly as accurate on
    grey input)."""
    from .lab import uint8_to_rgb

    x = np.asarray(x_uint8)
    n, h, w, pad = len(x), x.shape[1], x.shape[2], shift_of(x.shape[2])
    x = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="reflect")  # as torch's reflect
    out = np.empty_like(x[:, :h, :w])
    for i in range(n):  # the random draws in the same order as ever, so a seed gives the same batches
        dy, dx = rng.integers(0, 2 * pad + 1, 2)
        out[i] = x[i, dy : dy + h, dx : dx + w]
        if rng.random() < 0.5:
            out[i] = out[i, :, ::-1]
    # uint8 slices, then one conversion: the float RGB comes out channels_last
    return uint8_to_rgb(out)


def resize_once(images, size: int, batch: int = 256) -> np.ndarray:
    """uint8 images (N,S,S,3) -> uint8 (N,size,size,3), resized as ``NormalisedInput`` resizes
    what it scores: once before training rather than at every step (the same pixels up to
    rounding to uint8, at a quarter of the augmentation's work for 64 -> 32 px)."""
    from .lab import uint8_to_rgb

    out = np.empty((len(images), size, size, 3), np.uint8)
    for i in range(0, len(images), batch):
        x = F.interpolate(uint8_to_rgb(images[i : i + batch]), size=(size, size), mode="bilinear",
                          antialias=True, align_corners=False)
        out[i : i + batch] = x.mul(255).round_().clamp_(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()
    return out


def channel_stats(images: np.ndarray, n: int = 2048, seed: int = 0) -> tuple:
    """Per-channel mean and std of RGB in [0, 1] over a seeded sample of the train split."""
    idx = np.sort(np.random.default_rng(seed).choice(len(images), size=min(n, len(images)), replace=False))
    x = np.asarray(images[idx], dtype=np.float64).reshape(-1, 3) / 255.0
    return x.mean(0).tolist(), np.maximum(x.std(0), 1e-3).tolist()


def train_classifier(images, labels, n_classes, cfg, device, progress=None) -> dict:
    """Train the small VGG-16-BN on colour train images (uint8 (N,S,S,3)); returns the
    state to save: weights, width, classes, the input normalisation and size, train accuracy
    (no timings: the file must hash the same on every run).

    ``cfg["input_size"]`` (None: the images' own size) is the side the network sees: the
    train images are resized to it once, and every image it scores is resized to it inside
    the model. At the CPU demo's 64 px, half the side at twice the width keeps the colour
    evidence, costs a third of the time and classifies better (bench/classifier_speed.py)."""
    torch.manual_seed(cfg["seed"])
    rng = np.random.default_rng(cfg["seed"])
    mean, std = channel_stats(images, seed=cfg["seed"])
    size = cfg.get("input_size")
    size = None if size is None or size == images.shape[1] else int(size)
    if size is not None and size < images.shape[1]:
        images = resize_once(images, size)
    # channels_last, as the colourizer: oneDNN's convolutions run 15 % faster with it on the CPU
    net = small_vgg16_bn(n_classes, cfg["width"], cfg.get("dropout", 0.5)).to(device, memory_format=torch.channels_last)
    model = NormalisedInput(net, mean, std, size).to(device)
    # the fused kernel on every device: on the CPU the per-tensor loop was 14 % of a step
    opt = torch.optim.AdamW(net.parameters(), lr=cfg["lr"], weight_decay=5e-4, fused=True)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg["lr"], total_steps=cfg["iterations"])
    model.train()
    correct, seen = 0, 0
    for it in range(cfg["iterations"]):
        idx = np.sort(rng.choice(len(images), size=min(cfg["batch_size"], len(images)), replace=False))
        x = augment(np.asarray(images[idx]), rng).to(device)
        y = torch.from_numpy(np.asarray(labels)[idx]).to(device)
        logits = model(x)
        loss = F.cross_entropy(logits, y, label_smoothing=0.1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if it >= cfg["iterations"] - 50:  # training accuracy over the last 50 batches
            correct += (logits.argmax(1) == y).sum().item()
            seen += len(y)
        if progress is not None:
            progress(it, loss)
    return {"model": net.state_dict(), "width": cfg["width"], "n_classes": n_classes, "input_mean": mean,
            "input_std": std, "input_size": size, "train_accuracy": correct / max(seen, 1)}


def load_scorer(kind, wnids, labels, device, vgg16_weights=None, trained="models/classifier.pt") -> tuple:
    """The classifier that scores colourizations, as (scores_of: uint8 images -> softmax scores,
    the output column of each image's label, an index into ``wnids``, or -1 where the
    classifier has no such class, its output class names): torchvision's ImageNet VGG-16
    (``kind="imagenet"``, weights from ``vgg16_weights`` or the hub cache) or the VGG-16-BN the
    classifier stage trained on the colour train split."""
    if kind == "imagenet":
        names = imagenet1k_wnids()
        index = {w: i for i, w in enumerate(names)}
        model, column = imagenet_classifier(vgg16_weights).to(device), np.array([index.get(w, -1) for w in wnids])
    else:
        model, names, column = load_trained_classifier(trained).to(device), list(wnids), np.arange(len(wnids))
    return (lambda x: class_scores(model, x, device)), column[np.asarray(labels)], names


@torch.no_grad()
def class_scores(model, images_uint8, device, batch=64) -> np.ndarray:
    """Softmax scores (N, C) of uint8 images (N, H, W, 3)."""
    from .lab import uint8_to_rgb

    out = [torch.softmax(model(uint8_to_rgb(images_uint8[i : i + batch], device)).float(), 1).cpu().numpy()
           for i in range(0, len(images_uint8), batch)]
    return np.concatenate(out) if out else np.zeros((0, 0))
