"""Block tables: the blocks each family yields on real (tiny, randomly initialised) models."""
import pytest
import timm
import torchvision
from mmpretrain.registry import MODELS
from torch import nn

from mm_cl_addon.reassembly.block_table import FAMILIES, block_names, detect_family

TINY_CONVNEXT = dict(depths=(1, 1, 1, 2), dims=(8, 8, 16, 16))
TINY_SWIN = dict(img_size=32, patch_size=2, window_size=2, embed_dim=8, depths=(1, 1),
                 num_heads=(1, 1))


def resnet_names(depths):
    return [f'layer{i + 1}.{j}' for i, depth in enumerate(depths) for j in range(depth)]


CASES = {
    'timm_resnet': (lambda: timm.create_model('resnet18', layers=(1, 2, 1, 1),
                                              channels=(8, 8, 16, 16)), resnet_names((1, 2, 1, 1))),
    'timm_resnext': (lambda: timm.create_model('resnext50_32x4d', layers=(1, 1, 1, 1)),
                     resnet_names((1, 1, 1, 1))),
    'timm_regnet': (lambda: timm.create_model('regnetx_002'),
                    ['s1.b1', 's2.b1', *(f's3.b{j}' for j in range(1, 5)),
                     *(f's4.b{j}' for j in range(1, 8))]),
    'timm_mobilenetv3': (lambda: timm.create_model('mobilenetv3_small_050'),
                         ['blocks.0.0', 'blocks.1.0', 'blocks.1.1', 'blocks.2.0', 'blocks.2.1',
                          'blocks.2.2', 'blocks.3.0', 'blocks.3.1', 'blocks.4.0', 'blocks.4.1',
                          'blocks.4.2', 'blocks.5.0']),
    'timm_convnext': (lambda: timm.create_model('convnext_atto', **TINY_CONVNEXT),
                      ['stages.0.blocks.0', 'stages.1.blocks.0', 'stages.2.blocks.0',
                       'stages.3.blocks.0', 'stages.3.blocks.1']),
    'timm_vit': (lambda: timm.create_model('vit_tiny_patch16_224', img_size=8, patch_size=2,
                                           depth=3, embed_dim=16, num_heads=2),
                 ['blocks.0', 'blocks.1', 'blocks.2']),
    'timm_swin': (lambda: timm.create_model('swin_tiny_patch4_window7_224', **TINY_SWIN),
                  ['layers.0', 'layers.1']),
    'torchvision_resnet': (lambda: torchvision.models.resnet18(), resnet_names((2, 2, 2, 2))),
    'mmpretrain_resnet': (lambda: MODELS.build(dict(type='ResNet', depth=18)),
                          resnet_names((2, 2, 2, 2))),
    'mmpretrain_resnet_cifar': (lambda: MODELS.build(dict(type='ResNet_CIFAR', depth=18)),
                                resnet_names((2, 2, 2, 2))),
    'mmpretrain_vit': (lambda: MODELS.build(dict(
        type='VisionTransformer', img_size=8, patch_size=2,
        arch=dict(embed_dims=16, num_layers=2, num_heads=2, feedforward_channels=32))),
        ['layers.0', 'layers.1']),
    'mmpretrain_swin': (lambda: MODELS.build(dict(
        type='SwinTransformer', img_size=32, patch_size=2, window_size=2,
        arch=dict(embed_dims=8, depths=[1, 1, 1, 1], num_heads=[1, 1, 1, 1]))),
        ['stages.0', 'stages.1', 'stages.2', 'stages.3']),
    'mmpretrain_convnext': (lambda: MODELS.build(dict(
        type='ConvNeXt', arch=dict(depths=[1, 2], channels=[8, 16]), out_indices=(1,))),
        ['stages.0.0', 'stages.1.0', 'stages.1.1']),
    'mm_cl_addon_small_convnet': (lambda: MODELS.build(dict(type='SmallConvNet',
                                                            widths=(4, 8, 8))),
                                  ['stages.0', 'stages.1', 'stages.2']),
}
FAMILY_OF_CASE = {'timm_resnext': 'timm_resnet', 'mmpretrain_resnet_cifar': 'mmpretrain_resnet'}


@pytest.mark.parametrize('case', sorted(CASES))
def test_block_names_of_real_models(case):
    build, expected = CASES[case]
    model = build()
    assert detect_family(model) == FAMILY_OF_CASE.get(case, case)
    assert block_names(model) == expected


def test_every_family_has_a_case():
    assert set(FAMILIES) <= set(CASES)
    assert all(family.layout in ('nchw', 'nlc', 'nhwc') for family in FAMILIES.values())


def test_subclass_takes_its_base_family():
    model = MODELS.build(dict(type='ResNetV1d', depth=18))
    assert detect_family(model) == 'mmpretrain_resnet'


def test_unknown_model_names_its_class():
    with pytest.raises(ValueError, match='torch.nn.modules.linear:Linear'):
        detect_family(nn.Linear(2, 2))


def test_override_replaces_the_table_in_the_given_order():
    model = CASES['mm_cl_addon_small_convnet'][0]()
    assert block_names(model, override=['stages.1', 'stages.0.0']) == ['stages.1', 'stages.0.0']
    assert block_names(nn.Sequential(nn.Linear(2, 2)), override=['0']) == ['0']


@pytest.mark.parametrize('override, message', [
    (['stages.0', 'stages.9', 'head'], r"\['stages.9', 'head'\]"),
    (['stages.0', 'stages.0'], 'repeats'),
    ([], 'empty'),
])
def test_bad_override_is_an_error(override, message):
    model = CASES['mm_cl_addon_small_convnet'][0]()
    with pytest.raises(ValueError, match=message):
        block_names(model, override=override)


def test_unknown_or_mismatched_family():
    model = CASES['mm_cl_addon_small_convnet'][0]()
    with pytest.raises(ValueError, match='unknown block family'):
        block_names(model, family='nope')
    with pytest.raises(ValueError, match='no module of SmallConvNet matches'):
        block_names(model, family='timm_vit')
