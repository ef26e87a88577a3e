import torch

from colorization.bins import ab_bins
from colorization.decode import annealed_mean


def test_t_one_is_mean_and_t_zero_is_mode():
    logits = torch.randn(2, 313, 3, 3)
    bins = torch.from_numpy(ab_bins())
    mean = torch.einsum("nqhw,qc->nchw", torch.softmax(logits, 1), bins)
    assert torch.allclose(annealed_mean(logits, T=1.0), mean, atol=1e-4)
    mode = bins[logits.argmax(1)].permute(0, 3, 1, 2)
    assert torch.allclose(annealed_mean(logits, T=0), mode)
    assert torch.allclose(annealed_mean(logits, T=1e-4), mode, atol=1e-2)


def test_annealed_mean_matches_equation_3():
    logits = torch.randn(1, 313, 2, 2)
    z = torch.softmax(logits, 1).double()
    f = torch.exp(torch.log(z) / 0.38)
    f = f / f.sum(1, keepdim=True)
    ref = torch.einsum("nqhw,qc->nchw", f, torch.from_numpy(ab_bins()).double())
    assert torch.allclose(annealed_mean(logits, T=0.38).double(), ref, atol=1e-3)


def test_huge_logits_stay_finite():
    logits = torch.randn(1, 313, 4, 4) * 1e4
    for T in (0.38, 0.01, 1.0):
        ab = annealed_mean(logits, T=T)
        assert torch.isfinite(ab).all()
        assert ab.abs().max() <= 110 + 1e-3
