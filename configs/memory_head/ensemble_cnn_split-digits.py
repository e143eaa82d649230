# An ensemble of 3 small CNNs, each trained on its own loss with its own optimizer, predicting
# by their mean class probabilities, fine-tuned on class-incremental Split-Digits (no replay):
# the Memory Head paper's ensemble competitor.
_base_ = ['./er_cnn_split-digits.py']

num_members = 3
member = dict(
    type='ImageClassifier',
    backbone=dict(type='SmallConvNet', in_channels=1, widths=(32, 64)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=64,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
)
model = dict(_delete_=True, type='EnsembleClassifier', members=[member] * num_members)
# Fair tuning (tools/select_hparams.py, on the val split only, seeds [0, 1, 2]) over SGD or Adam x
# step size {1e-3, 1e-2, 5e-2, 1e-1} chose Adam 0.001: val ACC 33.81 +- 1.96
# (docs/hparam_selection.md).
optim_wrapper = dict(
    constructor='EnsembleOptimWrapperConstructor',
    optimizer=dict(_delete_=True, type='Adam', lr=0.001, weight_decay=0.0))
custom_hooks = []
