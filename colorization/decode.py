"""From predicted bin distributions to ab point estimates: the annealed mean
(reproduction eq. 3 = Zhang et al. eq. 5).

Dividing logits by T < 1 sharpens the distribution: T = 1 is the mean (spatially
consistent but desaturated), T -> 0 the mode (vivid, with patchy artefacts);
T = 0.38 is Zhang's compromise. Everything goes through log-softmax so that logits
divided by a small T never overflow.
"""

import torch

from .bins import ab_bins
from .temperature import ZHANG_T


def annealed_mean(logits: torch.Tensor, bins=None, T: float = ZHANG_T) -> torch.Tensor:
    """logits (N,Q,h,w) -> ab (N,2,h,w). T = 0 returns the mode's bin centre."""
    centres = torch.as_tensor(ab_bins() if bins is None else bins).to(logits.device, torch.float32)
    logits = logits.float()
    if T < 0:
        raise ValueError(f"temperature T must be >= 0, got {T}")
    if T == 0:
        mode = logits.argmax(1)  # (N,h,w)
        return centres[mode].permute(0, 3, 1, 2).contiguous()
    log_p = torch.log_softmax(logits, dim=1)
    weights = torch.softmax(log_p / T, dim=1)
    return torch.einsum("nqhw,qc->nchw", weights, centres)
