"""BatchNorm re-estimation: exact statistics of the data seen, with momentum and modes restored."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from mm_cl_addon.soups import reestimate_batchnorm


def _batches(sizes=(5, 3, 7), features=3) -> list[torch.Tensor]:
    """Batches of unequal sizes and different means, so averaging per-batch statistics fails."""
    generator = torch.Generator().manual_seed(0)
    return [torch.randn(size, features, generator=generator) * (index + 1) + 3 * index
            for index, size in enumerate(sizes)]


def _call(model: nn.Module, batch: torch.Tensor) -> torch.Tensor:
    return model(batch)


def _model() -> nn.Sequential:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4, momentum=0.3), nn.ReLU(),
                          nn.Linear(4, 2))
    model[1].running_mean.fill_(7.0)
    return model


def _assert_stats(bn: nn.modules.batchnorm._BatchNorm, inputs: torch.Tensor, dims) -> None:
    inputs = inputs.double()
    torch.testing.assert_close(bn.running_mean.double(), inputs.mean(dims), rtol=0, atol=1e-5)
    torch.testing.assert_close(bn.running_var.double(), inputs.var(dims, unbiased=True),
                               rtol=1e-5, atol=1e-5)


def test_exact_statistics_and_restored_momentum_and_modes():
    model = _model()
    model.eval()
    model[3].train()  # a mixed state, to be restored module by module
    batches = _batches()
    used = reestimate_batchnorm(model, batches, _call)
    assert used == 3
    with torch.no_grad():
        _assert_stats(model[1], model[0](torch.cat(batches)), dims=0)
    assert model[1].num_batches_tracked.item() == 3
    assert model[1].momentum == 0.3
    assert [module.training for module in model.modules()] == [False, False, False, False, True]
    assert not model[1]._forward_pre_hooks


def test_spatial_batchnorm_and_num_batches():
    model = nn.Sequential(nn.BatchNorm2d(2))
    generator = torch.Generator().manual_seed(1)
    batches = [torch.randn(4, 2, 3, 3, generator=generator) + index for index in range(4)]
    remaining = iter(batches)
    assert reestimate_batchnorm(model, remaining, _call, num_batches=2) == 2
    _assert_stats(model[0], torch.cat(batches[:2]), dims=(0, 2, 3))
    assert next(remaining) is batches[2]  # no batch beyond num_batches was taken
    assert model.training


def test_no_batchnorm_means_no_iteration():
    def never():
        raise AssertionError('batches were iterated')
        yield  # pragma: no cover

    assert reestimate_batchnorm(nn.Linear(3, 2), never(), _call) == 0


def test_failures_leave_statistics_unchanged():
    model = _model()
    model.eval()
    before = {key: value.clone() for key, value in model.state_dict().items()}

    def failing(module, batch):
        module(batch)
        raise RuntimeError('out of memory')

    with pytest.raises(RuntimeError, match='out of memory'):
        reestimate_batchnorm(model, _batches(), failing)
    with pytest.raises(ValueError, match='no batch'):
        reestimate_batchnorm(model, [], _call)
    with pytest.raises(ValueError, match='num_batches=0'):
        reestimate_batchnorm(model, _batches(), _call, num_batches=0)
    after = model.state_dict()
    assert all(torch.equal(before[key], after[key]) for key in before)
    assert not model.training and not model[1].training
    assert not model[1]._forward_pre_hooks
