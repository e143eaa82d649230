# Fine-tuning baseline (lower bound): train the 5 Split-Digits tasks in order,
# class-incremental (one 10-way head, no task id at test time).
_base_ = [
    '../_base_/models/small_convnet_digits.py',
    '../_base_/datasets/split_digits.py',
    '../_base_/schedules/continual_sgd.py',
    '../_base_/continual_runtime.py',
]

# Fair tuning (tools/select_hparams.py, on the val split only, seeds [0, 1, 2]) over SGD or Adam x
# step size {1e-3, 1e-2, 5e-2, 1e-1} chose Adam 0.001: val ACC 26.06 +- 3.32
# (docs/hparam_selection.md).
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='Adam', lr=0.001, weight_decay=0.0))
