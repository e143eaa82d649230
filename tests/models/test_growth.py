"""Growing a model: old values in the leading slices, old tasks' outputs unchanged."""
import pytest
import torch
from mmpretrain.registry import MODELS

from mm_cl_addon.models import growth
from mm_cl_addon.models.growth import embed_leading, grow_model, growth_layout
from mm_cl_addon.models.layers.owner_masks import (
    OWNER_BUFFER,
    PICK_BUFFER,
    attach_owners,
    attach_picks,
    maskable_modules,
    masked_for_task,
    owner_of,
)

MODEL = dict(type='ImageClassifier',
             backbone=dict(type='SmallConvNet', in_channels=1, widths=(4, 8)),
             neck=dict(type='GlobalAveragePooling'),
             head=dict(type='LinearClsHead', num_classes=3, in_channels=8))
PERCEIVER = dict(type='ImageClassifier', backbone=dict(
    type='PerceiverIOBackbone', image_size=(4, 4), image_channels=3, text_max_bytes=12,
    text_dim=8, depth=1, num_latents=4, latent_dim=16, latent_heads=2, cross_dim_head=8,
    latent_dim_head=8), head=dict(type='LinearClsHead', num_classes=3, in_channels=16))
KV = 'backbone.perceiver.cross_attend_block.cross_attn.fn.to_kv.linears.text'
LATENT_KV = 'backbone.perceiver.layers.0.self_attns.0.0.fn.to_kv'
GEGLU_IN = 'backbone.perceiver.layers.0.self_attns.0.1.fn.net.0'


def test_embed_leading():
    out = embed_leading(torch.full((2, 3), 9.0), torch.tensor([[1.0, 2.0]]))
    assert out.tolist() == [[1.0, 2.0, 9.0], [9.0, 9.0, 9.0]]
    with pytest.raises(ValueError, match='shape'):
        embed_leading(torch.zeros(1, 3), torch.zeros(2, 2))


def test_embed_leading_per_chunk_puts_keys_and_values_in_their_own_blocks():
    old_keys, old_values = torch.tensor([[1.0], [2.0]]), torch.tensor([[3.0], [4.0]])
    out = embed_leading(torch.full((6, 1), 9.0), torch.cat([old_keys, old_values]), (0, 2))
    assert out.flatten().tolist() == [1.0, 2.0, 9.0, 3.0, 4.0, 9.0]  # [keys; values], 2 -> 3
    bias = embed_leading(torch.zeros(8), torch.tensor([1.0, 2.0, 3.0, 4.0]), (0, 2))
    assert bias.tolist() == [1.0, 2.0, 0.0, 0.0, 3.0, 4.0, 0.0, 0.0]  # GEGLU [x; gates]
    columns = embed_leading(torch.zeros(1, 4), torch.tensor([[1.0, 2.0]]), (1, 2))
    assert columns.tolist() == [[1.0, 0.0, 2.0, 0.0]]
    with pytest.raises(ValueError, match='equal chunks'):
        embed_leading(torch.zeros(5, 1), torch.zeros(2, 1), (0, 2))


def test_growth_keeps_a_task_output_and_frees_the_new_weights():
    torch.manual_seed(0)
    model = MODELS.build(MODEL)
    modules = maskable_modules(model, ['backbone'])
    attach_owners(modules)
    for module in modules.values():
        owner_of(module).fill_(1)
    model.eval()
    x = torch.randn(6, 1, 8, 8)
    with masked_for_task(modules, 1):
        before = model(x, mode='tensor')
    head_id = id(model.head)
    grow_model(model, MODEL, 1.5, ['backbone'], [OWNER_BUFFER])
    assert id(model.head) != head_id and model.backbone.out_channels == [6, 12]
    assert model.head.fc.weight.shape == (3, 12)
    assert model.head.fc.weight[:, 8:].eq(0).all()  # out of scope: new inputs ignored
    grown = maskable_modules(model, ['backbone'])
    first = owner_of(grown['backbone.stages.0.0'])
    assert first[:4].eq(1).all() and first[4:].eq(0).all()
    model.eval()
    with masked_for_task(grown, 1):
        after = model(x, mode='tensor')
    torch.testing.assert_close(after, before, rtol=0, atol=1e-6)


