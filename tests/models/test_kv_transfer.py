"""k/v transfer changes exactly the chosen modality's projection, and nothing else."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmpretrain.registry import MODELS

from mm_cl_addon.compat import load_checkpoint
from mm_cl_addon.models.kv_transfer import kv_keys, transfer_kv
from mm_cl_addon.models.layers.owner_masks import attach_owners, maskable_modules, owner_of

REPO = Path(__file__).resolve().parents[2]
MODEL = dict(type='ImageClassifier',
             backbone=dict(type='PerceiverIOBackbone', image_size=(4, 4), text_max_bytes=8,
                           text_dim=8, num_latents=4, latent_dim=16, latent_heads=2,
                           cross_dim_head=8, latent_dim_head=8),
             head=dict(type='LinearClsHead', num_classes=3, in_channels=16))


def _state(seed: int, owner: int) -> dict:
    torch.manual_seed(seed)
    model = MODELS.build(MODEL)
    modules = maskable_modules(model, ['backbone'])
    attach_owners(modules)
    for module in modules.values():
        owner_of(module).fill_(owner)
    return model.state_dict()


def test_only_the_modality_projection_changes_and_its_owners_are_freed():
    target, backbone = _state(0, 1), _state(1, 1)
    for key in kv_keys('text')['copied'][:2]:  # the LayerNorm: trained, unlike a fresh one
        target[key] = target[key] + torch.rand_like(target[key])
    state, changed = transfer_kv(target, backbone, 'text')
    keys = kv_keys('text')
    assert sorted(changed) == sorted(keys['copied'] + keys['reset'][:1])  # no picks buffer here
    for key, value in state.items():
        if key in keys['copied']:
            assert torch.equal(value, target[key]) and not torch.equal(value, backbone[key])
        elif key in keys['reset']:
            assert not value.any()
        else:
            assert torch.equal(value, backbone[key]), key


def test_a_transfer_that_would_copy_nothing_is_an_error():
    target, backbone = _state(0, 1), _state(1, 1)
    with pytest.raises(KeyError, match='norms.audio'):
        transfer_kv(target, backbone, 'audio')
    wrong = dict(target)
    key = kv_keys('text')['copied'][2]
    wrong[key] = torch.zeros(3, 3)
    with pytest.raises(ValueError, match='to_kv.linears.text.weight'):
        transfer_kv(wrong, backbone, 'text')


def test_tool_writes_a_loadable_checkpoint(tmp_path):
    for name, seed in (('target', 0), ('backbone', 1)):
        torch.save(dict(meta=dict(name=name), state_dict=_state(seed, 1)), tmp_path / f'{name}.pth')
    out = tmp_path / 'new.pth'
    result = subprocess.run([sys.executable, 'tools/pickaback/transfer_kv.py',
                             str(tmp_path / 'target.pth'), str(tmp_path / 'backbone.pth'),
                             '--modality', 'text', '--out', str(out)], cwd=REPO,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert 'transferred backbone.perceiver.cross_attend_block.cross_attn.fn.to_kv' in result.stdout
    checkpoint = load_checkpoint(out)
    assert checkpoint['meta'] == dict(name='backbone')
    model = MODELS.build(MODEL)
    attach_owners(maskable_modules(model, ['backbone']))
    model.load_state_dict(checkpoint['state_dict'])
