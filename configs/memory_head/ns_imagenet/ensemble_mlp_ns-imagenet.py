# An ensemble of 3 mlps on ns-ImageNet (as the 2D and digits ensembles), each trained on its own
# loss with its own optimizer, predicting by the mean class probabilities.
_base_ = ['./mlp_ns-imagenet.py']

num_members = 3
member = dict(
    type='ImageClassifier',
    backbone=dict(type='MLP', in_features=512, hidden=50, depth=1, activation=dict(type='Tanh')),
    head=dict(type='LinearClsHead', num_classes=100, in_channels=50, init_cfg=None,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
)
model = dict(_delete_=True, type='EnsembleClassifier', members=[member] * num_members)
optim_wrapper = dict(constructor='EnsembleOptimWrapperConstructor')
