import pytest
import torch

from mm_cl_addon.similarity import lr_similarity


def _pair(n=50, d1=4, d2=6, seed=0):
    gen = torch.Generator().manual_seed(seed)
    y = torch.randn(n, d2, generator=gen, dtype=torch.float64)
    x = y[:, :d1] @ torch.randn(d1, d1, generator=gen, dtype=torch.float64)
    return x + torch.randn(n, d1, generator=gen, dtype=torch.float64), y


def test_matches_least_squares_residual():
    x, y = _pair()
    solution = torch.linalg.lstsq(y, x).solution
    expected = 1 - (x - y @ solution).square().sum() / x.square().sum()
    value = lr_similarity(x, y)
    assert value.dtype == torch.float64 and value.dim() == 0
    assert value.item() == pytest.approx(expected.item(), abs=1e-10)
    assert 0.2 < value.item() < 0.95


def test_asymmetric_and_uncentred():
    x, y = _pair()
    assert abs(lr_similarity(x, y).item() - lr_similarity(y, x).item()) > 1e-2
    shifted = lr_similarity(x + 5.0, y).item()  # an offset is not explained without a bias column
    assert abs(shifted - lr_similarity(x, y).item()) > 1e-2


def test_warns_when_y_is_as_wide_as_the_samples():
    x, y = _pair(n=6, d1=2, d2=6)
    with pytest.warns(UserWarning, match='6 features for 6 samples'):
        value = lr_similarity(x, y)
    assert value.item() == pytest.approx(1.0, abs=1e-12)


def test_errors():
    x, y = _pair()
    with pytest.raises(ValueError, match='same number of samples'):
        lr_similarity(x, y[:-1])
    with pytest.raises(ValueError, match='y must be 2-D'):
        lr_similarity(x, y[None])
    with pytest.raises(ValueError, match='all zeros'):
        lr_similarity(torch.zeros_like(x), y)
