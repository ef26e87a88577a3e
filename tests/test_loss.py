import numpy as np
import pytest
import torch

from colorization.bins import ab_bins, soft_encode
from colorization.loss import colorful_image_mask, colorization_loss, rebalanced_cross_entropy


def test_rebalanced_cross_entropy_by_hand_on_2x2():
    bins = ab_bins()
    torch.manual_seed(0)
    logits = torch.randn(1, 313, 2, 2)
    ab = torch.tensor([[[0.0, 20.0], [50.0, -30.0]], [[0.0, 30.0], [-40.0, 60.0]]])[None]  # (1,2,2,2)
    w_bins = torch.from_numpy(np.random.default_rng(0).uniform(0.5, 3, 313)).float()
    got = colorization_loss(logits, ab, torch.from_numpy(bins), w_bins, k=5, sigma=5.0)
    # by hand: per pixel, 5 nearest bins with Gaussian weights; v = weight of the nearest bin
    total = 0.0
    lp = torch.log_softmax(logits.double(), 1)[0].numpy()
    for y in range(2):
        for x in range(2):
            d = np.hypot(*(bins - ab[0, :, y, x].numpy()).T)
            nn = np.argsort(d)[:5]
            z = np.exp(-d[nn] ** 2 / 50.0)
            z /= z.sum()
            total += w_bins[nn[0]].item() * -(z * lp[nn, y, x]).sum()
    assert abs(got.item() - total / 4) < 1e-4


def test_uniform_weights_equal_plain_soft_cross_entropy():
    logits = torch.randn(2, 313, 3, 3)
    target = soft_encode(torch.randn(2, 2, 3, 3) * 30)
    ref = -(target * torch.log_softmax(logits, 1)).sum(1).mean()
    assert torch.allclose(rebalanced_cross_entropy(logits, target, torch.ones(2, 3, 3)), ref)


def test_greyscale_images_get_zero_weight():
    ab = torch.zeros(2, 2, 4, 4)
    ab[0, 0, 1, 1] = 6.0  # colourful
    ab[1] += 4.9  # |ab| never exceeds 5: a greyscale photo
    assert colorful_image_mask(ab).tolist() == [1.0, 0.0]
    logits = torch.randn(2, 313, 4, 4)
    w = torch.ones(313)
    only_first = colorization_loss(logits[:1], ab[:1], torch.from_numpy(ab_bins()), w)
    both = colorization_loss(logits, ab, torch.from_numpy(ab_bins()), w)
    assert torch.allclose(both, only_first / 2)  # second image contributes nothing (mean over both)


def test_sparse_loss_equals_the_dense_target_form():
    torch.manual_seed(1)
    logits = torch.randn(3, 313, 5, 4)
    ab = torch.randn(3, 2, 5, 4) * 40
    w = torch.from_numpy(np.random.default_rng(1).uniform(0.2, 4, 313)).float()
    target = soft_encode(ab, k=5, sigma=5.0)
    dense = rebalanced_cross_entropy(logits, target, w[target.argmax(1)] * colorful_image_mask(ab)[:, None, None])
    sparse = colorization_loss(logits, ab, torch.from_numpy(ab_bins()), w, k=5, sigma=5.0)
    assert torch.allclose(sparse, dense, atol=1e-5)


def test_regression_loss_by_hand():
    from colorization.loss import regression_loss

    pred = torch.zeros(1, 2, 1, 2)
    true = torch.tensor([[[[3.0, 0.0]], [[4.0, 10.0]]]])  # pixel errors (3, 4) and (0, 10)
    # 1/2 |e|^2 per pixel: 12.5 and 50, averaged over the two pixels
    assert regression_loss(pred, true, drop_grey_images=False).item() == pytest.approx((12.5 + 50) / 2)
    grey = torch.full((1, 2, 1, 2), 1.0)  # |ab| <= 5 everywhere: a greyscale photo weighs nothing
    assert regression_loss(pred, grey).item() == 0.0
