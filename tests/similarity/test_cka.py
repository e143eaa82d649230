import itertools
import warnings

import numpy as np
import pytest
import torch

import mm_cl_addon.similarity.cka as cka_module
from mm_cl_addon.similarity import cka_matrix, linear_cka, lr_similarity, rbf_bandwidth, rbf_cka


def _data(n=40, d1=6, d2=9, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d1, generator=gen, dtype=torch.float64)
    y = x @ torch.randn(d1, d2, generator=gen, dtype=torch.float64)
    return x, y + torch.randn(n, d2, generator=gen, dtype=torch.float64)


def _unbiased_hsic_loops(k, m):
    """Song et al. (2012) U-statistic, written term by term over distinct index tuples."""
    n = k.shape[0]
    idx = range(n)
    pairs = sum(k[i, j] * m[i, j] for i, j in itertools.permutations(idx, 2))
    triples = sum(k[i, j] * m[i, q] for i, j, q in itertools.permutations(idx, 3))
    quads = sum(k[i, j] * m[q, r] for i, j, q, r in itertools.permutations(idx, 4))
    return (pairs / (n * (n - 1)) - 2 * triples / (n * (n - 1) * (n - 2))
            + quads / (n * (n - 1) * (n - 2) * (n - 3)))


@pytest.mark.parametrize('debiased', [False, True])
def test_self_similarity_is_one(debiased):
    x, _ = _data()
    for value in (linear_cka(x, x, debiased, 'feature'), linear_cka(x, x, debiased, 'gram'),
                  rbf_cka(x, x, debiased=debiased)):
        assert value.dtype == torch.float64 and value.dim() == 0
        assert value.item() == pytest.approx(1.0, abs=1e-12)
    assert lr_similarity(x, x).item() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize('debiased', [False, True])
def test_feature_and_gram_forms_agree(debiased):
    x, y = _data(n=30, d1=5, d2=40)  # d2 > n: 'auto' would pick the Gram form
    gram = linear_cka(x, y, debiased, 'gram')
    assert linear_cka(x, y, debiased, 'feature').item() == pytest.approx(gram.item(), abs=1e-10)
    assert linear_cka(x, y, debiased, 'auto').item() == pytest.approx(gram.item(), abs=1e-10)
    assert 0.1 < gram.item() < 0.99


@pytest.mark.parametrize('debiased', [False, True])
def test_linear_cka_invariances(debiased):
    x, y = _data()
    base = linear_cka(x, y, debiased).item()
    rotation, _ = torch.linalg.qr(torch.randn(9, 9, dtype=torch.float64))
    assert linear_cka(x, y @ rotation, debiased).item() == pytest.approx(base, abs=1e-10)
    assert linear_cka(3.7 * x + 2.0, y, debiased).item() == pytest.approx(base, abs=1e-10)
    # Not invariant to a general (anisotropic) linear map.
    stretch = torch.diag(torch.tensor([50.0, 1, 1, 1, 1, 1], dtype=torch.float64))
    assert abs(linear_cka(x @ stretch, y, debiased).item() - base) > 1e-3


def test_debiased_matches_loop_u_statistic():
    x, y = _data(n=6, d1=3, d2=4, seed=3)
    xc, yc = x - x.mean(0), y - y.mean(0)
    k, m = xc @ xc.T, yc @ yc.T
    expected = _unbiased_hsic_loops(k, m) / np.sqrt(
        _unbiased_hsic_loops(k, k) * _unbiased_hsic_loops(m, m))
    for method in ('feature', 'gram'):
        assert linear_cka(x, y, True, method).item() == pytest.approx(float(expected), abs=1e-10)
    biased = linear_cka(x, y).item()
    assert abs(biased - float(expected)) > 1e-3


def test_numpy_inputs_and_errors():
    x, y = _data()
    assert linear_cka(x.numpy(), y.float().numpy()).item() == pytest.approx(
        linear_cka(x, y).item(), abs=1e-6)
    with pytest.raises(ValueError, match='same number of samples'):
        linear_cka(x, y[:-1])
    with pytest.raises(ValueError, match='n >= 4'):
        linear_cka(x[:3], y[:3], debiased=True)
    with pytest.raises(ValueError, match='x must be 2-D'):
        linear_cka(x[:, 0], y)
    with pytest.raises(ValueError, match="method must be one of"):
        linear_cka(x, y, method='fast')


