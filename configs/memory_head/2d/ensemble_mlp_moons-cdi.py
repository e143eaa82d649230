# An ensemble of 3 mlps on MOONS-CDI (as configs/memory_head/ensemble_cnn_split-digits.py), each
# trained on its own loss with its own optimizer, predicting by the mean class probabilities.
_base_ = ['./mlp_moons-cdi.py']

num_members = 3
member = dict(
    type='ImageClassifier',
    backbone=dict(type='MLP', in_features=2, hidden=25, depth=1, activation=dict(type='Tanh')),
    head=dict(type='LinearClsHead', num_classes=4, in_channels=25, init_cfg=None,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
)
model = dict(_delete_=True, type='EnsembleClassifier', members=[member] * num_members)
optim_wrapper = dict(constructor='EnsembleOptimWrapperConstructor')
