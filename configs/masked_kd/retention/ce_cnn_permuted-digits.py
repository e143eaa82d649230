# Masked KD in its own setting: keep an old task while fine-tuning to a new one. Task 1 is the
# upright digits (the "pre-training"), task 2 the same digits under a pixel permutation (the
# new task), one 10-way head. This config is plain fine-tuning (CE only), the baseline;
# python tools/reproduce.py retention runs every variant over three seeds.
_base_ = [
    '../../_base_/models/small_convnet_digits.py',
    '../../_base_/datasets/permuted_digits.py',
    '../../_base_/schedules/continual_sgd.py',
    '../../_base_/continual_runtime.py',
]

# Each variant's own selection (val split, seeds 0, 1, 2; docs/masked_kd.md) chose Adam 0.001,
# the grid's smallest step: val ACC ce 72.87 +- 2.98, kd 83.06 +- 3.35, kd-ema 76.44 +- 3.09,
# kd-anneal 73.89 +- 2.97, kd-swa 77.22 +- 3.46, kd-clsonly 72.73 +- 3.50, masked-kd
# 80.42 +- 1.71, masked-kd-clsonly 72.13 +- 3.40 (SGD 0.05: 56.0-62.0).
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='Adam', lr=0.001, weight_decay=0.0))
