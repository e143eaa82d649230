# DeRy digits zoo: a deeper, wider timm ResNet (BasicBlocks [2, 2, 1, 1], widths 16-64, grayscale
# input), trained through mmpretrain's TimmClassifier (plain timm checkpoint keys).
_base_ = ['./_base_digits.py']

model = dict(
    type='TimmClassifier',
    model_name='resnet18',
    pretrained=False,
    in_chans=1,
    num_classes=10,
    layers=[2, 2, 1, 1],
    channels=[16, 32, 64, 64],
    stem_width=16,
    loss=dict(type='CrossEntropyLoss', loss_weight=1.0))
