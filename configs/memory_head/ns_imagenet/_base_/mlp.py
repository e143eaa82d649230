# mlp on 512-d ResNet-18 features: Linear(512, h) -> Tanh -> Linear(h, 100), h = 50 (the grid
# of the Continual Neural Computation supplement, App. E, is h in {50, 100} for ns-imagenet; the
# public ns-imagenet example command uses --hidden=50).
_base_ = ['../../2d/_base_/mlp.py']

hidden = 50
model = dict(backbone=dict(in_features=512, hidden=hidden),
             head=dict(num_classes=100, in_channels=hidden))
