"""Feature extraction: fx and hooks agree, pooling matches a hand computation, files are whole."""
import json
from pathlib import Path

import numpy as np
import pytest
import timm
import torch
from mmengine.config import Config
from mmpretrain.registry import MODELS

from mm_cl_addon.reassembly import features as features_module
from mm_cl_addon.reassembly import partition_zoo
from mm_cl_addon.reassembly.features import (
    DatasetSamples,
    ZooModel,
    block_costs,
    build_zoo_model,
    estimate_flops,
    extract_features,
    load_similarity,
    load_zoo,
    node_similarity,
    pool,
    read_features,
    read_meta,
    save_features,
    save_pair,
)


def tiny_resnet():
    return timm.create_model('resnet18', in_chans=1, layers=(1, 1, 1, 1), channels=(8, 8, 16, 16),
                             stem_width=8, num_classes=10)


def tiny_vit():
    return timm.create_model('vit_tiny_patch16_224', in_chans=1, img_size=8, patch_size=2,
                             depth=3, embed_dim=16, num_heads=2, num_classes=10)


def tiny_timm_swin():
    return timm.create_model('swin_tiny_patch4_window7_224', in_chans=1, img_size=16,
                             patch_size=2, window_size=2, embed_dim=8, depths=(1, 1),
                             num_heads=(1, 1))


def tiny_mm_vit():
    return MODELS.build(dict(type='VisionTransformer', img_size=8, patch_size=2, in_channels=1,
                             arch=dict(embed_dims=16, num_layers=2, num_heads=2,
                                       feedforward_channels=32)))


def small_convnet():
    return MODELS.build(dict(type='SmallConvNet', widths=(4, 8)))


@pytest.fixture(scope='module')
def images():
    return torch.randn(10, 1, 8, 8, generator=torch.Generator().manual_seed(0))


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


def test_block_costs_params_and_flops():
    model = small_convnet()
    costs, how = block_costs(model, ['stages.0', 'stages.1'], torch.zeros(1, 8, 8))
    assert how == 'mmengine.analysis.FlopAnalyzer'
    assert [c['params'] for c in costs] == [1 * 4 * 9 + 4 + 2 * 4, 4 * 8 * 9 + 8 + 2 * 8]
    convs = estimate_flops(model, ['stages.0', 'stages.1'], torch.zeros(1, 1, 8, 8))
    assert convs == {'stages.0': 4 * 8 * 8 * 9, 'stages.1': 8 * 4 * 4 * 4 * 9}
    assert all(c['flops'] >= convs[c['name']] for c in costs)  # FlopAnalyzer adds norms


def test_block_costs_fall_back_to_the_estimate(monkeypatch):
    import mmengine.analysis

    def broken(*args, **kwargs):
        raise AttributeError('no _modules')
    monkeypatch.setattr(mmengine.analysis, 'FlopAnalyzer', broken)
    costs, how = block_costs(small_convnet(), ['stages.0'], torch.zeros(1, 8, 8))
    assert how.startswith('estimate') and costs[0]['flops'] == 4 * 8 * 8 * 9


def test_similarity_tables_feed_partition_zoo(tmp_path, images):
    feats = {name: extract_features(build(), images, progress=False).features
             for name, build in (('cnn', small_convnet), ('vit', tiny_vit))}
    self_sim = node_similarity(feats['vit'], feats['vit'])
    np.testing.assert_allclose(np.diag(self_sim), 1.0)
    cross = node_similarity(feats['cnn'], feats['vit'], 'rbf_cka')
    assert cross.shape == (2, 3)
    with pytest.raises(ValueError, match='sim_func must be one of'):
        node_similarity(feats['cnn'], feats['vit'], 'cca')
    for a, b in (('cnn', 'cnn'), ('cnn', 'vit'), ('vit', 'vit')):
        save_pair(tmp_path, a, b, node_similarity(feats[a], feats[b]))
    (tmp_path / 'index.json').write_text(json.dumps({
        'num_nodes': {'cnn': 2, 'vit': 3},
        'pairs': [['cnn', 'cnn'], ['cnn', 'vit'], ['vit', 'vit']]}))
    num_nodes, sim = load_similarity(tmp_path)
    assert sim[('cnn', 'vit')].shape == (2, 3)
    partition = partition_zoo(num_nodes, sim, K=2, eps=0.5, trial=2)
    assert partition.cuts('cnn') == (0, 1, 2)