def test_rbf_bandwidth_rule():
    x = torch.tensor([[0.0], [1.0], [3.0]], dtype=torch.float64)  # distances 1, 2, 3: median 2
    y = torch.tensor([[0.0], [2.0], [1.0]], dtype=torch.float64)  # distances 2, 1, 1: median 1
    assert rbf_bandwidth(x, 0.5) == pytest.approx(1.0)
    h = torch.eye(3, dtype=torch.float64) - 1 / 3

    def centred_kernel(m, sigma):
        return h @ torch.exp(-torch.cdist(m, m) ** 2 / (2 * sigma ** 2)) @ h

    kc, lc = centred_kernel(x, 0.8 * 2), centred_kernel(y, 0.8 * 1)
    expected = (kc * lc).sum() / torch.sqrt((kc * kc).sum() * (lc * lc).sum())
    assert rbf_cka(x, y).item() == pytest.approx(expected.item(), abs=1e-12)
    kc, lc = centred_kernel(x, 0.3), centred_kernel(y, 0.3)
    expected = (kc * lc).sum() / torch.sqrt((kc * kc).sum() * (lc * lc).sum())
    assert rbf_cka(x, y, sigma=0.3).item() == pytest.approx(expected.item(), abs=1e-12)


@pytest.mark.parametrize('debiased', [False, True])
def test_rbf_with_large_sigma_tends_to_linear(debiased):
    x, y = _data(n=30)
    linear = linear_cka(x, y, debiased).item()
    # Not much larger: the debiased form then cancels 1 - eps terms in float64.
    assert rbf_cka(x, y, sigma=1e3, debiased=debiased).item() == pytest.approx(linear, abs=1e-4)
    assert abs(rbf_cka(x, y, debiased=debiased).item() - linear) > 1e-3


@pytest.mark.parametrize(('method', 'debiased'), [('linear', False), ('linear', True),
                                                  ('rbf', False), ('rbf', True), ('lr', False)])
def test_cka_matrix_matches_pairs_and_computes_stats_once(monkeypatch, method, debiased):
    gen = torch.Generator().manual_seed(1)
    xs = [torch.randn(25, d, generator=gen, dtype=torch.float64) for d in (3, 7, 30)]
    ys = [xs[0] @ torch.randn(3, 4, generator=gen, dtype=torch.float64), xs[2][:, :5]]
    helper = {'linear': 'linear_stats', 'rbf': 'rbf_stats', 'lr': None}[method]
    calls = []
    if helper is not None:
        real = getattr(cka_module, helper)
        monkeypatch.setattr(cka_module, helper, lambda x, *a: calls.append(x) or real(x, *a))
    else:
        import mm_cl_addon.similarity.regression as regression
        real = regression.orthonormal_basis
        monkeypatch.setattr(regression, 'orthonormal_basis',
                            lambda y, *a: calls.append(y) or real(y, *a))
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # xs[2] is wider than n for 'lr'
        matrix = cka_matrix(xs, ys, method, debiased)
    assert matrix.shape == (3, 2) and matrix.dtype == torch.float64
    assert len(calls) == (2 if method == 'lr' else 5)
    monkeypatch.undo()
    pair = {'linear': lambda x, y: linear_cka(x, y, debiased, 'gram'),
            'rbf': lambda x, y: rbf_cka(x, y, debiased=debiased), 'lr': lr_similarity}[method]
    for i, j in itertools.product(range(3), range(2)):
        assert matrix[i, j].item() == pytest.approx(pair(xs[i], ys[j]).item(), abs=1e-10)


def test_cka_matrix_errors():
    x, y = _data()
    with pytest.raises(ValueError, match=r'ys\[1\] has 39 samples'):
        cka_matrix([x], [y, y[:-1]])
    with pytest.raises(ValueError, match='method must be one of'):
        cka_matrix([x], [y], 'cosine')
    with pytest.raises(ValueError, match='non-empty'):
        cka_matrix([], [y])
