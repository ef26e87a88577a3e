import numpy as np
import torch
from skimage.color import lab2rgb, rgb2lab

from colorization.lab import lab_to_rgb, rgb_to_lab
from conftest import needs_cuda


def _as_image(colours):  # (n,3) -> (1,3,n,1)
    return torch.from_numpy(colours.T[None, :, :, None].astype(np.float32))


def test_rgb_to_lab_matches_skimage_on_random_colours_and_all_greys():
    rng = np.random.default_rng(0)
    greys = np.repeat(np.arange(256)[:, None] / 255.0, 3, axis=1)
    colours = np.concatenate([rng.random((100_000, 3)), greys])
    ours = rgb_to_lab(_as_image(colours))[0, :, :, 0].T.numpy()
    ref = rgb2lab(colours[None])[0]
    assert np.abs(ours - ref).max() < 0.01


def test_lab_to_rgb_matches_skimage_in_gamut():
    rng = np.random.default_rng(1)
    lab = rgb2lab(rng.random((1, 20_000, 3)))[0]
    ours = lab_to_rgb(_as_image(lab))[0, :, :, 0].T.numpy()
    assert np.abs(ours - lab2rgb(lab[None])[0]).max() < 1e-3


def test_round_trip_returns_input():
    x = torch.rand(4, 3, 16, 16)
    assert (lab_to_rgb(rgb_to_lab(x)) - x).abs().max() < 1e-3


def test_out_of_gamut_lab_is_clipped_not_nan():
    lab = torch.tensor([[100.0, 110, -110], [0.0, -110, 110], [50.0, 300, 300], [5.0, -128, -128]]).T[None, :, :, None]
    rgb = lab_to_rgb(lab)
    assert torch.isfinite(rgb).all() and rgb.min() >= 0 and rgb.max() <= 1


def test_grey_has_near_zero_ab():
    # D65 white and the sRGB matrix agree to ~1e-3 in ab, as in scikit-image.
    lab = rgb_to_lab(torch.full((1, 3, 2, 2), 0.5))
    assert lab[:, 1:].abs().max() < 0.01


@needs_cuda
def test_cuda_matches_cpu():
    x = torch.rand(2, 3, 8, 8)
    assert torch.allclose(rgb_to_lab(x.cuda()).cpu(), rgb_to_lab(x), atol=1e-3)