def test_zoo_manifest_and_models(tmp_path):
    path = tmp_path / 'zoo.json'
    path.write_text(json.dumps({'models': [
        {'name': 'cnn', 'library': 'mm_cl_addon',
         'arch': {'type': 'ImageClassifier', 'backbone': {'type': 'SmallConvNet'},
                  'head': {'type': 'LinearClsHead', 'num_classes': 2, 'in_channels': 64}}},
        {'name': 'r-1', 'library': 'timm', 'arch': 'resnet18', 'blocks': ['layer1.0'],
         'kwargs': {'in_chans': 1, 'layers': [1, 1, 1, 1], 'channels': [8, 8, 8, 8]}}]}))
    cnn, resnet = load_zoo(path)
    assert resnet.blocks == ('layer1.0',) and resnet.kwargs['in_chans'] == 1
    model = build_zoo_model(cnn)
    assert type(model).__name__ == 'SmallConvNet' and not model.training  # the backbone
    weights = build_zoo_model(resnet, seed=3).state_dict()
    assert all(torch.equal(v, build_zoo_model(resnet, seed=3).state_dict()[k])
               for k, v in weights.items())


def test_zoo_checkpoint_is_loaded_strictly(tmp_path):
    model = small_convnet()
    torch.save({'state_dict': model.state_dict()}, tmp_path / 'ok.pth')
    entry = ZooModel('cnn', 'mm_cl_addon', {'type': 'SmallConvNet', 'widths': [4, 8]},
                     checkpoint=str(tmp_path / 'ok.pth'))
    loaded = build_zoo_model(entry, seed=1)
    assert all(torch.equal(v, loaded.state_dict()[k]) for k, v in model.state_dict().items())
    wrong = ZooModel('cnn', 'mm_cl_addon', {'type': 'SmallConvNet', 'widths': [4]},
                     checkpoint=str(tmp_path / 'ok.pth'))
    with pytest.raises(ValueError, match=r"unexpected keys \['stages.1"):
        build_zoo_model(wrong)


@pytest.mark.parametrize('entry, error, message', [
    ({'name': 'a', 'arch': 'resnet18'}, KeyError, r"missing keys \['library'\]"),
    ({'name': 'a', 'arch': 'x', 'library': 'timm', 'ckpt': 'p'}, KeyError, 'unknown keys'),
    ({'name': 'a__b', 'arch': 'x', 'library': 'timm'}, ValueError, 'single "_"'),
    ({'name': 'a', 'arch': 'x', 'library': 'keras'}, ValueError, 'library must be one of'),
])
def test_bad_manifest_entries(tmp_path, entry, error, message):
    path = tmp_path / 'zoo.yaml'
    path.write_text(json.dumps({'models': [entry]}))
    with pytest.raises(error, match=message):
        load_zoo(path)


def test_repeated_names_are_an_error(tmp_path):
    path = tmp_path / 'zoo.json'
    entry = {'name': 'a', 'arch': 'resnet18', 'library': 'timm'}
    path.write_text(json.dumps([entry, entry]))
    with pytest.raises(ValueError, match=r"names \['a'\] appear more than once"):
        load_zoo(path)


def test_dataset_samples_are_preprocessed():
    cfg = Config(dict(
        data_preprocessor=dict(mean=[78.0], std=[96.0]),
        test_dataloader=dict(dataset=dict(type='DigitsDataset', split='test', seed=0,
                                          pipeline=[dict(type='PackInputs')]))))
    samples = DatasetSamples(cfg, 'test', 5)
    raw = samples.dataset[2]['inputs'].float()
    assert len(samples) == 5 and samples[2].shape == (1, 8, 8)
    torch.testing.assert_close(samples[2], (raw - 78.0) / 96.0)
    with pytest.raises(IndexError):
        samples[5]
    with pytest.raises(ValueError, match='num_samples must be in'):
        DatasetSamples(cfg, 'test', 10**6)
    with pytest.raises(KeyError, match='val_dataloader'):
        DatasetSamples(cfg, 'val')


def test_manifest_type_names_relative_checkpoints_and_the_repository_zoo(tmp_path):
    model = small_convnet()
    (tmp_path / 'ckpt').mkdir()
    torch.save(model.state_dict(), tmp_path / 'ckpt' / 'cnn.pth')
    path = tmp_path / 'zoo.yaml'
    path.write_text('models:\n  - {name: cnn, library: mm_cl_addon, arch: SmallConvNet,\n'
                    '     kwargs: {widths: [4, 8]}, checkpoint: ckpt/cnn.pth,\n'
                    '     input_size: [1, 8, 8]}\n')
    (entry,) = load_zoo(path)
    assert entry.checkpoint == str(tmp_path / 'ckpt' / 'cnn.pth')
    assert entry.input_size == (1, 8, 8)
    loaded = build_zoo_model(entry, seed=5)
    assert all(torch.equal(v, loaded.state_dict()[k]) for k, v in model.state_dict().items())
    repository_zoo = load_zoo(Path(__file__).parents[2] / 'configs' / 'dery' /
                              'digits_zoo.yaml')
    assert [build_zoo_model(e).__class__.__name__ for e in repository_zoo] == [
        'SmallConvNet', 'VisionTransformer']
