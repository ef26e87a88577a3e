"""Colourizing images with a trained network: L in, annealed-mean ab out, ab
upsampled to the full resolution and joined with the image's own L."""

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .decode import annealed_mean
from .lab import lab_to_rgb, rgb_to_lab
from .model import ColorizationNet


def load_colorizer(path, device="cpu") -> ColorizationNet:
    """A network saved by the train stage ({'model', 'width', ...})."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no trained model at {path}; run `dvc repro train` first")
    state = torch.load(path, map_location="cpu", weights_only=True)
    net = ColorizationNet(state["width"])
    net.load_state_dict(state["model"])
    return net.to(device).eval()


@torch.no_grad()
def colorize_lab(model, lab: torch.Tensor, T: float = 0.38) -> torch.Tensor:
    """Lab (N,3,H,W) -> Lab with predicted ab; any H, W (padded to a multiple of 8)."""
    L = lab[:, :1]
    h, w = L.shape[-2:]
    ph, pw = (-h) % 8, (-w) % 8
    Lp = F.pad(L, (0, pw, 0, ph), mode="replicate") if ph or pw else L
    ab = annealed_mean(model(Lp), T=T)
    ab = F.interpolate(ab, size=Lp.shape[-2:], mode="bilinear", align_corners=False)[..., :h, :w]
    return torch.cat([L, ab], 1)


@torch.no_grad()
def colorize_uint8(model, rgb: np.ndarray, T: float = 0.38, device="cpu") -> np.ndarray:
    """(N,H,W,3) uint8 -> (N,H,W,3) uint8 colourized from the images' lightness alone."""
    x = torch.from_numpy(np.ascontiguousarray(rgb)).permute(0, 3, 1, 2).to(device).float() / 255
    out = lab_to_rgb(colorize_lab(model, rgb_to_lab(x), T))
    return (out.permute(0, 2, 3, 1).cpu().numpy() * 255 + 0.5).astype(np.uint8)


def grey_uint8(rgb: np.ndarray) -> np.ndarray:
    """The images' L with ab = 0: the 'grey' variant of the paper's Table 2."""
    x = torch.from_numpy(np.ascontiguousarray(rgb)).permute(0, 3, 1, 2).float() / 255
    lab = rgb_to_lab(x)
    lab[:, 1:] = 0
    return (lab_to_rgb(lab).permute(0, 2, 3, 1).numpy() * 255 + 0.5).astype(np.uint8)


def with_ab_of(rgb: np.ndarray, donors: np.ndarray) -> np.ndarray:
    """L of ``rgb`` with the ab channels of ``donors`` (same shape): the 'random' variant."""
    to_lab = lambda a: rgb_to_lab(torch.from_numpy(np.ascontiguousarray(a)).permute(0, 3, 1, 2).float() / 255)  # noqa: E731
    lab = to_lab(rgb)
    lab[:, 1:] = to_lab(donors)[:, 1:]
    return (lab_to_rgb(lab).permute(0, 2, 3, 1).numpy() * 255 + 0.5).astype(np.uint8)
