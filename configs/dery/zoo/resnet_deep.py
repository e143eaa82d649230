# DeRy digits zoo: a deeper, wider timm ResNet, resnet_narrow.py with BasicBlocks [2, 2, 1, 1]
# and widths 16-64 (grayscale input), through mmpretrain's TimmClassifier (plain timm keys).
_base_ = ['./resnet_narrow.py']

model = dict(layers=[2, 2, 1, 1], channels=[16, 32, 64, 64], stem_width=16)
