"""The Q = 313 quantised ab bins of Zhang et al. and the soft-encoding of ab values.

The bin set is Zhang's published table (``pts_in_hull``), not what an in-gamut
rule gives: sRGB colours reach only 261 grid-10 bins. For each a (step 10) the
bins cover a contiguous range of b (step 10), ordered by a, then b. That order is
the order of the output channels of Zhang's released weights.
"""

from functools import lru_cache

import numpy as np
import torch

from .grid import GRID, GRID_AXIS, grid_cells
from .grid import HALF as _HALF

Q = 313

# a -> (first b, last b), both inclusive, step 10.
_B_RANGE_PER_A = {
    -90: (50, 90), -80: (20, 90), -70: (0, 90), -60: (-20, 90), -50: (-30, 100),
    -40: (-40, 100), -30: (-50, 100), -20: (-50, 100), -10: (-60, 100), 0: (-70, 100),
    10: (-80, 90), 20: (-80, 90), 30: (-90, 90), 40: (-100, 90), 50: (-100, 80),
    60: (-110, 80), 70: (-110, 80), 80: (-110, 70), 90: (-110, 70), 100: (-90, 0),
}


@lru_cache(maxsize=1)
def _bins() -> np.ndarray:
    centres = [(a, b) for a, (lo, hi) in sorted(_B_RANGE_PER_A.items()) for b in range(lo, hi + 1, GRID)]
    out = np.array(centres, dtype=np.float32)
    assert out.shape == (Q, 2), out.shape
    out.setflags(write=False)
    return out


def ab_bins() -> np.ndarray:
    """The 313 in-gamut ab bin centres, shape (313, 2), in Zhang's order."""
    return _bins().copy()


@lru_cache(maxsize=None)
def _bins_on(device: torch.device) -> torch.Tensor:
    return torch.from_numpy(ab_bins()).to(device)


def _as_tensor(bins, like: torch.Tensor) -> torch.Tensor:
    """The bin centres as float32 on ``like``'s device; Zhang's set is built once per
    device, so a training step never copies it from the host."""
    if bins is None:
        return _bins_on(like.device)
    if torch.is_tensor(bins):
        return bins.to(device=like.device, dtype=torch.float32)
    return torch.as_tensor(np.asarray(bins), dtype=torch.float32).to(like.device)


def _squared_distances(ab: torch.Tensor, bins: torch.Tensor) -> torch.Tensor:
    """ab (N,2,h,w), bins (Q,2) -> squared distances (N,h,w,Q), one matmul, no sort."""
    x = ab.float().permute(0, 2, 3, 1)  # (N,h,w,2)
    d2 = (x * x).sum(-1, keepdim=True) - 2.0 * x @ bins.T + (bins * bins).sum(-1)
    return d2.clamp_min(0.0)


@lru_cache(maxsize=None)
def _grid_lookup(device: torch.device) -> torch.Tensor:
    """(23, 23) table: grid cell (a, b) -> its bin index, or -1 where the grid point is not one of the 313."""
    table = torch.full((len(GRID_AXIS), len(GRID_AXIS)), -1, dtype=torch.int64)
    rows, cols = grid_cells(_bins())
    table[rows, cols] = torch.arange(Q)
    return table.to(device)


def nearest_bin(ab: torch.Tensor, bins=None) -> torch.Tensor:
    """Index of the nearest bin centre for each pixel: ab (N,2,h,w) -> (N,h,w) int64.

    For Zhang's bins the nearest grid point (ties to the lower value, as an argmin over
    the bins in their order would pick) is the nearest bin whenever it is one of the 313,
    which holds for almost every pixel of a photo; the rest get the full distance search.
    """
    if bins is not None:
        return _squared_distances(ab, _as_tensor(bins, ab)).argmin(-1)
    cell = torch.ceil(ab.float() / GRID - 0.5).long().clamp_(-_HALF - 1, _HALF + 1)
    inside = (cell.abs() <= _HALF).all(1)
    lut = _grid_lookup(ab.device)
    idx = torch.where(inside, lut[cell[:, 0].clamp(-_HALF, _HALF) + _HALF, cell[:, 1].clamp(-_HALF, _HALF) + _HALF], -1)
    off = idx < 0
    if off.any():
        pix = ab.permute(0, 2, 3, 1)[off]  # (P, 2): ab far from any bin on its own grid point
        idx[off] = _squared_distances(pix.T[None, :, :, None], _bins_on(ab.device))[0, :, 0].argmin(-1)
    return idx


def soft_encode_sparse(ab: torch.Tensor, bins=None, k: int = 5, sigma: float = 5.0) -> tuple:
    """The soft-encoding as its ``k`` non-zero entries per pixel: ab (N,2,h,w) ->
    (index (N,k,h,w) int64, weight (N,k,h,w)), nearest bin first.

    Each pixel gets Gaussian weights (``sigma`` in ab units) on its ``k`` nearest
    bins, normalised to sum to 1 (paper: k = 5, sigma = 5; Zhang's training code
    used k = 10). ``topk`` picks the neighbours, so no pixel sorts all Q distances,
    and the loss can gather k log-probabilities instead of multiplying a dense
    (N,313,h,w) target that is almost all zeros.
    """
    d2 = _squared_distances(ab, _as_tensor(bins, ab))
    neg_d2, idx = torch.topk(-d2, k, dim=-1)  # (N,h,w,k), nearest first
    # Subtracting the nearest distance keeps exp() finite far outside the gamut.
    w = torch.exp((neg_d2 - neg_d2[..., :1]) / (2.0 * sigma**2))
    w = w / w.sum(-1, keepdim=True)
    return idx.permute(0, 3, 1, 2), w.permute(0, 3, 1, 2)


def soft_encode(ab: torch.Tensor, bins=None, k: int = 5, sigma: float = 5.0) -> torch.Tensor:
    """Soft-encode ab (N,2,h,w) over the Q bins -> the dense target Z (N,Q,h,w)
    (Z of reproduction eq. 1 = Zhang eq. 2; the weights of ``soft_encode_sparse`` scattered into place).

    The dense reference, for tests and benchmarks: the training loss uses ``soft_encode_sparse``."""
    idx, w = soft_encode_sparse(ab, bins, k, sigma)
    n, _, h, wd = ab.shape
    out = torch.zeros(n, Q, h, wd, device=ab.device, dtype=torch.float32)
    return out.scatter_(1, idx, w)
