"""The ECCV16 colourization network (paper Table 1; Zhang et al. Fig. 2).

Eight conv blocks with ReLU and BatchNorm after each block, strided convolutions
instead of pooling, dilation 2 in conv5 and conv6, a stride-2 transposed conv in
conv8 and a 1x1 conv to Q = 313 logits at a quarter of the input resolution.
The regression variant of Zhang's Table 1 ("Ours (L2)") ends in a 1x1 conv to the
two ab channels instead.

Module names and parameter layout mirror Zhang's PyTorch port (``colorizers``:
``model1`` ... ``model8`` as ``nn.Sequential`` plus a fixed ``model_out``
313 -> 2 projection), so with ``width=1.0`` their released ECCV16 weights load
as they are. ``width`` scales every channel count except Q, for the CPU demo.
"""

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from .bins import Q, ab_bins

L_CENTRE, L_SCALE, AB_SCALE = 50.0, 100.0, 110.0  # Zhang's port: (L - 50) / 100, ab * 110
OUTPUT_STRIDE = 4  # three stride-2 convolutions down, one stride-2 transposed conv up
HEADS = ("classification", "regression")


def target_ab(ab: torch.Tensor) -> torch.Tensor:
    """Ground-truth ab (N,2,H,W) at the network's output resolution (N,2,H/4,W/4), by
    averaging each 4x4 cell: what the loss compares with and what the prior counts."""
    return F.avg_pool2d(ab, OUTPUT_STRIDE)


def _conv(cin, cout, stride=1, dilation=1):
    return [nn.Conv2d(cin, cout, 3, stride=stride, padding=dilation, dilation=dilation, bias=True), nn.ReLU(True)]


class ColorizationNet(nn.Module):
    """L (N,1,H,W) in [0, 100] -> logits over the 313 ab bins, (N,313,H/4,W/4); with
    ``head="regression"``, ab itself (N,2,H/4,W/4) in ab units."""

    def __init__(self, width: float = 1.0, head: str = "classification"):
        super().__init__()
        if width <= 0:
            raise ValueError(f"width must be > 0, got {width}")
        if head not in HEADS:
            raise ValueError(f"head must be one of {HEADS}, got {head!r}")
        self.head = head
        c = {n: max(1, int(round(n * width))) for n in (64, 128, 256, 512)}
        c64, c128, c256, c512 = c[64], c[128], c[256], c[512]
        self.width = width
        self.model1 = nn.Sequential(*_conv(1, c64), *_conv(c64, c64, 2), nn.BatchNorm2d(c64))
        self.model2 = nn.Sequential(*_conv(c64, c128), *_conv(c128, c128, 2), nn.BatchNorm2d(c128))
        self.model3 = nn.Sequential(*_conv(c128, c256), *_conv(c256, c256), *_conv(c256, c256, 2), nn.BatchNorm2d(c256))
        self.model4 = nn.Sequential(*_conv(c256, c512), *_conv(c512, c512), *_conv(c512, c512), nn.BatchNorm2d(c512))
        self.model5 = nn.Sequential(*[m for _ in range(3) for m in _conv(c512, c512, 1, 2)], nn.BatchNorm2d(c512))
        self.model6 = nn.Sequential(*[m for _ in range(3) for m in _conv(c512, c512, 1, 2)], nn.BatchNorm2d(c512))
        self.model7 = nn.Sequential(*[m for _ in range(3) for m in _conv(c512, c512)], nn.BatchNorm2d(c512))
        self.model8 = nn.Sequential(
            nn.ConvTranspose2d(c512, c256, 4, stride=2, padding=1, bias=True), nn.ReLU(True),
            *_conv(c256, c256), *_conv(c256, c256),
            nn.Conv2d(c256, Q if head == "classification" else 2, 1, bias=True),
        )
        # Fixed projection of bin probabilities to ab / 110: the mean (T = 1) decode of
        # Zhang's port. Kept as a parameter only so that their state dict loads.
        self.model_out = nn.Conv2d(Q, 2, 1, bias=False)
        with torch.no_grad():
            self.model_out.weight.copy_(torch.from_numpy(ab_bins().T / AB_SCALE).view(2, Q, 1, 1))
        self.model_out.weight.requires_grad_(False)

    def forward(self, L: torch.Tensor) -> torch.Tensor:
        x = (L - L_CENTRE) / L_SCALE
        x = self.model1(x)  # conv1_1, conv1_2 (stride 2)
        x = self.model2(x)  # conv2_1, conv2_2 (stride 2)
        x = self.model3(x)  # conv3_1 .. conv3_3 (stride 2)
        x = self.model4(x)  # conv4_1 .. conv4_3
        x = self.model5(x)  # conv5_1 .. conv5_3, dilation 2
        x = self.model6(x)  # conv6_1 .. conv6_3, dilation 2
        x = self.model7(x)  # conv7_1 .. conv7_3
        x = self.model8(x)  # conv8_1 (transposed, stride 1/2) .. conv8_3, conv9_1 (1x1 to the output)
        return x * AB_SCALE if self.head == "regression" else x


def load_zhang_eccv16(path) -> ColorizationNet:
    """A width-1.0 network holding Zhang et al.'s released ECCV16 PyTorch weights.

    The file is ``colorization_release_v2-9b330a0b.pth`` from their ``colorizers``
    package (https://colorizers.s3.us-east-2.amazonaws.com/colorization_release_v2-9b330a0b.pth).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"Zhang et al.'s ECCV16 weights not found at {path}. Download "
            "https://colorizers.s3.us-east-2.amazonaws.com/colorization_release_v2-9b330a0b.pth "
            "and set colorize.zhang_weights to its path."
        )
    state = torch.load(path, map_location="cpu", weights_only=True)
    net = ColorizationNet(1.0)
    # Older releases predate BatchNorm's num_batches_tracked counter; nothing else may differ.
    missing, unexpected = net.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise ValueError(f"{path} is not an ECCV16 state dict: missing {missing[:5]}, unexpected {unexpected[:5]}")
    return net.eval()
