"""Feature extraction: fx and hooks agree, pooling matches a hand computation, files are whole."""
import json

import pytest
import torch
from safetensors.torch import save_file

from mm_cl_addon.reassembly import features as features_module
from mm_cl_addon.reassembly.features import (
    extract_features,
    pool,
    read_features,
    read_meta,
    save_features,
)

from .tiny_models import small_convnet, tiny_mm_vit, tiny_resnet, tiny_timm_swin, tiny_vit


def hand_features(model, blocks, x, reduce):
    """Node 0 from a pre-hook on the first block, nodes 1..L from forward hooks, pooled here."""
    modules = dict(model.named_modules())
    seen, handles = {}, []
    handles.append(modules[blocks[0]].register_forward_pre_hook(
        lambda m, args: seen.setdefault(0, args[0])))
    for i, name in enumerate(blocks, start=1):
        handles.append(modules[name].register_forward_hook(
            lambda m, args, out, i=i: seen.__setitem__(i, out[0] if isinstance(out, tuple)
                                                       else out)))
    model.eval()
    with torch.no_grad():
        model(x)
    for handle in handles:
        handle.remove()
    return {node: reduce(value) for node, value in seen.items()}, seen


@pytest.mark.parametrize('build', [tiny_resnet, tiny_vit, small_convnet, tiny_timm_swin])
def test_fx_and_hooks_give_identical_features(build, images):
    model = build()
    x = images if build is not tiny_timm_swin else torch.randn(3, 1, 16, 16)
    fx_result = extract_features(model, x, batch_size=4, method='fx', progress=False)
    hook_result = extract_features(model, x, batch_size=4, method='hooks', progress=False)
    assert (fx_result.method, hook_result.method) == ('fx', 'hooks')
    assert sorted(fx_result.features) == list(range(len(fx_result.blocks) + 1))
    for node, feat in fx_result.features.items():
        assert torch.equal(feat, hook_result.features[node])
    assert fx_result.node_shapes == hook_result.node_shapes


@pytest.mark.parametrize('build, reduce', [
    (tiny_resnet, lambda t: t.mean((2, 3))),
    (tiny_vit, lambda t: t.mean(1)),
    (tiny_mm_vit, lambda t: t.mean(1)),
])
def test_pooled_features_and_shapes_match_a_hand_computation(build, reduce, images):
    model = build()
    result = extract_features(model, images, batch_size=3, progress=False)
    expected, raw = hand_features(model, result.blocks, images, reduce)
    assert result.method == ('hooks' if build is tiny_mm_vit else 'fx')
    for node, feat in result.features.items():
        torch.testing.assert_close(feat, expected[node], rtol=1e-5, atol=1e-6)
        assert feat.shape == (len(images), raw[node].shape[-1 if build is not tiny_resnet else 1])
    assert result.node_shapes == [list(raw[node].shape[1:]) for node in sorted(raw)]
    assert result.in_shapes[0] == result.node_shapes[0]


def test_timm_swin_is_pooled_channels_last():
    model = tiny_timm_swin()
    x = torch.randn(4, 1, 16, 16)
    result = extract_features(model, x, progress=False)
    assert result.layout == 'nhwc'
    expected, raw = hand_features(model, result.blocks, x, lambda t: t.mean((1, 2)))
    assert raw[1].shape[-1] == result.features[1].shape[1] == 8  # channels last: [N, H, W, C]
    for node, feat in result.features.items():
        torch.testing.assert_close(feat, expected[node])


def test_pool_layouts_and_errors():
    x = torch.arange(24.0).reshape(1, 2, 3, 4)
    torch.testing.assert_close(pool(x, 'nchw'), x.mean((2, 3)))
    torch.testing.assert_close(pool(x, 'nhwc'), x.mean((1, 2)))
    torch.testing.assert_close(pool(x[0], 'nlc'), x[0].mean(1))
    with pytest.raises(ValueError, match='layout must be one of'):
        pool(x, 'chw')
    with pytest.raises(ValueError, match='cannot pool a 4-D tensor'):
        pool(x, 'nlc')


def test_untraceable_model_and_out_of_order_blocks_are_errors(images):
    with pytest.raises(ValueError, match='does not trace with torch.fx'):
        extract_features(tiny_mm_vit(), images, method='fx', progress=False)
    for method in ('fx', 'hooks'):
        with pytest.raises(ValueError, match='not the listed depth order'):
            extract_features(small_convnet(), images, blocks=['stages.1', 'stages.0'],
                             method=method, progress=False)


def test_round_trip_and_metadata(tmp_path, images):
    result = extract_features(small_convnet(), images, progress=False)
    result.meta['model'] = 'cnn'
    path = tmp_path / 'cnn.safetensors'
    save_features(path, result)
    features, meta = read_features(path)
    assert meta == read_meta(path)
    assert meta['blocks'] == ['stages.0', 'stages.1'] and meta['model'] == 'cnn'
    assert meta['node_shapes'] == [[1, 8, 8], [4, 4, 4], [8, 2, 2]]
    assert meta['num_samples'] == 10 and meta['num_nodes'] == 2
    for node, feat in result.features.items():
        assert torch.equal(features[node], feat)


def test_failed_write_leaves_the_old_file_and_no_partial_file(tmp_path, images, monkeypatch):
    result = extract_features(small_convnet(), images, progress=False)
    path = tmp_path / 'cnn.safetensors'
    save_features(path, result)
    before = path.read_bytes()
    monkeypatch.setattr(features_module, 'save_safetensors', lambda *a, **k: 'not bytes')
    with pytest.raises(TypeError):
        save_features(path, result)
    with pytest.raises(TypeError):
        save_features(tmp_path / 'new.safetensors', result)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ['cnn.safetensors']  # no temporary left


def test_a_truncated_or_foreign_feature_file_names_the_file(tmp_path, images):
    path = tmp_path / 'cnn.safetensors'
    save_features(path, extract_features(small_convnet(), images, progress=False))
    path.write_bytes(path.read_bytes()[:-16])
    for read in (read_meta, read_features):
        with pytest.raises(ValueError, match=r'feature file .*cnn\.safetensors: is not a '
                                             'readable safetensors file'):
            read(path)
    path.write_bytes(b'')
    with pytest.raises(ValueError, match=r'cnn\.safetensors: is empty'):
        read_meta(path)
    with pytest.raises(FileNotFoundError, match=r'absent\.safetensors does not exist; write it'):
        read_features(tmp_path / 'absent.safetensors')


@pytest.mark.parametrize('metadata, fault', [
    (None, 'has no "meta" metadata'),
    ({'meta': '{"num_nodes": 1, "blocks": ['}, 'its "meta" metadata is not valid JSON'),
    ({'meta': '[1]'}, 'its "meta" metadata is not a JSON object with an integer "num_nodes"'),
    ({'meta': json.dumps({'num_nodes': 2})}, r"holds tensors \['feat/0', 'feat/1'\], "
                                             'expected feat/0..feat/2'),
])
def test_unexpected_metadata_or_tensors_name_the_file(tmp_path, metadata, fault):
    path = tmp_path / 'odd.safetensors'
    save_file({'feat/0': torch.zeros(2, 3), 'feat/1': torch.ones(2, 3)}, path, metadata=metadata)
    with pytest.raises(ValueError, match=f'feature file .*odd\\.safetensors: {fault}'):
        read_features(path)
