"""Colourization as self-supervised feature learning (Zhang et al. section 3.3, Table 4,
Fig. 7): a linear classifier on the frozen features of each block of the ECCV16 body,
for three initialisations of the same body: trained to colourize, random, and trained with
labels (the lower and upper bounds).

The protocol follows the released one (richzhang/colorization ``feature_learning_tests``,
VISSL's colourization linear benchmark): each block's output is average-pooled to about
``dims`` values, then batch norm without affine parameters and one linear layer, trained
with SGD and momentum on a step schedule, the same for every layer and initialisation.
Features are extracted once per image and layer, so the probes cost little beyond the
body's forward passes.
"""

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .lab import uint8_to_lab
from .model import L_CENTRE, L_SCALE, ColorizationNet

LAYERS = ("conv1", "conv2", "conv3", "conv4", "conv5", "conv6", "conv7")  # blocks model1 .. model7
INITIALISATIONS = ("colorization", "random", "random_default", "supervised")  # random: rescaled on data


def blocks(net: ColorizationNet) -> list:
    """The body: the blocks before conv8 (upsampling and the 313-way head), in Fig. 2's order."""
    return [net.model1, net.model2, net.model3, net.model4, net.model5, net.model6, net.model7]


def block_outputs(net: ColorizationNet, L: torch.Tensor) -> list:
    """Every block's output for L (N,1,H,W) in [0, 100], normalised as the colourizer sees it."""
    x = (L - L_CENTRE) / L_SCALE
    out = []
    for block in blocks(net):
        x = block(x)
        out.append(x)
    return out


def pooled_side(channels: int, side: int, dims: int) -> int:
    """The side s to average-pool a (channels, side, side) map to, so that channels * s^2 is
    about ``dims`` (never more than the map itself, at least 1)."""
    return max(1, min(side, math.floor(math.sqrt(dims / channels))))


def feature_shapes(net: ColorizationNet, size: int, dims: int = 9000) -> dict:
    """layer -> (channels, pooled side) for images of ``size`` px, from a pass on the meta device."""
    meta = ColorizationNet(net.width, net.head).to("meta")
    with torch.no_grad():
        outs = block_outputs(meta, torch.empty(1, 1, size, size, device="meta"))
    return {layer: (o.shape[1], pooled_side(o.shape[1], o.shape[-1], dims)) for layer, o in zip(LAYERS, outs)}


@torch.no_grad()
def extract(net: ColorizationNet, images_uint8, device, dims: int = 9000, batch: int = 128, progress=None) -> dict:
    """layer -> float32 features (N, about ``dims``) of every image: each block's output
    average-pooled, computed once in a single pass over the images. The body stays frozen."""
    net = net.to(device).eval()
    shapes = feature_shapes(net, images_uint8.shape[1], dims)
    n = len(images_uint8)
    feats = {layer: np.empty((n, c * s * s), np.float32) for layer, (c, s) in shapes.items()}
    for i in range(0, n, batch):
        L = uint8_to_lab(images_uint8[i : i + batch], device)[:, :1]
        for layer, out in zip(LAYERS, block_outputs(net, L)):
            side = shapes[layer][1]
            feats[layer][i : i + len(L)] = F.adaptive_avg_pool2d(out.float(), side).flatten(1).cpu().numpy()
        if progress is not None:
            progress.update(len(L))
    return feats


class LinearProbe(nn.Module):
    """Batch norm without affine parameters, then one linear layer."""

    def __init__(self, dims: int, n_classes: int):
        super().__init__()
        self.norm = nn.BatchNorm1d(dims, affine=False)
        self.linear = nn.Linear(dims, n_classes)

    def forward(self, x):
        return self.linear(self.norm(x))


def fit_probe(x: np.ndarray, y: np.ndarray, n_classes: int, cfg: dict) -> LinearProbe:
    """SGD with momentum on a step schedule (lr x 0.1 after each third of the epochs), seeded:
    ``cfg`` holds epochs, batch_size, lr, momentum, weight_decay and seed."""
    g = torch.Generator().manual_seed(cfg["seed"])
    torch.manual_seed(cfg["seed"])
    probe = LinearProbe(x.shape[1], n_classes)
    opt = torch.optim.SGD(probe.parameters(), lr=cfg["lr"], momentum=cfg["momentum"],
                          weight_decay=cfg["weight_decay"])
    steps = [max(1, cfg["epochs"] // 3), max(2, 2 * cfg["epochs"] // 3)]
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=steps, gamma=0.1)
    xt, yt = torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(np.array(y, dtype=np.int64))
    batch = min(cfg["batch_size"], len(xt))
    probe.train()
    for _ in range(cfg["epochs"]):
        order = torch.randperm(len(xt), generator=g)
        for start in range(0, len(xt) - batch + 1, batch):  # whole batches: batch norm needs more than one
            idx = order[start : start + batch]
            loss = F.cross_entropy(probe(xt[idx]), yt[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        sched.step()
    return probe.eval()


@torch.no_grad()
def predict(probe: LinearProbe, x: np.ndarray) -> np.ndarray:
    return probe(torch.from_numpy(x)).argmax(1).numpy()


class SupervisedNet(nn.Module):
    """The ECCV16 body with a classification head (global average pool, one linear layer):
    the paper's "ImageNet labels" initialisation, trained on the lightness with labels."""

    def __init__(self, width: float, n_classes: int):
        super().__init__()
        self.body = ColorizationNet(width)
        self.head = nn.Linear(self.body.model7[-1].num_features, n_classes)

    def forward(self, L):
        return self.head(block_outputs(self.body, L)[-1].mean((2, 3)))


def load_body(path, width: float) -> ColorizationNet:
    """The body the probe's `supervised` stage saved, on the CPU, in eval mode."""
    body = ColorizationNet(width)
    body.load_state_dict(torch.load(path, map_location="cpu", weights_only=True)["model"])
    return body.eval()


def train_supervised(images, labels, n_classes, width, cfg, device, progress=None) -> ColorizationNet:
    """The body trained with labels for the colourizer's iterations and batch, on the same
    crops, flips and optimizer (``cfg``: the train section); returns the body."""
    from .data import batch_plan
    from .training import lr_at, make_optimizer, set_lr

    torch.manual_seed(cfg["seed"])
    net = SupervisedNet(width, n_classes).to(device)
    opt = make_optimizer(net.parameters(), cfg, device)
    labels = torch.from_numpy(np.array(labels, dtype=np.int64))
    size, crop = images.shape[1], cfg["crop"]
    net.train()
    for it in range(cfg["iterations"]):
        plan = batch_plan(len(images), cfg["batch_size"], it, cfg["seed"], size, crop, cfg["flip"])
        idx = [i for i, *_ in plan]
        x = np.stack([images[i, t : t + crop, left : left + crop][:, ::-1 if f else 1] for i, t, left, f in plan])
        L = uint8_to_lab(x, device)[:, :1]
        set_lr(opt, lr_at(it, cfg))
        loss = F.cross_entropy(net(L), labels[idx].to(device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if progress is not None:
            progress.update(1, **({"loss": round(loss.item(), 4)} if it % 25 == 0 else {}))
    return net.body.cpu().eval()
