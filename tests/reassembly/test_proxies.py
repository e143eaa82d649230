"""NASWOT and SynFlow against hand computations and their known properties."""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from mm_cl_addon.reassembly import PROXIES, naswot_score, synflow_score


def hand_network() -> nn.Sequential:
    layer = nn.Linear(2, 3)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
        layer.bias.zero_()
    return nn.Sequential(layer, nn.ReLU())


def test_naswot_hand_computation() -> None:
    # pre-activations (1,-1,0), (-1,1,0), (1,1,2) -> codes 100, 010, 111 (0 is not > 0).
    # Every pair differs in 2 of N_A = 3 units: K_H = [[3,1,1],[1,3,1],[1,1,3]], det = 20.
    inputs = torch.tensor([[1.0, -1.0], [-1.0, 1.0], [1.0, 1.0]])
    assert naswot_score(hand_network(), inputs) == pytest.approx(math.log(20.0))


def test_naswot_concatenates_relus_and_flags_equal_codes() -> None:
    net = nn.Sequential(hand_network(), nn.Linear(3, 1, bias=False), nn.ReLU())
    nn.init.constant_(net[1].weight, 1.0)
    # second ReLU: sums 1, 1, 4 -> all on; codes 1001, 0101, 1111; N_A = 4.
    # K_H = [[4,2,2],[2,4,2],[2,2,4]], det = 4(16-4) - 2(8-4) + 2(4-8) = 32.
    inputs = torch.tensor([[1.0, -1.0], [-1.0, 1.0], [1.0, 1.0]])
    assert naswot_score(net, inputs) == pytest.approx(math.log(32.0))
    assert naswot_score(net, inputs[[0, 0, 1]]) == -math.inf


def test_naswot_permutation_invariant() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(inplace=True), nn.Flatten(),
                        nn.Linear(8 * 36, 16), nn.ReLU())
    inputs = torch.randn(10, 3, 8, 8)
    score = naswot_score(net, inputs)
    assert math.isfinite(score)
    assert naswot_score(net, inputs[torch.randperm(10)]) == pytest.approx(score, rel=1e-12)


def test_naswot_needs_relu() -> None:
    with pytest.raises(ValueError, match='Linear'):
        naswot_score(nn.Linear(2, 2), torch.ones(3, 2))


def test_synflow_conservation_law() -> None:
    # Without biases, |W_l| dR/d|W_l| sums to R for every layer (Tanaka et al.): score = L * R.
    torch.manual_seed(1)
    w1, w2, w3 = torch.randn(4, 3), torch.randn(5, 4), torch.randn(2, 5)
    net = nn.Sequential(nn.Linear(3, 4, bias=False), nn.ReLU(), nn.Linear(4, 5, bias=False),
                        nn.ReLU(), nn.Linear(5, 2, bias=False))
    with torch.no_grad():
        for layer, w in zip(net[::2], (w1, w2, w3)):
            layer.weight.copy_(w)
    r = float((w3.double().abs() @ w2.double().abs() @ w1.double().abs()).sum())
    assert synflow_score(net, (3,)) == pytest.approx(3 * r, rel=1e-12)
    assert torch.equal(net[0].weight, w1)  # signs untouched
    assert net[0].weight.grad is None and net[0].weight.dtype == torch.float32


def test_synflow_bias_and_batchnorm_eval() -> None:
    # Linear(1, 1) weight w, bias b, then BN in eval with running mean m, var v, affine g, beta:
    # R = |g| (|w| + |b| - m) / sqrt(v + eps) + |beta|; sum |theta dR/dtheta| written out below.
    net = nn.Sequential(nn.Linear(1, 1), nn.BatchNorm1d(1))
    with torch.no_grad():
        net[0].weight.fill_(-2.0)
        net[0].bias.fill_(0.5)
        net[1].weight.fill_(-3.0)
        net[1].bias.fill_(0.25)
    net[1].running_mean.fill_(1.0)
    net[1].running_var.fill_(4.0)
    net.train()
    s = math.sqrt(4.0 + net[1].eps)
    expected = 3 * 2 / s + 3 * 0.5 / s + 3 * (2 + 0.5 - 1) / s + 0.25
    assert synflow_score(net, (1,)) == pytest.approx(expected, rel=1e-12)
    assert net.training and float(net[1].running_mean) == 1.0


def test_registry() -> None:
    assert PROXIES == {'naswot': naswot_score, 'synflow': synflow_score}
