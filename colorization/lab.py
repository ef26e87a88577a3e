"""sRGB (D65) <-> CIE Lab on torch tensors, the same formulas as scikit-image.

Working in torch lets training convert colour on the GPU instead of in the data
loader, which is what keeps the data path off the critical path at paper scale.
Tensors are ``(N, 3, H, W)``; RGB is float in [0, 1], L in [0, 100], ab roughly
in [-110, 110].
"""

from functools import lru_cache

import numpy as np
import torch

# sRGB primaries to CIE XYZ (D65), the matrix scikit-image uses.
_XYZ_FROM_RGB = (
    (0.412453, 0.357580, 0.180423),
    (0.212671, 0.715160, 0.072169),
    (0.019334, 0.119193, 0.950227),
)
_WHITE_D65 = (0.95047, 1.0, 1.08883)
_EPS = 0.008856  # (6/29)^3, where the cube root gives way to the linear segment
_KAPPA = 7.787


@lru_cache(maxsize=None)
def _constants(device: torch.device, dtype: torch.dtype) -> tuple:
    """(RGB->XYZ matrix, its inverse, D65 white) on ``device``, built once per device:
    a tensor made from Python values on every call would be a host->device copy (and,
    on CUDA, a stream sync) in every training step."""
    m = torch.tensor(_XYZ_FROM_RGB, dtype=torch.float64)
    return (m.to(device, dtype), torch.linalg.inv(m).to(device, dtype),
            torch.tensor(_WHITE_D65, dtype=torch.float64).view(1, 3, 1, 1).to(device, dtype))


def _matrix(x: torch.Tensor, inverse: bool = False) -> torch.Tensor:
    return _constants(x.device, x.dtype)[1 if inverse else 0]


def _white(x: torch.Tensor) -> torch.Tensor:
    return _constants(x.device, x.dtype)[2]


def rgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
    """sRGB in [0, 1], shape (N, 3, H, W) -> Lab, same shape."""
    rgb = rgb.float().clamp(0.0, 1.0)
    linear = torch.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    xyz = torch.einsum("ij,njhw->nihw", _matrix(rgb), linear) / _white(rgb)
    f = torch.where(xyz > _EPS, xyz.clamp_min(_EPS) ** (1.0 / 3.0), _KAPPA * xyz + 16.0 / 116.0)
    fx, fy, fz = f[:, 0], f[:, 1], f[:, 2]
    L = 116.0 * fy - 16.0
    a = 500.0 * (fx - fy)
    b = 200.0 * (fy - fz)
    return torch.stack([L, a, b], dim=1)


def lab_to_rgb(lab: torch.Tensor) -> torch.Tensor:
    """Lab, shape (N, 3, H, W) -> sRGB in [0, 1]. Out-of-gamut colours are clipped."""
    lab = lab.float()
    L, a, b = lab[:, 0], lab[:, 1], lab[:, 2]
    fy = (L + 16.0) / 116.0
    fx = a / 500.0 + fy
    fz = (fy - b / 200.0).clamp_min(0.0)  # as scikit-image: negative Z is clipped
    f = torch.stack([fx, fy, fz], dim=1)
    xyz = torch.where(f > 0.2068966, f**3, (f - 16.0 / 116.0) / _KAPPA) * _white(lab)
    linear = torch.einsum("ij,njhw->nihw", _matrix(lab, inverse=True), xyz)
    linear = linear.clamp_min(0.0)
    rgb = torch.where(
        linear > 0.0031308, 1.055 * linear.clamp_min(0.0031308) ** (1.0 / 2.4) - 0.055, 12.92 * linear
    )
    return rgb.clamp(0.0, 1.0)


def uint8_to_rgb(images, device="cpu") -> torch.Tensor:
    """uint8 images (N, H, W, 3), numpy or memmap -> float RGB (N, 3, H, W) in [0, 1] on ``device``."""
    # a C-ordered copy: memmaps are read-only, and the layout must not change the rounding
    x = torch.from_numpy(np.array(images, dtype=np.uint8, order="C", copy=True))
    return x.to(device).permute(0, 3, 1, 2).float().div_(255.0)


def from_uint8(x: torch.Tensor) -> torch.Tensor:
    """uint8 sRGB tensor (N, 3, H, W), on any device -> Lab (N, 3, H, W) on that device."""
    return rgb_to_lab(x.float().div_(255.0))


def uint8_to_lab(images, device="cpu") -> torch.Tensor:
    """uint8 images (N, H, W, 3) -> Lab (N, 3, H, W)."""
    return rgb_to_lab(uint8_to_rgb(images, device))


def lab_to_uint8(lab: torch.Tensor):
    """Lab (N, 3, H, W) -> uint8 sRGB images (N, H, W, 3) as numpy, rounded, gamut-clipped."""
    return (lab_to_rgb(lab).permute(0, 2, 3, 1).cpu().numpy() * 255 + 0.5).astype(np.uint8)
