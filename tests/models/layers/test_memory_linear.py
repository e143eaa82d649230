import math

import pytest
import torch
import torch.nn.functional as F

from mm_cl_addon.models.layers import MemoryLinear


def _tiny(shared_keys: bool, **kwargs) -> MemoryLinear:
    torch.manual_seed(0)
    return MemoryLinear(2, 2, 3, 2, shared_keys=shared_keys, **kwargs)


def _reference(layer: MemoryLinear, x: list[float]) -> list[float]:
    """The layer's formula for one sample, written with Python loops and floats."""
    d, m = layer.in_features, layer.num_memories
    keys, memories = layer.keys.tolist(), layer.memories.tolist()
    p = [math.copysign(1.0, v) if v else 0.0 for v in x] if layer.psi == 'sign' else x

    def sim(k: list[float]) -> float:
        dot = sum(a * b for a, b in zip(p, k))
        if layer.similarity == 'cosine':
            return dot / math.sqrt(sum(a * a for a in p) * sum(b * b for b in k))
        if layer.similarity == 'dot_scaled':
            return dot / math.sqrt(len(p))
        return -math.sqrt(sum((a - b) ** 2 for a, b in zip(p, k)))

    out = []
    for o in range(layer.out_features):
        s = 0 if layer.shared_keys else o
        sims = [sim(k) for k in keys[s]]
        best = sorted(range(m), key=lambda j: -sims[j])[:layer.delta]
        exps = [math.exp(sims[j] / layer.gamma) for j in best]
        attn = [e / sum(exps) for e in exps]
        unit = [sum(a * memories[s][j][c] for a, j in zip(attn, best))
                for c in range(len(memories[s][0]))]
        row = unit[o * (d + 1):(o + 1) * (d + 1)] if layer.shared_keys else unit
        out.append(sum(w * v for w, v in zip(row, x + [1.0])))
    return out


@pytest.mark.parametrize('shared_keys', [False, True])
@pytest.mark.parametrize('similarity', ['cosine', 'dot_scaled', 'euclidean'])
@pytest.mark.parametrize('psi', ['identity', 'sign'])
def test_forward_matches_hand_computation(shared_keys, similarity, psi):
    layer = _tiny(shared_keys, similarity=similarity, psi=psi, gamma=0.7)
    assert layer.memories.shape == ((1, 3, 6) if shared_keys else (2, 3, 3))
    xs = [[0.5, -1.5], [2.0, 0.3], [-0.2, -0.9]]
    out = layer(torch.tensor(xs))
    expected = torch.tensor([_reference(layer, x) for x in xs])
    torch.testing.assert_close(out, expected)


def test_attention_hard_coded():
    layer = _tiny(False, similarity='euclidean')
    layer.keys.data[0] = torch.tensor([[1.0, 1.0], [1.0, 3.0], [4.0, 1.0]])  # distances 0, 2, 3
    layer.memories.data[0] = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [9.0, 9.0, 9.0]])
    attn, idx, sim = layer.attention(torch.tensor([[1.0, 1.0]]))
    a0 = 1 / (1 + math.exp(-2))
    torch.testing.assert_close(attn[0, 0], torch.tensor([a0, 1 - a0]))
    assert idx[0, 0].tolist() == [0, 1]
    # W_0 = a0 * [1, 0, 1] + a1 * [0, 1, 0], input [1, 1; 1]
    y = layer(torch.tensor([[1.0, 1.0]]))
    torch.testing.assert_close(y[0, 0], torch.tensor(2 * a0 + 1 - a0))


def _grad_rows(grad: torch.Tensor) -> list[list[bool]]:
    return (grad.abs().flatten(2).sum(-1) > 0).tolist()


@pytest.mark.parametrize('memory_update, rows', [('vanilla', [True, True, False]),
                                                 ('WTA', [True, False, False])])
def test_memory_gradient(memory_update, rows):
    layer = _tiny(False, similarity='euclidean', memory_update=memory_update)
    layer.keys.data[:] = torch.tensor([[0.0, 0.0], [1.0, 0.0], [5.0, 5.0]])  # ranks 0, 1, 2
    layer(torch.tensor([[0.1, 0.0]])).sum().backward()
    assert _grad_rows(layer.memories.grad) == [rows, rows]


@pytest.mark.parametrize('key_update, rows', [('grad_not_WTA', [True, True, False]),
                                              ('grad_WTA', [True, False, False])])
def test_key_gradient(key_update, rows):
    layer = _tiny(False, similarity='dot_scaled', key_update=key_update)
    layer.keys.data[:] = torch.tensor([[3.0, 0.0], [2.0, 0.5], [-4.0, 0.0]])  # ranks 0, 1, 2
    layer(torch.tensor([[1.0, 0.2]])).sum().backward()
    assert _grad_rows(layer.keys.grad) == [rows, rows]


