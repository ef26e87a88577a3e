"""Colourizing images with a trained network: L in, annealed-mean ab out, ab
upsampled to the full resolution and joined with the image's own L."""

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .decode import annealed_mean
from .lab import lab_to_uint8, uint8_to_lab
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
    return lab_to_uint8(colorize_lab(model, uint8_to_lab(rgb, device), T))


def grey_uint8(rgb: np.ndarray) -> np.ndarray:
    """The images' L with ab = 0: the 'grey' variant of the paper's Table 2."""
    lab = uint8_to_lab(rgb)
    lab[:, 1:] = 0
    return lab_to_uint8(lab)


def with_ab_of(rgb: np.ndarray, donors: np.ndarray) -> np.ndarray:
    """L of ``rgb`` with the ab channels of ``donors`` (same shape): the 'random' variant."""
    lab = uint8_to_lab(rgb)
    lab[:, 1:] = uint8_to_lab(donors)[:, 1:]
    return lab_to_uint8(lab)


def colorize_photo(model, path, T: float = 0.38, net_size: int = 256, device="cpu") -> np.ndarray:
    """Colourize one photo of any size (a user's old photo): the network sees L resized
    so the short side is ``net_size`` (the scale it was trained at); the predicted ab is
    upsampled and joined with the photo's full-resolution L. Returns uint8 (H, W, 3)."""
    from PIL import Image, ImageOps

    with Image.open(path) as im:
        im = ImageOps.exif_transpose(im)
        rgb = np.asarray(im.convert("RGB"))
    lab = uint8_to_lab(rgb[None], device)
    h, w = lab.shape[-2:]
    scale = net_size / min(h, w)
    small = F.interpolate(lab, size=(max(8, round(h * scale)), max(8, round(w * scale))), mode="bilinear",
                          align_corners=False, antialias=True)
    ab = F.interpolate(colorize_lab(model, small, T)[:, 1:], size=(h, w), mode="bilinear", align_corners=False)
    return lab_to_uint8(torch.cat([lab[:, :1], ab], 1))[0]
