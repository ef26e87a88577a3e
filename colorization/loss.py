"""Rebalanced multinomial cross-entropy (paper eq. 1 with v(Z) from eq. 2).

The target is the soft-encoded ground truth Z at the network's output resolution;
each pixel is weighted by the rebalancing weight of its nearest bin. Zhang's
training code also gives weight 0 to images whose |ab| never exceeds 5: the
greyscale photos inside ImageNet would otherwise teach the network to output grey.
"""

import torch

from .bins import soft_encode

GREY_AB_THRESHOLD = 5.0


def colorful_image_mask(ab: torch.Tensor, threshold: float = GREY_AB_THRESHOLD) -> torch.Tensor:
    """(N,) float: 1 for images with some |a| or |b| above ``threshold``, else 0."""
    return (ab.abs().flatten(1).amax(1) > threshold).float()


def rebalanced_cross_entropy(logits, target, pixel_weights=None) -> torch.Tensor:
    """-sum_q Z log softmax(logits), weighted per pixel, averaged over all pixels.

    logits, target: (N,Q,h,w); pixel_weights: (N,h,w) or None (unweighted).
    """
    ce = -(target * torch.log_softmax(logits.float(), dim=1)).sum(1)  # (N,h,w)
    if pixel_weights is not None:
        ce = ce * pixel_weights
    return ce.mean()


def colorization_loss(logits, ab_out, bins, class_weights, k=5, sigma=5.0, drop_grey_images=True):
    """Eq. 1 from ground-truth ab at output resolution (N,2,h,w) and per-bin weights (Q,)."""
    target = soft_encode(ab_out, bins, k=k, sigma=sigma)
    # v(Z) uses the bin that carries the most soft-encoded mass, i.e. the nearest one.
    v = class_weights[target.argmax(1)]
    if drop_grey_images:
        v = v * colorful_image_mask(ab_out)[:, None, None]
    return rebalanced_cross_entropy(logits, target, v)
