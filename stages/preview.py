"""A fixed grid of colourized validation images, logged during training so that
`dvc plots` and dvclive show colours appearing as the network learns."""

import numpy as np
from PIL import Image

from colorization.inference import colorize_uint8, grey_uint8

N_PREVIEW = 8


def preview_images(path="data/resized/val.npy", n=N_PREVIEW):
    val = np.load(path, mmap_mode="r")
    idx = np.linspace(0, len(val) - 1, min(n, len(val))).astype(int)
    return np.array(val[idx])


def preview_grid(model, device, T=0.38):
    """Rows: grey input, colourized, ground truth."""
    truth = preview_images()
    model.eval()
    rows = [grey_uint8(truth), colorize_uint8(model, truth, T, device), truth]
    return Image.fromarray(np.concatenate([np.concatenate(list(r), 1) for r in rows], 0))
