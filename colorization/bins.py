"""The Q = 313 quantised ab bins of Zhang et al. and the soft-encoding of ab values.

The bin set is Zhang's published table (``pts_in_hull``), not what an in-gamut
rule gives: sRGB colours reach only 261 grid-10 bins. For each a (step 10) the
bins cover a contiguous range of b (step 10), ordered by a, then b. That order is
the order of the output channels of Zhang's released weights.
"""

from functools import lru_cache

import numpy as np
import torch

Q = 313
GRID = 10

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


def _as_tensor(bins, like: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(np.asarray(bins) if not torch.is_tensor(bins) else bins).to(
        device=like.device, dtype=torch.float32
    )


def _squared_distances(ab: torch.Tensor, bins: torch.Tensor) -> torch.Tensor:
    """ab (N,2,h,w), bins (Q,2) -> squared distances (N,h,w,Q), one matmul, no sort."""
    x = ab.float().permute(0, 2, 3, 1)  # (N,h,w,2)
    d2 = (x * x).sum(-1, keepdim=True) - 2.0 * x @ bins.T + (bins * bins).sum(-1)
    return d2.clamp_min(0.0)


def nearest_bin(ab: torch.Tensor, bins=None) -> torch.Tensor:
    """Index of the nearest bin centre for each pixel: ab (N,2,h,w) -> (N,h,w) int64."""
    bins = _as_tensor(ab_bins() if bins is None else bins, ab)
    return _squared_distances(ab, bins).argmin(-1)


def soft_encode(ab: torch.Tensor, bins=None, k: int = 5, sigma: float = 5.0) -> torch.Tensor:
    """Soft-encode ab (N,2,h,w) over the Q bins -> (N,Q,h,w).

    Each pixel gets Gaussian weights (``sigma`` in ab units) on its ``k`` nearest
    bins, normalised to sum to 1, and zero elsewhere (paper: k = 5, sigma = 5;
    Zhang's training code used k = 10). ``topk`` picks the neighbours, so no pixel
    sorts all Q distances: that sort is the slow part of a naive training step.
    """
    bins = _as_tensor(ab_bins() if bins is None else bins, ab)
    d2 = _squared_distances(ab, bins)
    neg_d2, idx = torch.topk(-d2, k, dim=-1)  # (N,h,w,k), nearest first
    # Subtracting the nearest distance keeps exp() finite far outside the gamut.
    w = torch.exp((neg_d2 - neg_d2[..., :1]) / (2.0 * sigma**2))
    w = w / w.sum(-1, keepdim=True)
    out = torch.zeros(*d2.shape, device=ab.device, dtype=torch.float32)
    out.scatter_(-1, idx, w)
    return out.permute(0, 3, 1, 2).contiguous()
