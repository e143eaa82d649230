"""AGEMOptimWrapper: projects the gradient only against a conflicting reference, in closed form."""
import pytest
import torch
from torch import nn

from mm_cl_addon.engine.optim.agem import AGEMOptimWrapper, project_gradients


def _step(grad, reference):
    """One SGD step (lr 1) from w = 0 with gradient ``grad`` and reference ``reference``."""
    model = nn.Linear(3, 1, bias=False)
    nn.init.zeros_(model.weight)
    wrapper = AGEMOptimWrapper(torch.optim.SGD(model.parameters(), lr=1.0))
    r = torch.tensor([reference])
    wrapper.reference_loss = lambda: (model.weight * r).sum()  # its gradient is r
    model.weight.grad = torch.tensor([grad])
    wrapper.step()
    return (-model.weight.detach()).flatten().tolist()  # the gradient that was applied


def test_conflicting_gradient_is_projected():
    g, r = [1.0, 2.0, 0.0], [-1.0, 0.0, 1.0]  # g.r = -1, r.r = 2
    applied = _step(g, r)
    assert applied == pytest.approx([0.5, 2.0, 0.5])  # g - (-1 / 2) r
    assert sum(a * b for a, b in zip(applied, r)) == pytest.approx(0.0)


@pytest.mark.parametrize('r', [[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])  # g.r > 0 and g.r = 0
def test_agreeing_gradient_is_left_alone(r):
    assert _step([1.0, 2.0, 0.0], r) == pytest.approx([1.0, 2.0, 0.0])


def test_without_a_reference_it_is_a_plain_optimizer():
    model = nn.Linear(2, 1, bias=False)
    nn.init.ones_(model.weight)
    wrapper = AGEMOptimWrapper(torch.optim.SGD(model.parameters(), lr=0.5))
    wrapper.reference_loss = lambda: None  # empty memory
    model.weight.grad = torch.tensor([[2.0, -2.0]])
    wrapper.step()
    assert model.weight.flatten().tolist() == [0.0, 2.0]


def test_projection_spans_all_parameter_pieces():
    grads = [torch.tensor([1.0]), torch.tensor([0.0, 1.0])]
    reference = [torch.tensor([-1.0]), torch.tensor([0.0, 0.0])]
    assert project_gradients(grads, reference)
    assert [g.tolist() for g in grads] == [[0.0], [0.0, 1.0]]
