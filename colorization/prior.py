"""The empirical ab colour prior and class rebalancing (reproduction eq. 2 = Zhang et al.
eq. 3-4).

Natural images are dominated by desaturated ab values (sky, walls, pavement), so
an unweighted loss drives the network towards grey. Zhang et al. smooth the
empirical bin distribution with a Gaussian (sigma = 5 in ab units), mix it with
a uniform distribution and weight every pixel by the inverse of that mixture.
"""

import numpy as np
import torch
from scipy.ndimage import gaussian_filter

from .bins import Q, ab_bins, nearest_bin
from .grid import GRID, GRID_AXIS, grid_cells


def bin_counts(ab: torch.Tensor, bins=None) -> np.ndarray:
    """Counts of pixels per nearest bin for ab (N,2,h,w); sums over batches add up."""
    idx = nearest_bin(ab, bins).flatten()
    return torch.bincount(idx, minlength=Q).cpu().numpy().astype(np.float64)


def empirical_prior(values, bins=None) -> np.ndarray:
    """Empirical bin distribution p (313,) from bin counts (313,) or ab values (N,2,h,w)."""
    if torch.is_tensor(values) and values.dim() == 4:
        counts = bin_counts(values, bins)
    else:
        counts = np.asarray(values, dtype=np.float64)
        if counts.shape != (Q,):
            raise ValueError(f"expected bin counts of shape ({Q},) or ab of shape (N,2,h,w), got {counts.shape}")
    total = counts.sum()
    if total <= 0:
        raise ValueError("empty prior: no pixels were counted")
    return counts / total


def smooth_prior(p: np.ndarray, sigma: float = 5.0) -> np.ndarray:
    """Gaussian-smooth p over the ab plane (sigma in ab units), renormalised over the Q bins."""
    p = np.asarray(p, dtype=np.float64)
    if sigma <= 0:
        return p / p.sum()
    grid = np.zeros((len(GRID_AXIS), len(GRID_AXIS)))
    ia, ib = grid_cells(ab_bins())
    grid[ia, ib] = p
    smoothed = gaussian_filter(grid, sigma=sigma / GRID, mode="constant", truncate=4.0)[ia, ib]
    return smoothed / smoothed.sum()


def rebalance_weights(p: np.ndarray, lam: float = 0.5) -> np.ndarray:
    """Per-bin weights w ∝ ((1 - lam) p + lam / Q)^-1, normalised so that sum(p w) = 1.

    lam = 1 gives all ones (no rebalancing); lam = 0 gives 1 / (Q p), which is
    infinite for empty bins, so those get weight 0 (no pixel lands there anyway).
    """
    p = np.asarray(p, dtype=np.float64)
    if not 0.0 <= lam <= 1.0:
        raise ValueError(f"lam must lie in [0, 1], got {lam}")
    mix = (1.0 - lam) * p + lam / Q
    w = np.divide(1.0, mix, out=np.zeros_like(mix), where=mix > 0)
    return w / (p * w).sum()
