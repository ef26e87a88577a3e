"""Colourization as a pretext task, the other half of Zhang et al. section 3.3: a random
baseline that works as well as a random body can, and fine-tuning every layer with few labels.

``rescale_to_data`` is the data-dependent initialisation of Krähenbühl et al. (2016), its
within-layer step: every convolution, in forward order, is rescaled so that its outputs on a
batch of real images have zero mean and unit variance per channel, and every batch norm takes
its running statistics from the same batch. A body with default initialisation and batch-norm
statistics never set from data shrinks its activations block by block, so its deep features
are at chance by construction; the rescaled one is the fair random baseline.

``fine_tune`` trains the whole body with a classification head (``FineTuneNet``) on a
class-balanced subset of the labelled train split (``label_subset``): label efficiency, the
field's standard test of a pretext task (SimCLR, BYOL, VISSL report 1 %, 10 %, 100 %).
"""

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .lab import uint8_to_lab
from .model import L_CENTRE, L_SCALE, ColorizationNet
from .probe import block_outputs, blocks, fit_probe, pooled_side

EPS = 1e-5


@torch.no_grad()
def rescale_to_data(net: ColorizationNet, L: torch.Tensor) -> ColorizationNet:
    """Rescale ``net`` in place on the lightness batch ``L`` (N,1,H,W) in [0, 100]; returns it
    in eval mode. Only the body's blocks (conv1..conv7) are touched."""
    net.eval()
    x = (L - L_CENTRE) / L_SCALE
    for block in blocks(net):
        for layer in block:
            if isinstance(layer, nn.Conv2d):
                y = layer(x)
                mean, std = y.mean((0, 2, 3)), y.std((0, 2, 3)) + EPS
                layer.weight.div_(std[:, None, None, None])
                if layer.bias is None:
                    layer.bias = nn.Parameter(torch.zeros_like(mean))
                layer.bias.sub_(mean).div_(std)
            elif isinstance(layer, nn.BatchNorm2d):
                layer.running_mean.copy_(x.mean((0, 2, 3)))
                layer.running_var.copy_(x.var((0, 2, 3), unbiased=False))
            x = layer(x)
    return net


def random_bodies(width: float, seed: int, train_uint8, n_images: int) -> dict:
    """The two random bodies of the same seeded initialisation: "random", rescaled on a seeded
    sample of ``n_images`` train images, and "random_default" (default initialisation, no
    rescaling). On the CPU, so that both pipelines' stages build the same bytes."""
    torch.manual_seed(seed)
    default = ColorizationNet(width).eval()
    rescaled = ColorizationNet(width)
    rescaled.load_state_dict(default.state_dict())
    pick = np.sort(np.random.default_rng(seed).choice(len(train_uint8), min(n_images, len(train_uint8)), replace=False))
    L = uint8_to_lab(np.asarray(train_uint8[pick]))[:, :1]
    return {"random": rescale_to_data(rescaled, L), "random_default": default}


