# Fine-tuning baseline (lower bound): train the 5 Split-Digits tasks in order,
# class-incremental (one 10-way head, no task id at test time).
_base_ = [
    '../_base_/models/small_convnet_digits.py',
    '../_base_/datasets/split_digits.py',
    '../_base_/schedules/continual_sgd.py',
    '../_base_/continual_runtime.py',
]
