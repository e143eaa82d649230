"""eval_mode: eval inside the block, the module's own mode after it, even after an error."""
import pytest
from torch import nn

from mm_cl_addon.utils.modes import eval_mode


@pytest.mark.parametrize('training', [True, False])
def test_mode_inside_and_after(training):
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout())
    model.train(training)
    with eval_mode(model) as inside:
        assert inside is model and not any(m.training for m in model.modules())
    assert all(m.training == training for m in model.modules())


def test_mode_comes_back_after_an_error():
    model = nn.Linear(2, 2).train()
    with pytest.raises(RuntimeError), eval_mode(model):
        raise RuntimeError('evaluation failed')
    assert model.training
