"""Tiny zoo models (1-channel 8 x 8 inputs unless said) for the reassembly tests."""
import timm
import torch
from mmpretrain.registry import MODELS

import mm_cl_addon  # noqa: F401  (registers SmallConvNet)


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


def make_images():
    """Ten 1 x 8 x 8 inputs, the same every call."""
    return torch.randn(10, 1, 8, 8, generator=torch.Generator().manual_seed(0))
