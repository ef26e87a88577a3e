"""Colourizing images with a trained network: L in, ab out (the annealed mean of the
predicted distribution, or the regressed ab of an L2 model), ab upsampled to the
full resolution and joined with the image's own L."""

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .decode import ZHANG_T, annealed_mean
from .lab import lab_to_uint8, uint8_to_lab
from .model import HEADS, ColorizationNet, load_zhang_eccv16
from .shapes import INPUT_MULTIPLE

N_PREVIEW = 8


class ModelFileError(ValueError):
    """A file that is not a colourization model; the message says what it is instead."""


def load_colorizer(path, device="cpu") -> ColorizationNet:
    """A network saved by the train stage ({'model', 'width', 'head', ...}) or Zhang et
    al.'s released ECCV16 state dict (``colorization_release_v2-9b330a0b.pth``). Anything
    else, and a model whose fields, tensors or values do not fit, is a ``ModelFileError``
    that names the file and what does not match."""
    path = Path(path)
    if path.is_dir():
        raise ModelFileError(f"{path} is a folder; give a model file such as models/colorizer.pt")
    if not path.is_file():
        raise FileNotFoundError(f"no trained model at {path}; run `dvc repro train` first")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # pickles with code, zip garbage, text files: never executed, always refused
        raise ModelFileError(f"{path} is not a model file torch can load safely ({type(e).__name__})") from None
    if isinstance(state, dict) and state.get("kind") in ("trained", "imagenet"):
        raise ModelFileError(f"{path} is the VGG-16 classifier that scores colourizations, not a colourizer; "
                             "use models/colorizer.pt")
    if isinstance(state, dict) and "model" in state and "width" in state:
        net = ColorizationNet(*_fields(path, state))
        _load_state(net, state["model"], path)
    elif isinstance(state, dict) and "model1.0.weight" in state:
        try:
            net = load_zhang_eccv16(path)
        except (ValueError, RuntimeError) as e:  # keys or tensor shapes of another network
            raise ModelFileError(f"{path} is not Zhang et al.'s ECCV16 state dict: "
                                 f"{str(e).strip().splitlines()[-1][:200]}") from None
    else:
        raise ModelFileError(f"{path} is neither a model from `dvc repro train` nor Zhang et al.'s ECCV16 weights")
    bad = [name for name, t in net.state_dict().items() if t.is_floating_point() and not torch.isfinite(t).all()]
    if bad:
        more = ", ..." if len(bad) > 3 else ""
        raise ModelFileError(f"{path} holds non-finite weights ({', '.join(bad[:3])}{more}); "
                             "it would colourize every photo black")
    return net.to(device).eval()


def _fields(path, state) -> tuple:
    """(width, head) of a saved model, checked: a wrong type or value is named, not a traceback."""
    width, head, size = state["width"], state.get("head", "classification"), state.get("image_size", 256)
    if isinstance(width, bool) or not isinstance(width, (int, float)) or not 0.01 <= width <= 4:
        raise ModelFileError(f"{path}: its width is {width!r}; expected a number in [0.01, 4]")
    if head not in HEADS:
        raise ModelFileError(f"{path}: its head is {head!r}; expected one of {', '.join(HEADS)}")
    if isinstance(size, bool) or not isinstance(size, int) or not 8 <= size <= 4096:
        raise ModelFileError(f"{path}: its image_size is {size!r}; expected an integer in [8, 4096]")
    return float(width), head


def _load_state(net, weights, path):
    """Load a state dict, or say in one line which keys or shapes do not match the width."""
    if not isinstance(weights, dict):
        raise ModelFileError(f"{path}: its 'model' is a {type(weights).__name__}, not a state dict")
    expected = net.state_dict()
    missing = [k for k in expected if k not in weights]
    unexpected = [k for k in weights if k not in expected]
    shapes = [f"{k} {tuple(weights[k].shape)} (width {net.width} needs {tuple(v.shape)})" for k, v in expected.items()
              if k in weights and (not torch.is_tensor(weights[k]) or weights[k].shape != v.shape)]
    if missing or unexpected or shapes:
        what = ([f"missing {missing[:3]}"] if missing else []) + ([f"unexpected {unexpected[:3]}"] if unexpected
                                                                   else []) + (shapes[:2])
        raise ModelFileError(f"{path} does not match its own width and head: " + "; ".join(what))
    net.load_state_dict(weights)


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


def in_batches(fn, images: np.ndarray, batch: int, desc: str) -> np.ndarray:
    """``fn`` over uint8 images (N,H,W,3) batch by batch, with progress: same shape out."""
    from .progress import Progress

    out = np.empty_like(images)
    progress = Progress(len(images), desc, unit="img", every=10)
    for i in range(0, len(images), batch):
        out[i : i + batch] = fn(images[i : i + batch])
        progress.update(len(out[i : i + batch]))
    progress.close()
    return out


def colorize_set(model, images: np.ndarray, T: float, device, batch: int = 64, desc: str = "colorize") -> np.ndarray:
    """A set of uint8 images (N,H,W,3) colourized from their lightness, batch by batch."""
    return in_batches(lambda b: colorize_uint8(model, b, T, device), images, batch, desc)


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


PREVIEW_ROWS = ("input", "ours", "truth")


def preview_grid(model, truth: np.ndarray, device, T: float = ZHANG_T):
    """Rows, each labelled at its left: grey input, colourized, ground truth, as one PIL image
    (dvclive logs it)."""
    from PIL import Image, ImageDraw

    model.eval()
    rows = [grey_uint8(truth), colorize_uint8(model, truth, T, device), truth]
    grid = np.concatenate([np.concatenate(list(r), 1) for r in rows], 0)
    h, label_width = truth.shape[1], 40
    canvas = Image.new("RGB", (label_width + grid.shape[1], grid.shape[0]), "white")
    canvas.paste(Image.fromarray(grid), (label_width, 0))
    draw = ImageDraw.Draw(canvas)
    for k, name in enumerate(PREVIEW_ROWS):
        draw.text((3, k * h + h // 2 - 5), name, fill="black")
    return canvas
