"""Colourizing images with a trained network: L in, ab out (the annealed mean of the
predicted distribution, or the regressed ab of an L2 model), ab upsampled to the
full resolution and joined with the image's own L."""

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .decode import ZHANG_T, annealed_mean
from .images import decode_rgb
from .lab import lab_to_uint8, rgb_to_lab, uint8_to_lab
from .model import ColorizationNet, load_zhang_eccv16
from .shapes import INPUT_MULTIPLE

N_PREVIEW = 8


class ModelFileError(ValueError):
    """A file that is not a colourization model; the message says what it is instead."""


def load_colorizer(path, device="cpu") -> ColorizationNet:
    """A network saved by the train stage ({'model', 'width', 'head', ...}) or Zhang et
    al.'s released ECCV16 state dict (``colorization_release_v2-9b330a0b.pth``)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no trained model at {path}; run `dvc repro train` first")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # pickles with code, zip garbage, text files: never executed, always refused
        raise ModelFileError(f"{path} is not a model file torch can load safely ({type(e).__name__})") from None
    if isinstance(state, dict) and "model" in state and "width" in state:
        net = ColorizationNet(state["width"], head=state.get("head", "classification"))
        net.load_state_dict(state["model"])
        return net.to(device).eval()
    if isinstance(state, dict) and "model1.0.weight" in state:
        return load_zhang_eccv16(path).to(device)
    raise ModelFileError(f"{path} is neither a model from `dvc repro train` nor Zhang et al.'s ECCV16 weights")


def predict_ab(model, L: torch.Tensor, T: float = ZHANG_T) -> torch.Tensor:
    """L (N,1,H,W) -> ab at the output resolution: annealed mean at temperature T for
    the classification network, the regressed ab for the L2 one (T does not apply)."""
    out = model(L)
    return out.float() if getattr(model, "head", "classification") == "regression" else annealed_mean(out, T=T)


@torch.no_grad()
def colorize_lab(model, lab: torch.Tensor, T: float = ZHANG_T) -> torch.Tensor:
    """Lab (N,3,H,W) -> Lab with predicted ab; any H, W (padded to a multiple of 8)."""
    L = lab[:, :1]
    h, w = L.shape[-2:]
    ph, pw = (-h) % INPUT_MULTIPLE, (-w) % INPUT_MULTIPLE
    Lp = F.pad(L, (0, pw, 0, ph), mode="replicate") if ph or pw else L
    ab = predict_ab(model, Lp, T)
    ab = F.interpolate(ab, size=Lp.shape[-2:], mode="bilinear", align_corners=False)[..., :h, :w]
    return torch.cat([L, ab], 1)


@torch.no_grad()
def colorize_uint8(model, rgb: np.ndarray, T: float = ZHANG_T, device="cpu") -> np.ndarray:
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


def preview_images(val: np.ndarray, n: int = N_PREVIEW) -> np.ndarray:
    """A fixed, evenly spaced sample of val images for the training previews."""
    idx = np.linspace(0, len(val) - 1, min(n, len(val))).astype(int)
    return np.array(val[idx])


def preview_grid(model, truth: np.ndarray, device, T: float = ZHANG_T):
    """Rows: grey input, colourized, ground truth, as one PIL image (dvclive logs it)."""
    from PIL import Image

    model.eval()
    rows = [grey_uint8(truth), colorize_uint8(model, truth, T, device), truth]
    return Image.fromarray(np.concatenate([np.concatenate(list(r), 1) for r in rows], 0))


def network_shape(h: int, w: int, net_size: int) -> tuple:
    """The size the network sees for an (h, w) photo: short side ``net_size`` (its training
    scale), long side at most 4x that, whatever the aspect ratio, and at least 8 px."""
    scale = min(net_size / min(h, w), 4 * net_size / max(h, w))
    return max(INPUT_MULTIPLE, round(h * scale)), max(INPUT_MULTIPLE, round(w * scale))


@torch.no_grad()
def colorize_photo(model, path, T: float = ZHANG_T, net_size: int = 256, device="cpu", max_pixels: int | None = None,
                   rows_per_strip: int = 256) -> np.ndarray:
    """Colourize one photo of any size (a user's old photo) from its lightness. It is read
    with the pipeline's own decoder; the network sees it at ``network_shape``; the predicted
    ab is upsampled and joined with the photo's full-resolution L, strip by strip, so
    memory stays near that of the uint8 photo itself. Returns uint8 (H, W, 3)."""
    from PIL import Image

    im = decode_rgb(path, max_pixels=max_pixels)
    rgb = np.asarray(im)
    h, w = rgb.shape[:2]
    nh, nw = network_shape(h, w, net_size)
    small = np.asarray(im.resize((nw, nh), Image.Resampling.BICUBIC, reducing_gap=3.0))[None]
    ab_small = colorize_lab(model, uint8_to_lab(small, device), T)[:, 1:]  # (1,2,nh,nw)
    out = np.empty_like(rgb)
    xs = (torch.arange(w, device=device) + 0.5) / w * 2 - 1  # bilinear, as interpolate(align_corners=False)
    for top in range(0, h, rows_per_strip):
        bottom = min(h, top + rows_per_strip)
        ys = (torch.arange(top, bottom, device=device) + 0.5) / h * 2 - 1
        grid = torch.stack(torch.meshgrid(ys, xs, indexing="ij")[::-1], -1)[None]
        ab = F.grid_sample(ab_small, grid, mode="bilinear", padding_mode="border", align_corners=False)
        strip = torch.from_numpy(np.array(rgb[top:bottom])).to(device).permute(2, 0, 1)[None]
        L = rgb_to_lab(strip.float().div_(255.0))[:, :1]
        out[top:bottom] = lab_to_uint8(torch.cat([L, ab], 1))[0]
    return out
