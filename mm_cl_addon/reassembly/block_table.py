"""Where the blocks of a zoo model are: the node definition DeRy's partition cuts on.

DeRy (Yang et al., NeurIPS 2022) cuts every model at block boundaries, so the similarity tables,
the partition and the reassembled networks must all agree on which modules are the blocks. Node
0 is the input of the first block (the stem's output) and node i (1-based) is the output of the
i-th block of :func:`block_names`.

Each family is recognised from the model's class and the module it is defined in (subclasses
too, e.g. mmpretrain's ``ResNet_CIFAR`` and ``ResNetV1d`` are ``mmpretrain_resnet``), and its
blocks are the modules whose dotted names fully match a regular expression, taken in
registration order, which is the forward order for every family below (feature extraction
checks this when it runs the model).
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from torch import nn


@dataclass(frozen=True)
class BlockFamily:
    """How one family's blocks are found and laid out.

    Attributes:
        classes: ``'module.path:ClassName'`` of the model classes of this family.
        pattern: regular expression that a block's dotted module name must fully match.
        layout: layout of a block's output, which fixes how it is pooled: ``'nchw'`` (CNN
            maps), ``'nlc'`` (tokens) or ``'nhwc'`` (channels-last maps, e.g. timm Swin).
    """

    classes: tuple[str, ...]
    pattern: str
    layout: str


FAMILIES: dict[str, BlockFamily] = {
    # timm ResNet / ResNeXt / SE-ResNet...: every bottleneck or basic block of layer1..layer4.
    'timm_resnet': BlockFamily(('timm.models.resnet:ResNet',), r'layer\d+\.\d+', 'nchw'),
    # timm RegNet: every block ``b<j>`` of stage ``s<i>`` (1-based names in timm).
    'timm_regnet': BlockFamily(('timm.models.regnet:RegNet',), r's\d+\.b\d+', 'nchw'),
    # timm MobileNetV3: every inverted-residual block of each stage of ``blocks``.
    'timm_mobilenetv3': BlockFamily(('timm.models.mobilenetv3:MobileNetV3',),
                                    r'blocks\.\d+\.\d+', 'nchw'),
    # timm ConvNeXt: every block; a stage's downsample runs before its first block.
    'timm_convnext': BlockFamily(('timm.models.convnext:ConvNeXt',),
                                 r'stages\.\d+\.blocks\.\d+', 'nchw'),
    # timm ViT / DeiT: every transformer block; tokens [N, T, C] include the class token.
    'timm_vit': BlockFamily(('timm.models.vision_transformer:VisionTransformer',),
                            r'blocks\.\d+', 'nlc'),
    # timm Swin: whole stages (downsample then blocks), outputs channels-last [N, H, W, C].
    'timm_swin': BlockFamily(('timm.models.swin_transformer:SwinTransformer',),
                             r'layers\.\d+', 'nhwc'),
    # torchvision ResNet / ResNeXt / Wide ResNet: as timm.
    'torchvision_resnet': BlockFamily(('torchvision.models.resnet:ResNet',),
                                      r'layer\d+\.\d+', 'nchw'),
    # mmpretrain ResNet and its subclasses (ResNet_CIFAR, ResNetV1c, ResNetV1d).
    'mmpretrain_resnet': BlockFamily(('mmpretrain.models.backbones.resnet:ResNet',),
                                     r'layer\d+\.\d+', 'nchw'),
    # mmpretrain VisionTransformer: every encoder layer, tokens [N, T, C].
    'mmpretrain_vit': BlockFamily(
        ('mmpretrain.models.backbones.vision_transformer:VisionTransformer',),
        r'layers\.\d+', 'nlc'),
    # mmpretrain SwinTransformer: whole stages (blocks then downsample); a stage returns
    # (tokens [N, L, C], (H, W)) and its first element is the feature.
    'mmpretrain_swin': BlockFamily(
        ('mmpretrain.models.backbones.swin_transformer:SwinTransformer',),
        r'stages\.\d+', 'nlc'),
    # mmpretrain ConvNeXt: every block of each stage (downsample layers are separate modules).
    'mmpretrain_convnext': BlockFamily(('mmpretrain.models.backbones.convnext:ConvNeXt',),
                                       r'stages\.\d+\.\d+', 'nchw'),
    # Our SmallConvNet: each (conv, ReLU, BN, max-pool) stage.
    'mm_cl_addon_small_convnet': BlockFamily(
        ('mm_cl_addon.models.backbones.small_convnet:SmallConvNet',), r'stages\.\d+', 'nchw'),
}


def _class_key(cls: type) -> str:
    return f'{cls.__module__}:{cls.__qualname__}'


def detect_family(model: nn.Module) -> str:
    """Family of ``model`` from its class (or nearest known base class) and module path."""
    by_class = {key: name for name, family in FAMILIES.items() for key in family.classes}
    for cls in type(model).__mro__:
        family = by_class.get(_class_key(cls))
        if family is not None:
            return family
    raise ValueError(f'no block family for model class {_class_key(type(model))}; known '
                     f'families: {sorted(FAMILIES)}. Pass the block names explicitly '
                     '(override / the manifest\'s "blocks") for other models.')


def block_names(model: nn.Module, family: str | None = None,
                override: Sequence[str] | None = None) -> list[str]:
    """Dotted names of ``model``'s blocks in depth order; node i (1-based) is block i-1's output.

    ``override`` (e.g. from a config) replaces the family table and is kept in the given order;
    ``family`` defaults to :func:`detect_family`.
    """
    modules = dict(model.named_modules())
    if override is not None:
        names = list(override)
        missing = [name for name in names if name not in modules or name == '']
        if missing:
            raise ValueError(f'block override names {missing} that are not submodules of '
                             f'{type(model).__name__}')
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f'block override repeats {repeated}')
        if not names:
            raise ValueError('block override is empty; give at least one block name')
        return names
    family = detect_family(model) if family is None else family
    if family not in FAMILIES:
        raise ValueError(f'unknown block family {family!r}; expected one of {sorted(FAMILIES)}')
    pattern = re.compile(FAMILIES[family].pattern)
    names = [name for name in modules if name and pattern.fullmatch(name)]
    if not names:
        raise ValueError(f'no module of {type(model).__name__} matches family {family!r} '
                         f'pattern {FAMILIES[family].pattern!r}')
    return names
