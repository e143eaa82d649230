"""tools/pickaback/run_pipeline.sh: the five Pick-a-back steps on Split-Digits, short setting."""
import json
from pathlib import Path

import pytest
import torch

from mm_cl_addon.compat import load_checkpoint
from tests.e2e.helpers import run_tool

pytestmark = pytest.mark.e2e


def test_pipeline_selects_a_backbone_and_trains_the_target_without_changing_it(tmp_path):
    work = tmp_path / 'pickaback'
    result = run_tool('bash', 'tools/pickaback/run_pipeline.sh', str(work), '3', '1', '2',
                      env=dict(EPOCHS='1'), timeout=600)
    selection = json.loads((work / 'selection' / 'selection.json').read_text())
    assert sorted(selection['scores']) == ['task1', 'task2'] and selection['tasks'] == {
        'task1': 1, 'task2': 1}
    best = max(selection['scores'], key=selection['scores'].get)
    assert selection['selected'] == best  # the most similar candidate, not the least
    assert f"Selected backbone for target task3 = {best}" in result.stdout
    for task in (1, 2):
        choice = json.loads((work / 'backbone' / f'task{task}' / 'choice.json').read_text())
        assert Path(choice['checkpoint']).is_file()
    # The target trained as task 2 on the backbone: the backbone's weights are untouched.
    backbone = load_checkpoint(selection['checkpoints'][best])['state_dict']
    target_dir = work / 'target' / 'task3'
    final = load_checkpoint((target_dir / 'last_checkpoint').read_text().strip())['state_dict']
    weight = 'backbone.stages.0.0.weight'
    owner = final['backbone.stages.0.0.packnet_owner']
    old = backbone['backbone.stages.0.0.packnet_owner']
    leading = tuple(slice(0, size) for size in old.shape)
    assert torch.equal(owner[leading][old == 1], old[old == 1])
    assert torch.equal(final[weight][leading][old == 1], backbone[weight][old == 1])
    assert (owner == 2).any() and not (owner > 2).any()
    summary = json.loads((target_dir / 'continual_accuracy.json').read_text())
    assert summary['num_tasks'] == 1
    # Every output exists: a second run skips the training steps and selects the same.
    again = run_tool('bash', 'tools/pickaback/run_pipeline.sh', str(work), '3', '1', '2',
                     env=dict(EPOCHS='1'), timeout=300)
    assert f'backbone for task 3: {best}' in again.stdout
