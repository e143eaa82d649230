# Feature model of tools/memory_head/cache_features.py for ns-ImageNet, as the reference
# (sailab-code/memory_head, ocdi/datasets/mini_imagenet_CDID.py, extract_resnet_features): a
# ResNet-18 pre-trained on ImageNet without its classifier (global average pooling, 512-d),
# each image resized to 224 x 224 and normalised with the ImageNet mean/std. The weights come
# from --checkpoint, a local file (e.g. mmpretrain's resnet18_8xb32_in1k_20210831-fbbb1da6.pth);
# nothing is downloaded. For ResNet-50 (2048-d), use mmpretrain::_base_/models/resnet50.py and
# set in_channels/in_features = 2048 in the training configs' models.
_base_ = ['mmpretrain::_base_/models/resnet18.py']

data_preprocessor = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
                         to_rgb=True)
feature_pipeline = [
    # pillow everywhere, as the reference's torchvision transforms (and the noise cache)
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='Resize', scale=(224, 224), backend='pillow', interpolation='bilinear'),
    dict(type='PackInputs'),
]
