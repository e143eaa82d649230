# lp on 512-d ResNet-18 features: Linear(512, 100) (the 2D lp with other sizes).
_base_ = ['../../2d/_base_/lp.py']

model = dict(head=dict(num_classes=100, in_channels=512))