def test_ad_hoc_keys_are_buffers_with_no_gradient():
    layer = _tiny(False, key_update='ad_hoc_WTA')
    assert not any(p is layer.keys for p in layer.parameters())
    assert 'keys' in layer.state_dict()
    assert not layer.keys.requires_grad


@pytest.mark.parametrize('similarity', ['dot_scaled', 'euclidean', 'cosine'])
def test_ad_hoc_moves_only_the_winner(similarity):
    layer = _tiny(False, similarity=similarity, key_update='ad_hoc_WTA', key_lr=0.25)
    layer.keys[:] = torch.tensor([[3.0, 1.0], [-1.0, 2.0], [-2.0, -3.0]])  # winner: key 0
    before = layer.keys.clone()
    x = torch.tensor([[2.0, 0.5]])
    layer(x).sum().backward()
    layer.update_keys()
    if similarity == 'cosine':
        k, p = F.normalize(before[:, 0], dim=-1), F.normalize(x[0], dim=-1)
        expected = F.normalize(k + 0.25 * (p - k), dim=-1)
    else:
        expected = before[:, 0] + 0.25 * (x[0] - before[:, 0])
    torch.testing.assert_close(layer.keys[:, 0], expected)
    torch.testing.assert_close(layer.keys[:, 1:], before[:, 1:])


def test_ad_hoc_batch_uses_the_mean_of_the_won_inputs():
    layer = _tiny(False, similarity='euclidean', key_update='ad_hoc_WTA', key_lr=0.5)
    layer.keys[:] = torch.tensor([[0.0, 0.0], [10.0, 10.0], [-10.0, 10.0]])
    before = layer.keys.clone()
    layer(torch.tensor([[1.0, 0.0], [0.0, 3.0]]))
    layer.update_keys()
    torch.testing.assert_close(layer.keys[:, 0], torch.tensor([[0.25, 0.75]] * 2))
    torch.testing.assert_close(layer.keys[:, 1:], before[:, 1:])
    assert layer.wins.tolist() == [[2, 0, 0]] * 2
    assert layer.age.tolist() == [[2, 2, 2]] * 2


def test_forward_uses_pre_update_keys_and_update_runs_once():
    layer = _tiny(False, similarity='euclidean', key_update='ad_hoc_WTA', key_lr=0.5)
    x = torch.tensor([[0.5, -1.5], [2.0, 0.3]])
    before = layer.keys.clone()
    y = layer(x)
    y.sum().backward()
    layer.update_keys()
    moved = layer.keys.clone()
    assert not torch.equal(moved, before)
    layer.update_keys()  # nothing new since the last forward
    torch.testing.assert_close(layer.keys, moved)
    layer.keys.copy_(before)
    torch.testing.assert_close(layer(x), y)
    layer.keys.copy_(moved)
    assert not torch.allclose(layer(x), y)


def test_eval_mode_does_not_update_keys():
    layer = _tiny(False, key_update='ad_hoc_WTA', key_lr=0.5, scramble=True, tau_mu=0,
                  tau_alpha=2.0, tau_eta=2.0)
    before = layer.keys.clone()
    x = torch.tensor([[0.5, -1.5]])
    layer.eval()
    layer(x)
    layer.update_keys()
    layer.train()
    layer(x)
    layer.eval()  # a training forward followed by eval: still nothing
    layer.update_keys()
    torch.testing.assert_close(layer.keys, before)
    assert layer.wins.sum() == 0 and layer.age.sum() == 0


def _scrambler(wins: list[int], age: list[int]) -> MemoryLinear:
    layer = MemoryLinear(4, 1, 3, 1, similarity='cosine', key_update='ad_hoc_WTA', key_lr=0.5,
                         scramble=True, tau_alpha=0.1, tau_mu=10, tau_eta=0.5)
    layer.keys[0] = torch.eye(4)[:3]
    layer.wins[0] = torch.tensor(wins)
    layer.age[0] = torch.tensor(age)
    return layer


def test_scramble_fires_moves_key_makes_it_winner_and_resets_counters():
    layer = _scrambler([50, 50, 0], [100, 100, 100])
    x = torch.tensor([[0.3, 0.0, 0.0, math.sqrt(0.91)]])  # raw cosine to key 0: 0.3 < 0.5
    before = layer.keys.clone()
    layer(x)
    layer.update_keys()
    torch.testing.assert_close(layer.keys[0, 2], x[0])
    torch.testing.assert_close(layer.keys[0, :2], before[0, :2])  # old winner did not win
    assert layer.wins.tolist() == [[50, 50, 1]]
    assert layer.age.tolist() == [[101, 101, 1]]