def test_a_backbone_without_width_multiplier_is_refused():
    cfg = dict(MODEL, backbone=dict(type='ResNet_CIFAR', depth=18))
    model = MODELS.build(dict(MODEL))
    with pytest.raises(ValueError, match="'ResNet_CIFAR'"):
        grow_model(model, cfg, 2.0, ['backbone'])


def _perceiver_inputs():
    torch.manual_seed(1)
    mask = torch.ones(3, 12, dtype=torch.bool)
    mask[1, 5:] = False
    return {'image': torch.randn(3, 3, 4, 4)}, {'text': torch.randint(1, 256, (3, 12)),
                                                 'text_mask': mask}


def _perceiver_owned_by_task_1():
    torch.manual_seed(0)
    model = MODELS.build(PERCEIVER).eval()
    modules = maskable_modules(model, ['backbone'])
    attach_owners(modules)
    attach_picks(modules)
    for module in modules.values():
        owner_of(module).fill_(1)
        module.cpg_picks.fill_(1)
    return model, modules


def _task_outputs(model, task, inputs):
    with torch.no_grad(), masked_for_task(maskable_modules(model, ['backbone']), task):
        return [model(x, mode='tensor') for x in inputs]


def test_growing_a_perceiver_embeds_per_chunk_and_keeps_the_old_task():
    model, modules = _perceiver_owned_by_task_1()
    inputs = _perceiver_inputs()
    before = _task_outputs(model, 1, inputs)
    old = {key: value.clone() for key, value in model.state_dict().items()}
    grow_model(model, PERCEIVER, 1.5, ['backbone'], [OWNER_BUFFER, PICK_BUFFER])
    model.eval()
    assert model.head.fc.weight.shape == (3, 16)  # the output width does not grow
    state = model.state_dict()
    # keys and values: 8 -> 16 rows each (1 -> 2 heads of 8); GEGLU x and gates: 64 -> 96 rows
    for name, old_rows, new_rows in ((KV, 8, 16), (LATENT_KV, 16, 24), (GEGLU_IN, 64, 96)):
        tensors = ['weight', OWNER_BUFFER, PICK_BUFFER] + (['bias'] if 'net' in name else [])
        for tensor in tensors:
            key = f'{name}.{tensor}'
            assert state[key].shape[0] == 2 * new_rows
            for grown, kept in zip(state[key].chunk(2), old[key].chunk(2)):
                assert torch.equal(grown[:old_rows], kept), key
                if tensor in (OWNER_BUFFER, PICK_BUFFER):
                    assert grown[old_rows:].eq(0).all(), key  # new units are free
                else:
                    assert grown[old_rows:].ne(0).any(), key  # fresh, not zeroed
    grown_modules = maskable_modules(model, ['backbone'])
    for module in grown_modules.values():  # the new units go to a new task, as in CPG
        owner = owner_of(module)
        owner[owner == 0] = 2
    after = _task_outputs(model, 1, inputs)
    for old_out, new_out in zip(before, after):  # image-only and text-only batches
        torch.testing.assert_close(new_out, old_out, rtol=0, atol=1e-6)
    for old_out, new_task in zip(before, _task_outputs(model, 2, inputs)):
        assert not torch.allclose(new_task, old_out, atol=1e-3)  # task 2 uses its new units


def test_plain_leading_embedding_would_mix_keys_and_values(monkeypatch):
    """Without the chunk layout, task 1's outputs change: the layout is what keeps them."""
    model, _ = _perceiver_owned_by_task_1()
    inputs = _perceiver_inputs()
    before = _task_outputs(model, 1, inputs)
    assert KV.removeprefix('backbone.') in model.backbone.growth_chunks()
    assert growth_layout(model)[KV] == (0, 2)
    monkeypatch.setattr(growth, 'growth_layout', lambda new: {})
    grow_model(model, PERCEIVER, 1.5, ['backbone'], [OWNER_BUFFER, PICK_BUFFER])
    model.eval()
    after = _task_outputs(model, 1, inputs)
    assert not any(torch.allclose(a, b, atol=1e-3) for a, b in zip(after, before))
