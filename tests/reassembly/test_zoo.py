"""Zoo manifests, building their models, and a data config's preprocessed samples."""
import dataclasses
import json
import pickle
import shlex
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmpretrain.registry import MODELS

from mm_cl_addon.models.backbones.dery import DeRy
from mm_cl_addon.reassembly.block_table import detect_family
from mm_cl_addon.reassembly.features import extract_features
from mm_cl_addon.reassembly.zoo import DatasetSamples, ZooModel, build_zoo_model, load_zoo
from tests.payloads import CreatesMarker

from .tiny_models import make_images, small_convnet


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


def _python_tag_payloads(marker: Path) -> dict[str, str]:
    """Manifests whose YAML tags would create ``marker`` if a loader built Python objects."""
    command = json.dumps(f'touch {shlex.quote(str(marker))}')
    code = json.dumps(f'open({str(marker)!r}, "w").close()')
    return {'os.system': f'models: !!python/object/apply:os.system [{command}]\n',
            'builtins.exec': f'models:\n  - !!python/object/apply:builtins.exec [{code}]\n'}


@pytest.mark.parametrize('tag', ['os.system', 'builtins.exec'])
def test_a_manifest_with_python_tags_is_refused_and_never_run(tmp_path, tag):
    marker = tmp_path / 'ran'
    path = tmp_path / 'zoo.yaml'
    path.write_text(_python_tag_payloads(marker)[tag])
    with pytest.raises(ValueError, match=r'zoo manifest .*zoo\.yaml: refused'):
        load_zoo(path)
    assert not marker.exists()


def test_a_pickled_manifest_is_refused_and_never_unpickled(tmp_path):
    marker = tmp_path / 'ran'
    path = tmp_path / 'zoo.pkl'
    path.write_bytes(pickle.dumps(CreatesMarker(marker)))
    with pytest.raises(ValueError, match=r"zoo manifest .*zoo\.pkl: suffix '\.pkl' is not"):
        load_zoo(path)
    assert not marker.exists()


@pytest.mark.parametrize('name, text, fault', [
    ('zoo.yaml', 'models:\n  - {name: cnn, arch: [1, ', 'is not valid YAML'),
    ('zoo.json', '{"models": [{"name": "cnn"', 'is not valid JSON'),
    ('zoo.yaml', '', r'is empty \(0 bytes\)'),
    ('zoo.yaml', 'just a line of text\n', 'expected a mapping or a list at the top level'),
])
def test_a_truncated_empty_or_wrong_format_manifest_names_the_file(tmp_path, name, text, fault):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ValueError, match=f'zoo manifest .*{name}: {fault}'):
        load_zoo(path)
    with pytest.raises(FileNotFoundError, match=r'zoo manifest .*absent\.yaml does not exist'):
        load_zoo(tmp_path / 'absent.yaml')


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


def _classifier_checkpoint(path):
    """An mmpretrain ImageClassifier over a SmallConvNet, saved as the Runner saves it."""
    backbone = {'type': 'SmallConvNet', 'in_channels': 1, 'widths': [4, 8]}
    arch = {'type': 'ImageClassifier', 'backbone': backbone,
            'neck': {'type': 'GlobalAveragePooling'},
            'head': {'type': 'LinearClsHead', 'num_classes': 10, 'in_channels': 8}}
    torch.manual_seed(7)
    classifier = MODELS.build(arch)
    with torch.no_grad():  # non-trivial BN statistics, so a fresh model cannot pass for it
        for module in classifier.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
    torch.save({'meta': {'epoch': 1}, 'state_dict': classifier.state_dict()}, path)
    return classifier, arch


