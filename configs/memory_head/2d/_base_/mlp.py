# mlp: Linear(2, h) -> Tanh -> Linear(h, 4), h = 25 (the papers' grid is h in {5, 25}; their
# public code runs its MLP competitors with h = 25), PyTorch's default init.
hidden = 25
model = dict(
    type='ImageClassifier',
    backbone=dict(type='MLP', in_features=2, hidden=hidden, depth=1,
                  activation=dict(type='Tanh')),
    head=dict(type='LinearClsHead', num_classes=4, in_channels=hidden, init_cfg=None,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
)
