"""The training losses of Zhang et al.'s Table 1 ablation.

* Classification (the paper's): the multinomial cross-entropy of the reproduction's
  eq. 1 (Zhang et al. eq. 2) against the soft-encoded ground truth Z at the
  network's output resolution, each pixel weighted by v(Z), the rebalancing weight
  of its nearest bin (reproduction eq. 2 = Zhang eq. 3-4). lambda = 1 in the weights
  is Zhang's "Ours (class)", lambda = 0.5 "Ours (full)".
* Regression (Zhang's "Ours (L2)"): the Euclidean loss of Zhang eq. 1 on ab.

Zhang's training code also gives weight 0 to images whose |ab| never exceeds 5:
the greyscale photos inside ImageNet would otherwise teach the network grey.
"""

import torch

from .bins import soft_encode_sparse

GREY_AB_THRESHOLD = 5.0


def colorful_image_mask(ab: torch.Tensor, threshold: float = GREY_AB_THRESHOLD) -> torch.Tensor:
    """(N,) float: 1 for images with some |a| or |b| above ``threshold``, else 0."""
    return (ab.abs().flatten(1).amax(1) > threshold).float()


def rebalanced_cross_entropy(logits, target, pixel_weights=None) -> torch.Tensor:
    """-sum_q Z log softmax(logits), weighted per pixel, averaged over all pixels,
    with a dense target Z. logits, target: (N,Q,h,w); pixel_weights: (N,h,w) or None.

    The dense reference, for tests and benchmarks: training calls ``colorization_loss``."""
    ce = -(target * torch.log_softmax(logits.float(), dim=1)).sum(1)  # (N,h,w)
    if pixel_weights is not None:
        ce = ce * pixel_weights
    return ce.mean()


def colorization_loss(logits, ab_out, bins, class_weights, k=5, sigma=5.0, drop_grey_images=True):
    """Reproduction eq. 1 from ground-truth ab at output resolution (N,2,h,w) and
    per-bin weights (Q,): the same value as ``rebalanced_cross_entropy`` with the dense
    ``soft_encode`` target, computed from the k non-zero entries of each pixel."""
    idx, z = soft_encode_sparse(ab_out, bins, k=k, sigma=sigma)  # (N,k,h,w) each, nearest first
    log_p = torch.log_softmax(logits.float(), dim=1).gather(1, idx)
    ce = -(z * log_p).sum(1)  # (N,h,w)
    v = class_weights[idx[:, 0]]  # v(Z): the weight of the nearest bin, which holds the most mass
    if drop_grey_images:
        v = v * colorful_image_mask(ab_out)[:, None, None]
    return (ce * v).mean()


def regression_loss(ab_pred, ab_out, drop_grey_images=True):
    """Zhang eq. 1: 1/2 ||ab_pred - ab||^2 per pixel (ab units), averaged over pixels;
    ab_pred, ab_out (N,2,h,w). Greyscale images weigh 0 as in the classification loss."""
    per_pixel = 0.5 * (ab_pred.float() - ab_out.float()).pow(2).sum(1)  # (N,h,w)
    if drop_grey_images:
        per_pixel = per_pixel * colorful_image_mask(ab_out)[:, None, None]
    return per_pixel.mean()
