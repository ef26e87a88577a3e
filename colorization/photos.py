"""Colourizing a user's own photo of any size and format: decoded as the pipeline decodes
its data, seen by the network at its training scale, and the predicted colour joined with
the photo's full-resolution lightness (``python -m colorization colorize``)."""

import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .decode import ZHANG_T
from .images import decode_rgb
from .inference import colorize_lab
from .lab import from_uint8, lab_to_uint8, uint8_to_lab
from .shapes import INPUT_MULTIPLE


def network_shape(h: int, w: int, net_size: int) -> tuple:
    """The size the network sees for an (h, w) photo: short side ``net_size`` (its training
    scale), long side at most 4x that, whatever the aspect ratio, and at least 8 px."""
    scale = min(net_size / min(h, w), 4 * net_size / max(h, w))
    return max(INPUT_MULTIPLE, round(h * scale)), max(INPUT_MULTIPLE, round(w * scale))


class NonFiniteOutput(RuntimeError):
    pass


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
    if not torch.isfinite(ab_small).all():  # the second guard after load_colorizer's: never an all-black PNG
        raise NonFiniteOutput("the network's output is not finite (a broken model file?)")
    out = np.empty_like(rgb)
    xs = (torch.arange(w, device=device) + 0.5) / w * 2 - 1  # bilinear, as interpolate(align_corners=False)
    for top in range(0, h, rows_per_strip):
        bottom = min(h, top + rows_per_strip)
        ys = (torch.arange(top, bottom, device=device) + 0.5) / h * 2 - 1
        grid = torch.stack(torch.meshgrid(ys, xs, indexing="ij")[::-1], -1)[None]
        ab = F.grid_sample(ab_small, grid, mode="bilinear", padding_mode="border", align_corners=False)
        strip = torch.from_numpy(np.array(rgb[top:bottom])).to(device).permute(2, 0, 1)[None]
        L = from_uint8(strip)[:, :1]
        out[top:bottom] = lab_to_uint8(torch.cat([L, ab], 1))[0]
    return out


def input_problem(path) -> str | None:
    """Why ``path`` cannot be a photo, without opening it (a named pipe would block forever,
    /dev/zero never ends): None for a regular file."""
    import errno
    import stat

    try:
        info = os.stat(path)
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "symlink loop"
        if e.errno == errno.ENOENT:
            return "dangling link" if os.path.islink(path) else "no such file"
        return f"cannot read it: {e.strerror}"
    if stat.S_ISDIR(info.st_mode):
        return "a folder (give --recursive to take the images under it)"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file (a pipe, device or socket)"
    return None


def expand_inputs(inputs, recursive=False) -> dict:
    """Each input -> the folder its output goes in, relative to the output folder: a file given
    by name goes at the top, a folder's entries at the top too and (with ``recursive``) those
    of its subfolders in the same subfolders, so the output mirrors the input tree. Sorted,
    hidden entries left out; odd entries (pipes, broken links) stay in, to be reported."""
    out = {}
    for src in inputs:
        p = Path(src)
        if not p.is_dir():
            out.setdefault(str(src), Path())
            continue
        entries = p.rglob("*") if recursive else p.iterdir()
        for f in sorted(entries):
            hidden = any(part.startswith(".") for part in f.relative_to(p).parts)
            if not hidden and not _is_folder(f):
                out.setdefault(str(f), f.parent.relative_to(p))
    return out


def _is_folder(p: Path) -> bool:
    try:
        return p.is_dir()
    except OSError:  # a symlink loop
        return False


def _safe_resolve(p: Path) -> Path:
    try:
        return p.resolve()
    except (RuntimeError, OSError):  # a symlink loop: its own name is as good as any
        return Path(os.path.abspath(p))


def output_names(inputs, out_dir) -> dict:
    """input path -> its output path: ``<subfolder>/<stem>_colorized.png`` (``inputs`` maps each
    path to its subfolder, as ``expand_inputs`` gives it; a list puts all at the top), or
    ``<name>_colorized.png`` where two inputs of one folder share a stem, with a counter if even
    that repeats; never an input."""
    if not isinstance(inputs, dict):
        inputs = {src: Path() for src in inputs}
    stems = {}
    for src, sub in inputs.items():
        stems.setdefault((sub, Path(src).stem), []).append(src)
    taken = {_safe_resolve(Path(s)) for s in inputs}
    names = {}
    for src, sub in inputs.items():
        p = Path(src)
        base = p.stem if len(stems[(sub, p.stem)]) == 1 else p.name.replace(".", "_")
        folder = Path(out_dir) / sub
        dst, n = folder / f"{base}_colorized.png", 1
        while _safe_resolve(dst) in taken:
            n += 1
            dst = folder / f"{base}_colorized_{n}.png"
        taken.add(_safe_resolve(dst))
        names[src] = dst
    return names
