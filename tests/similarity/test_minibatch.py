import pytest
import torch

from mm_cl_addon.similarity import MinibatchCKA, linear_cka


def _layers(n=2000, seed=0):
    gen = torch.Generator().manual_seed(seed)
    base = torch.randn(n, 8, generator=gen)
    correlated = base @ torch.randn(8, 12, generator=gen) + 2 * torch.randn(n, 12, generator=gen)
    independent = torch.randn(n, 10, generator=gen)
    return base, correlated, independent


def test_many_batches_approach_full_batch_debiased_cka():
    base, correlated, independent = _layers()
    mb = MinibatchCKA(1, 2)
    for start in range(0, 2000, 100):
        mb.update([base[start:start + 100]], [correlated[start:start + 100],
                                              independent[start:start + 100]])
    result = mb.compute()
    assert result.shape == (1, 2) and result.dtype == torch.float64 and mb.batches == 20
    full = linear_cka(base, correlated, debiased=True).item()
    assert 0.3 < full < 0.9
    assert result[0, 0].item() == pytest.approx(full, abs=0.02)
    assert abs(result[0, 1].item()) < 0.02
    # The biased per-batch estimate is visibly off, which is why batches use the unbiased one.
    assert linear_cka(base[:100], independent[:100]).item() > 0.03


def test_one_batch_equals_debiased_cka():
    base, correlated, _ = _layers(n=60)
    mb = MinibatchCKA(2, 1)
    mb.update([base, correlated], [correlated])
    expected = torch.stack([linear_cka(base, correlated, debiased=True),
                            linear_cka(correlated, correlated, debiased=True)])
    assert torch.allclose(mb.compute()[:, 0], expected, atol=1e-10)


def test_errors():
    base, correlated, _ = _layers(n=20)
    mb = MinibatchCKA(1, 1)
    with pytest.raises(RuntimeError, match='before any update'):
        mb.compute()
    with pytest.raises(ValueError, match='expected 1 xs and 1 ys'):
        mb.update([base, base], [correlated])
    with pytest.raises(ValueError, match='n >= 4'):
        mb.update([base[:3]], [correlated[:3]])
    with pytest.raises(ValueError, match=r'ys\[0\] has 19 samples'):
        mb.update([base], [correlated[:-1]])
    with pytest.raises(ValueError, match='num_y must be >= 1'):
        MinibatchCKA(1, 0)


def test_float32_kernels_stay_within_the_documented_error_of_float64():
    base, correlated, independent = _layers(n=1024)
    exact, fast = MinibatchCKA(2, 2), MinibatchCKA(2, 2, dtype=torch.float32)
    wide = torch.cat([correlated, base @ torch.randn(8, 500)], dim=1)  # gram form (d > n)
    for start in range(0, 1024, 256):
        rows = slice(start, start + 256)
        for mb in (exact, fast):
            mb.update([base[rows], wide[rows]], [correlated[rows], independent[rows]])
    assert fast.compute().dtype == torch.float64
    assert torch.allclose(fast.compute(), exact.compute(), atol=1e-5)
    with pytest.raises(ValueError, match='dtype must be torch.float32 or torch.float64'):
        MinibatchCKA(1, 1, dtype=torch.float16)
