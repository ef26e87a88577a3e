import numpy as np
import torch

from colorization.bins import ab_bins, nearest_bin, soft_encode

# Zhang's pts_in_hull as a->(b_min, b_max), written independently of the library's table.
ZHANG_HULL_RANGES = [
    (-90, 50, 90), (-80, 20, 90), (-70, 0, 90), (-60, -20, 90), (-50, -30, 100), (-40, -40, 100),
    (-30, -50, 100), (-20, -50, 100), (-10, -60, 100), (0, -70, 100), (10, -80, 90), (20, -80, 90),
    (30, -90, 90), (40, -100, 90), (50, -100, 80), (60, -110, 80), (70, -110, 80), (80, -110, 70),
    (90, -110, 70), (100, -90, 0),
]


def test_bins_are_zhangs_313_in_order():
    bins = ab_bins()
    ref = np.array([(a, b) for a, lo, hi in ZHANG_HULL_RANGES for b in np.arange(lo, hi + 1, 10)])
    assert bins.shape == (313, 2)
    np.testing.assert_array_equal(bins, ref)
    # spot checks of Zhang's first and last entries
    assert tuple(bins[0]) == (-90, 50) and tuple(bins[-1]) == (100, 0)


def _brute_force_soft_encode(ab, bins, k, sigma):
    n, _, h, w = ab.shape
    out = np.zeros((n, len(bins), h, w))
    for i in range(n):
        for y in range(h):
            for x in range(w):
                d = np.sqrt(((bins - ab[i, :, y, x]) ** 2).sum(1))
                nn = np.argsort(d)[:k]
                g = np.exp(-(d[nn] ** 2) / (2 * sigma**2))
                out[i, nn, y, x] = g / g.sum()
    return out


def test_soft_encode_equals_brute_force():
    rng = np.random.default_rng(0)
    ab = rng.uniform(-100, 100, (2, 2, 5, 4)).astype(np.float32)
    bins = ab_bins()
    for k in (1, 5, 10):
        ours = soft_encode(torch.from_numpy(ab), bins, k=k, sigma=5.0).numpy()
        ref = _brute_force_soft_encode(ab.astype(np.float64), bins.astype(np.float64), k, 5.0)
        np.testing.assert_allclose(ours, ref, atol=1e-5)
        np.testing.assert_allclose(ours.sum(1), 1.0, atol=1e-5)
        assert ((ours > 0).sum(1) <= k).all()


def test_pixel_on_bin_centre_puts_largest_weight_there():
    bins = ab_bins()
    ab = torch.from_numpy(bins[[0, 100, 312]].T[None, :, :, None].copy())  # (1,2,3,1)
    z = soft_encode(ab, bins)
    assert z[0, :, :, 0].argmax(0).tolist() == [0, 100, 312]
    assert nearest_bin(ab)[0, :, 0].tolist() == [0, 100, 312]


def test_nearest_bin_matches_argmin():
    rng = np.random.default_rng(3)
    ab = rng.uniform(-120, 120, (1, 2, 7, 7)).astype(np.float32)
    d = ((ab_bins()[:, :, None, None] - ab[0][None]) ** 2).sum(1)
    np.testing.assert_array_equal(nearest_bin(torch.from_numpy(ab))[0].numpy(), d.argmin(0))


def test_far_out_of_gamut_is_finite():
    z = soft_encode(torch.full((1, 2, 1, 1), 500.0))
    assert torch.isfinite(z).all() and abs(z.sum().item() - 1) < 1e-5
