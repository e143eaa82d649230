# DeRy digits zoo: a narrow timm ResNet (one BasicBlock per stage, widths 8-64, grayscale input),
# trained through mmpretrain's TimmClassifier, whose checkpoints hold plain timm keys (what the
# zoo manifest's timm entry loads).
_base_ = ['./_base_digits.py']

model = dict(
    type='TimmClassifier',
    model_name='resnet18',
    pretrained=False,
    in_chans=1,
    num_classes=10,
    layers=[1, 1, 1, 1],
    channels=[8, 16, 32, 64],
    stem_width=8,
    loss=dict(type='CrossEntropyLoss', loss_weight=1.0))