@pytest.mark.parametrize('wins, age, cos', [
    ([50, 50, 0], [100, 100, 100], 0.6),  # input matched well enough (raw cosine, d=4)
    ([50, 50, 0], [100, 100, 5], 0.3),  # unused key too young
    ([50, 50, 20], [100, 100, 100], 0.3),  # key used too often
])
def test_scramble_does_not_fire(wins, age, cos):
    layer = _scrambler(wins, age)
    x = torch.tensor([[cos, 0.0, 0.0, math.sqrt(1 - cos ** 2)]])
    before = layer.keys.clone()
    layer(x)
    layer.update_keys()
    torch.testing.assert_close(layer.keys[0, 1:], before[0, 1:])
    assert not torch.allclose(layer.keys[0, 0], before[0, 0])  # the usual winner moved
    assert layer.wins.tolist() == [[wins[0] + 1, wins[1], wins[2]]]
    assert layer.age.tolist() == [[a + 1 for a in age]]


def test_scramble_gives_each_firing_sample_its_own_key():
    layer = MemoryLinear(4, 1, 4, 2, similarity='cosine', scramble=True, tau_alpha=0.1,
                         tau_mu=10, tau_eta=0.5)
    layer.keys.data[0] = torch.eye(4)
    layer.wins[0] = torch.tensor([50, 5, 0, 50])  # key 2 least used, then key 1
    layer.age[0] = torch.tensor([100, 100, 100, 100])
    x = torch.tensor([[2.0, 0.0, 0.0, 0.0], [-1.0, -0.5, -0.2, -1.0], [-0.3, -1.0, -0.7, -0.2]])
    layer(x)
    layer.update_keys()
    assert isinstance(layer.keys, torch.nn.Parameter)
    torch.testing.assert_close(layer.keys[0, 2], x[1])
    torch.testing.assert_close(layer.keys[0, 1], x[2])
    torch.testing.assert_close(layer.keys[0, [0, 3]], torch.eye(4)[[0, 3]])
    assert layer.wins.tolist() == [[51, 1, 1, 50]]
    assert layer.age.tolist() == [[103, 1, 1, 103]]


@pytest.mark.parametrize('shared_keys', [False, True])
@pytest.mark.parametrize('psi, key_dim', [('identity', None), ('resize', 64)])
def test_shapes(shared_keys, psi, key_dim):
    layer = MemoryLinear(512, 10, 100, 5, shared_keys=shared_keys, psi=psi, key_dim=key_dim,
                         layer_norm=True)
    assert layer.keys.shape == (1 if shared_keys else 10, 100, key_dim or 512)
    out = layer(torch.randn(128, 512))
    assert out.shape == (128, 10)
    out.sum().backward()
    assert layer.memories.grad.shape == layer.memories.shape


def test_no_bias():
    layer = MemoryLinear(2, 3, 4, 2, bias=False)
    assert layer.memories.shape == (3, 4, 2)
    assert layer(torch.zeros(5, 2)).abs().sum() == 0


@pytest.mark.parametrize('kwargs, name', [
    (dict(delta=5), 'delta'),
    (dict(psi='bogus'), 'psi'),
    (dict(similarity='l1'), 'similarity'),
    (dict(memory_update='soft'), 'memory_update'),
    (dict(key_update='hebb'), 'key_update'),
    (dict(key_init='zeros'), 'key_init'),
    (dict(gamma=0.0), 'gamma'),
    (dict(key_lr=1.5), 'key_lr'),
    (dict(psi='resize'), 'key_dim'),
    (dict(key_dim=3), 'key_dim'),
])
def test_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        MemoryLinear(2, 2, 3, **kwargs)


@pytest.mark.parametrize('key_update', ['ad_hoc_WTA', 'grad_not_WTA'])
def test_key_init_spread(key_update):
    """'uniform' draws every key component in [-1/sqrt(d_k), 1/sqrt(d_k)] and fills that range;
    'normal' is N(0, 1), whose draws leave it."""
    torch.manual_seed(0)
    bound = 1 / math.sqrt(16)
    uniform = MemoryLinear(16, 3, 400, key_init='uniform', key_update=key_update).keys
    assert uniform.abs().max() <= bound and uniform.abs().max() > 0.99 * bound
    assert uniform.mean().abs() < 0.01
    normal = MemoryLinear(16, 3, 400, key_update=key_update).keys
    assert abs(normal.std().item() - 1) < 0.05


def test_bad_input_shape():
    with pytest.raises(ValueError, match='x must have shape'):
        MemoryLinear(2, 2, 3)(torch.zeros(4, 3))
