"""tools/pickaback/find_backbone.py: a fine-tuned copy beats an unrelated model."""
import json
import sys

import pytest
import torch
from mmengine.config import Config
from mmpretrain.registry import MODELS

from ..e2e.helpers import REPO, run_tool

pytestmark = pytest.mark.e2e
CONFIG = REPO / 'configs' / 'continual' / 'finetune_cnn_split-digits.py'


def save_model(path, seed, base=None):
    torch.manual_seed(seed)
    model = MODELS.build(Config.fromfile(str(CONFIG)).model)
    if base is not None:  # a lightly "fine-tuned" copy of base
        model.load_state_dict(base)
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.add_(0.01 * torch.randn_like(parameter))
    torch.save({'meta': {}, 'state_dict': model.state_dict()}, path)
    return model.state_dict()


def test_selects_the_related_candidate(tmp_path):
    target = save_model(tmp_path / 'target.pth', 0)
    save_model(tmp_path / 'copy.pth', 1, base=target)
    save_model(tmp_path / 'other.pth', 2)
    result = run_tool(sys.executable, 'tools/pickaback/find_backbone.py', str(CONFIG),
                      str(tmp_path / 'target.pth'), '--target-name', '3',
                      '--candidate', 'unrelated', str(CONFIG), str(tmp_path / 'other.pth'),
                      '--candidate', 'finetuned', str(CONFIG), str(tmp_path / 'copy.pth'),
                      '--num-samples', '64', '--num-pairs', '16', '--steps', '20',
                      '--out-dir', str(tmp_path / 'out'))
    assert 'Selected backbone for target 3 = finetuned' in result.stdout
    selection = json.loads((tmp_path / 'out' / 'selection.json').read_text())
    assert selection['scores']['finetuned'] > selection['scores']['unrelated']
    assert (tmp_path / 'out' / 'scores.csv').read_text().count('\n') >= 3