@pytest.mark.parametrize('arch_form', ['classifier', 'backbone'])
def test_one_classifier_entry_serves_features_and_the_dery_backbone(tmp_path, arch_form):
    classifier, arch = _classifier_checkpoint(tmp_path / 'cnn.pth')
    entry = {'name': 'cnn', 'library': 'mm_cl_addon', 'checkpoint': 'cnn.pth',
             'input_size': [1, 8, 8]}
    if arch_form == 'classifier':  # the training config's model, head included
        entry['arch'] = arch
    else:  # the backbone type, its arguments as kwargs
        entry.update(arch='SmallConvNet', kwargs={'in_channels': 1, 'widths': [4, 8]})
    path = tmp_path / 'zoo.yaml'
    path.write_text(json.dumps({'models': [entry]}))
    images = make_images()
    classifier.eval()
    with torch.no_grad():
        expected = classifier.backbone(images)[0]

    (zoo_entry,) = load_zoo(path)
    model = build_zoo_model(zoo_entry, seed=1)
    assert type(model).__name__ == 'SmallConvNet'
    assert all(torch.equal(v, model.state_dict()[k])
               for k, v in classifier.backbone.state_dict().items())
    features = extract_features(model, images, progress=False)
    torch.testing.assert_close(features.features[2], expected.mean(dim=(2, 3)))

    dery = DeRy([['cnn', 0, 1], ['cnn', 1, 2]], str(path), input_size=(1, 8, 8)).eval()
    with torch.no_grad():
        torch.testing.assert_close(dery(images)[0], expected)


def test_classifier_checkpoint_rule_is_strict_on_the_backbone(tmp_path):
    _classifier_checkpoint(tmp_path / 'cnn.pth')
    wider = ZooModel('cnn', 'mm_cl_addon', 'SmallConvNet',
                     checkpoint=str(tmp_path / 'cnn.pth'),
                     kwargs={'in_channels': 1, 'widths': [4, 8, 16]})
    with pytest.raises(ValueError, match=r"missing keys \['stages.2"):
        build_zoo_model(wider)
    with pytest.raises(ValueError, match=r"missing keys \['stages.2"):
        DeRy([['cnn', 0, 1]], {'models': [{
            'name': 'cnn', 'library': 'mm_cl_addon', 'arch': 'SmallConvNet',
            'checkpoint': str(tmp_path / 'cnn.pth'),
            'kwargs': {'in_channels': 1, 'widths': [4, 8, 16]}}]}, input_size=(1, 8, 8))


def test_mmpretrain_backbone_whose_train_returns_none_is_still_returned():
    entry = ZooModel('mmvit', 'mmpretrain', 'VisionTransformer', kwargs={
        'img_size': 8, 'patch_size': 2, 'in_channels': 1,
        'arch': {'embed_dims': 16, 'num_layers': 2, 'num_heads': 2, 'feedforward_channels': 32}})
    model = build_zoo_model(entry)
    assert type(model).__name__ == 'VisionTransformer' and not model.training


def test_the_digits_zoo_has_four_architectures_of_three_families_matching_their_configs(
        tmp_path):
    """configs/dery/zoo: every manifest entry builds exactly the model its training config
    trains (its checkpoint loads strictly), and the zoo spans >= 4 architectures, >= 2 block
    families, one of them a ViT."""
    root = Path(__file__).parents[2] / 'configs' / 'dery' / 'zoo'
    entries = load_zoo(root / 'zoo.yaml')
    configs = sorted(p.stem for p in root.glob('[!_]*.py'))
    assert sorted(e.name for e in entries) == configs
    families = set()
    for entry in entries:
        torch.manual_seed(0)
        trained = MODELS.build(Config.fromfile(str(root / f'{entry.name}.py')).model)
        torch.save({'state_dict': trained.state_dict()}, tmp_path / f'{entry.name}.pth')
        model = build_zoo_model(dataclasses.replace(
            entry, checkpoint=str(tmp_path / f'{entry.name}.pth')))
        families.add(detect_family(model))
    architectures = {(e.library, e.arch, json.dumps(e.kwargs, sort_keys=True)) for e in entries}
    assert len(architectures) >= 4
    assert families == {'timm_resnet', 'timm_vit', 'mm_cl_addon_small_convnet'}
