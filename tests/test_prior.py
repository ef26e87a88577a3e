import numpy as np
import pytest
import torch

from colorization.bins import ab_bins
from colorization.prior import empirical_prior, rebalance_weights, smooth_prior


def _random_prior(seed=0):
    p = np.random.default_rng(seed).gamma(0.3, size=313)
    return p / p.sum()


def test_weights_normalised_so_expected_weight_is_one():
    p = _random_prior()
    for lam in (0.0, 0.25, 0.5, 0.9):
        assert np.isclose((p * rebalance_weights(p, lam)).sum(), 1.0)


def test_lambda_one_gives_all_ones():
    np.testing.assert_allclose(rebalance_weights(_random_prior(), 1.0), 1.0)


def test_lambda_zero_gives_inverse_prior():
    p = _random_prior(1)
    w = rebalance_weights(p, 0.0)
    ref = 1.0 / (313 * p)
    np.testing.assert_allclose(w / w.sum(), ref / ref.sum(), rtol=1e-9)


def test_rare_bins_weigh_more_and_bad_lambda_fails():
    p = _random_prior(2)
    w = rebalance_weights(p, 0.5)
    assert w[p.argmin()] > w[p.argmax()]
    with pytest.raises(ValueError):
        rebalance_weights(p, 1.5)


def test_empirical_prior_from_ab_counts_nearest_bins():
    bins = ab_bins()
    ab = torch.from_numpy(np.stack([bins[5], bins[5], bins[5], bins[40]]).T.reshape(1, 2, 2, 2).copy())
    p = empirical_prior(ab)
    assert np.isclose(p[5], 0.75) and np.isclose(p[40], 0.25) and np.isclose(p.sum(), 1)


def test_smooth_prior_matches_dense_gaussian_over_bins():
    p = _random_prior(3)
    bins = ab_bins().astype(float)
    d2 = ((bins[:, None] - bins[None]) ** 2).sum(-1)
    ref = np.exp(-d2 / (2 * 5.0**2)) @ p  # Gaussian kernel in ab units, sampled at bin centres
    ref /= ref.sum()
    np.testing.assert_allclose(smooth_prior(p, 5.0), ref, rtol=2e-3, atol=1e-7)
    assert np.isclose(smooth_prior(p, 5.0).sum(), 1.0)
