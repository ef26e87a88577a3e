"""The VGG-16 that scores colourizations (paper section 5.4).

Two kinds: torchvision's VGG-16 with ImageNet weights (the paper's), scored over
the 1000 ImageNet-1k classes; or a VGG-16 with batch norm trained here on the
colour training split of the selected synsets (the default, since no ImageNet
weights can be fetched offline), with channel counts scaled for the CPU demo.
"""

from pathlib import Path

import torch
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


def small_vgg16_bn(num_classes: int, width: float = 1.0) -> VGG:
    """torchvision's VGG-16-BN topology (config "D") with every width scaled.

    At width 1 this is exactly ``torchvision.models.vgg16_bn``; narrower nets
    pool globally before the classifier so that small images work too.
    """
    if width == 1.0:
        from torchvision.models import vgg16_bn

        return vgg16_bn(num_classes=num_classes)
    cfg = [v if v == "M" else max(4, int(round(v * width))) for v in cfgs["D"]]
    net = VGG(make_layers(cfg, batch_norm=True), num_classes=num_classes, init_weights=True)
    c, hidden = cfg[-2], max(16, int(round(4096 * width)))
    net.avgpool = nn.AdaptiveAvgPool2d(1)
    net.classifier = nn.Sequential(
        nn.Linear(c, hidden), nn.ReLU(True), nn.Dropout(0.5),
        nn.Linear(hidden, hidden), nn.ReLU(True), nn.Dropout(0.5),
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


class ImageNetInput(nn.Module):
    """Resize to 224 and normalise as torchvision's ImageNet models expect."""

    def __init__(self, net, size=224):
        super().__init__()
        self.net, self.size = net, size
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))

    def forward(self, x):  # x: float RGB in [0, 1]
        x = nn.functional.interpolate(x, size=(self.size, self.size), mode="bilinear", antialias=True, align_corners=False)
        return self.net((x - self.mean) / self.std)