def label_subset(labels, fraction: float, seed: int) -> np.ndarray:
    """Indices of a class-balanced, seeded ``fraction`` of the labelled images: per class the
    first round(fraction * n) (at least one) of one seeded permutation, so that a smaller
    fraction's images are among a larger one's, and every initialisation gets the same ones."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    out = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        order = members[rng.permutation(len(members))]
        out.append(order[: max(1, int(round(fraction * len(members))))])
    return np.sort(np.concatenate(out))


class FineTuneNet(nn.Module):
    """The body (conv1..conv7) and the probe's head on its last block: the output average-pooled
    to about ``dims`` values, batch norm without affine parameters, one linear layer. A global
    average pool would throw away where things are, which a linear probe on the same block keeps."""

    def __init__(self, width: float, n_classes: int, image_size: int, dims: int):
        super().__init__()
        self.body = ColorizationNet(width)
        with torch.no_grad():
            last = block_outputs(ColorizationNet(width).to("meta"), torch.empty(1, 1, image_size, image_size,
                                                                                   device="meta"))[-1]
        self.side = pooled_side(last.shape[1], last.shape[-1], dims)
        features = last.shape[1] * self.side**2
        self.head = nn.Sequential(nn.BatchNorm1d(features, affine=False), nn.Linear(features, n_classes))

    def forward(self, L):
        return self.head(F.adaptive_avg_pool2d(block_outputs(self.body, L)[-1], self.side).flatten(1))


def fine_tune(body: ColorizationNet, images_uint8, labels, subset, n_classes: int, cfg: dict, device,
              progress=None) -> FineTuneNet:
    """Every layer of ``body`` and a new head trained with labels on ``subset`` of the images,
    in two phases (linear probing, then fine-tuning: Kumar et al. 2022). First the head alone
    is fitted on the frozen body's features of the labelled images exactly as a linear probe is
    (``head_epochs`` epochs at ``head_lr``, batch 256: ``colorization.probe.fit_probe``), so that
    the body's first gradients come through a head that already classifies; then ``iterations``
    SGD steps of every layer at ``lr`` with a cosine decay, random crops and flips. ``cfg`` also
    holds batch_size, crop, dims, momentum, weight_decay and seed: the head's initialisation and
    the batches are the seed's, the same whatever the body."""
    torch.manual_seed(cfg["seed"])
    net = FineTuneNet(body.width, n_classes, min(cfg["crop"], images_uint8.shape[1]), cfg["dims"])
    for mine, theirs in zip(blocks(net.body), blocks(body)):  # the body only: a regression head would not fit
        mine.load_state_dict(theirs.state_dict())
    net = net.to(device)
    subset = np.asarray(subset)
    if cfg["head_epochs"]:
        features = _pooled(net, images_uint8, subset, device)
        probe = fit_probe(features, np.asarray(labels)[subset], n_classes,
                          {"epochs": cfg["head_epochs"], "batch_size": 256, "lr": cfg["head_lr"],
                           "momentum": cfg["momentum"], "weight_decay": cfg["weight_decay"], "seed": cfg["seed"]})
        net.head[0].load_state_dict(probe.norm.state_dict())
        net.head[1].load_state_dict(probe.linear.state_dict())
    net.train()
    params = [p for b in blocks(net.body) for p in b.parameters()] + list(net.head.parameters())
    _train(net, params, cfg["lr"], cfg["iterations"], _batches(images_uint8, labels, subset, cfg, device), cfg,
           progress)
    return net.eval()


@torch.no_grad()
def _pooled(net: FineTuneNet, images_uint8, subset, device, batch: int = 128) -> np.ndarray:
    """The frozen body's last block, pooled as the head sees it, for the images of ``subset``."""
    net.body.eval()
    out = []
    for i in range(0, len(subset), batch):
        L = uint8_to_lab(np.asarray(images_uint8[subset[i : i + batch]]), device)[:, :1]
        out.append(F.adaptive_avg_pool2d(block_outputs(net.body, L)[-1], net.side).flatten(1).cpu().numpy())
    return np.concatenate(out)


def _train(net, params, lr, steps, batches, cfg, progress):
    if steps == 0:
        return
    opt = torch.optim.SGD(params, lr=lr, momentum=cfg["momentum"], weight_decay=cfg["weight_decay"])
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    for _ in range(steps):
        L, y = next(batches)
        loss = F.cross_entropy(net(L), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if progress is not None:
            progress.update(1)


def _batches(images_uint8, labels, subset, cfg, device):
    """Seeded batches of the labelled subset, epoch after epoch: (L, labels) on ``device``,
    one random crop and flip per batch."""
    rng = np.random.default_rng(cfg["seed"])
    subset, labels = np.asarray(subset), torch.from_numpy(np.array(labels, dtype=np.int64))
    size, crop = images_uint8.shape[1], min(cfg["crop"], images_uint8.shape[1])
    batch = min(cfg["batch_size"], len(subset))
    order, at = rng.permutation(subset), 0
    while True:
        if at + batch > len(order):  # a new epoch of the labelled subset
            order, at = rng.permutation(subset), 0
        idx = np.sort(order[at : at + batch])
        at += batch
        top, left = rng.integers(0, size - crop + 1, 2)
        x = np.asarray(images_uint8[idx])[:, top : top + crop, left : left + crop]
        if rng.random() < 0.5:
            x = x[:, :, ::-1]
        yield uint8_to_lab(np.ascontiguousarray(x), device)[:, :1], labels[idx].to(device)


@torch.no_grad()
def top1_hits(net: FineTuneNet, images_uint8, labels, device, batch: int = 128) -> np.ndarray:
    """1.0 where the network's top class is the label, per image (whole images, no crop)."""
    hits = []
    for i in range(0, len(images_uint8), batch):
        L = uint8_to_lab(np.asarray(images_uint8[i : i + batch]), device)[:, :1]
        hits.append(net(L).argmax(1).cpu().numpy() == np.asarray(labels[i : i + batch]))
    return np.concatenate(hits).astype(np.float64)
