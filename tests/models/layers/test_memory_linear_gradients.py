"""MemoryLinear's sparse forward/backward against plain autograd through the dense formula."""
import itertools

import pytest
import torch

from mm_cl_addon.models.layers import MemoryLinear
from mm_cl_addon.models.layers.memory_keys import similarity, top_similarity


def _winner_only(t: torch.Tensor, dim: int) -> torch.Tensor:
    rest = t.narrow(dim, 1, t.shape[dim] - 1).detach()
    return torch.cat([t.narrow(dim, 0, 1), rest], dim)


def _dense_reference(layer: MemoryLinear, x: torch.Tensor) -> torch.Tensor:
    """The layer's formula with autograd only: gathered units, per-sample weight matrices."""
    if layer.norm is not None:
        x = layer.norm(x)
    p = layer.map_input(x)
    top = torch.topk(similarity(p, layer.keys, layer.similarity), layer.delta, dim=-1)
    values = _winner_only(top.values, -1) if layer.key_update == 'grad_WTA' else top.values
    attn = torch.softmax(values / layer.gamma, dim=-1)
    sets = torch.arange(layer.memories.shape[0])[:, None]
    units = layer.memories[sets, top.indices]  # [B, q, delta, u]
    if layer.memory_update == 'WTA':
        units = _winner_only(units, 2)
    weights = torch.einsum('bqj,bqju->bqu', attn, units).reshape(len(x), layer.out_features, -1)
    if layer.bias:
        x = torch.cat([x, x.new_ones(len(x), 1)], dim=1)
    return torch.einsum('bod,bd->bo', weights, x)


def _grads(layer: MemoryLinear, x: torch.Tensor, out: torch.Tensor, upstream: torch.Tensor):
    params = [t for t in layer.parameters()]
    return torch.autograd.grad((out * upstream).sum(), [x] + params, allow_unused=True)


CASES = list(itertools.product(
    [False, True], ['cosine', 'dot_scaled', 'euclidean'], ['vanilla', 'WTA'],
    ['grad_not_WTA', 'grad_WTA', 'ad_hoc_WTA']))


@pytest.mark.parametrize('shared_keys, similarity_kind, memory_update, key_update', CASES)
@pytest.mark.parametrize('psi, key_dim, layer_norm', [('identity', None, False),
                                                      ('resize', 3, True)])
def test_matches_dense_autograd(shared_keys, similarity_kind, memory_update, key_update,
                                psi, key_dim, layer_norm):
    torch.manual_seed(1)
    layer = MemoryLinear(5, 4, 6, 3, shared_keys=shared_keys, similarity=similarity_kind,
                         memory_update=memory_update, key_update=key_update, psi=psi,
                         key_dim=key_dim, layer_norm=layer_norm, gamma=0.6).double()
    if layer.norm is not None:  # non-trivial affine parameters
        torch.nn.init.normal_(layer.norm.weight)
        torch.nn.init.normal_(layer.norm.bias)
    x = torch.randn(7, 5, dtype=torch.double, requires_grad=True)
    upstream = torch.randn(7, 4, dtype=torch.double)
    out = layer(x)
    expected = _dense_reference(layer, x)
    torch.testing.assert_close(out, expected)
    for got, want in zip(_grads(layer, x, out, upstream), _grads(layer, x, expected, upstream)):
        assert (got is None) == (want is None)
        if got is not None:
            torch.testing.assert_close(got, want)


@pytest.mark.parametrize('shared_keys', [False, True])
@pytest.mark.parametrize('delta, bias', [(1, True), (6, True), (2, False)])
def test_extreme_delta_and_no_bias(shared_keys, delta, bias):
    torch.manual_seed(2)
    layer = MemoryLinear(5, 3, 6, delta, shared_keys=shared_keys, bias=bias,
                         memory_update='WTA').double()
    x = torch.randn(9, 5, dtype=torch.double, requires_grad=True)
    upstream = torch.randn(9, 3, dtype=torch.double)
    out, expected = layer(x), _dense_reference(layer, x)
    torch.testing.assert_close(out, expected)
    for got, want in zip(_grads(layer, x, out, upstream), _grads(layer, x, expected, upstream)):
        torch.testing.assert_close(got, want)


@pytest.mark.parametrize('kind', ['cosine', 'dot_scaled', 'euclidean'])
def test_top_similarity_is_topk_of_similarity(kind):
    torch.manual_seed(3)
    p = torch.randn(6, 4, dtype=torch.double, requires_grad=True)
    keys = torch.randn(3, 5, 4, dtype=torch.double, requires_grad=True)
    values, indices = top_similarity(p, keys, kind, 2)
    top = torch.topk(similarity(p, keys, kind), 2, dim=-1)
    assert torch.equal(indices, top.indices)
    torch.testing.assert_close(values, top.values)
    upstream = torch.randn_like(values)
    got = torch.autograd.grad((values * upstream).sum(), (p, keys))
    want = torch.autograd.grad((top.values * upstream).sum(), (p, keys))
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w)
    assert torch.autograd.gradcheck(lambda a, b: top_similarity(a, b, kind, 2)[0], (p, keys))


def test_zero_input_cosine_gradient_matches_normalize():
    keys = torch.randn(1, 4, 3, dtype=torch.double, requires_grad=True)
    p = torch.zeros(2, 3, dtype=torch.double, requires_grad=True)
    values, _ = top_similarity(p, keys, 'cosine', 2)
    top = torch.topk(similarity(p, keys, 'cosine'), 2, dim=-1).values
    torch.testing.assert_close(values, top)
    got = torch.autograd.grad(values.sum(), (p, keys))
    want = torch.autograd.grad(top.sum(), (p, keys))
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w)


@pytest.mark.parametrize('shared_keys', [False, True])
def test_second_backward_accumulates_instead_of_overwriting(shared_keys):
    """The memory gradient is written into a buffer taken in forward: a second backward
    through a retained graph must add to ``.grad``, not overwrite the first one."""
    torch.manual_seed(4)
    layer = MemoryLinear(5, 3, 6, 2, shared_keys=shared_keys).double()
    x = torch.randn(4, 5, dtype=torch.double)
    loss = layer(x).square().sum()
    loss.backward(retain_graph=True)
    once = layer.memories.grad.clone()
    loss.backward()
    torch.testing.assert_close(layer.memories.grad, 2 * once)


def test_memory_gradient_buffer_only_when_recorded(monkeypatch):
    """No gradient buffer is taken when autograd records nothing (eval, frozen memory)."""
    taken = []
    real_empty_like = torch.empty_like
    monkeypatch.setattr(torch, 'empty_like',
                        lambda *a, **k: taken.append(a[0].shape) or real_empty_like(*a, **k))
    layer = MemoryLinear(5, 3, 6, 2, shared_keys=True)
    with torch.no_grad():
        layer(torch.randn(4, 5))
    layer.memories.requires_grad_(False)
    layer(torch.randn(4, 5))
    assert layer.memories.shape not in taken
    layer.memories.requires_grad_(True)
    layer(torch.randn(4, 5))
    assert layer.memories.shape in taken
