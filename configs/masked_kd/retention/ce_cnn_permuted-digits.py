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
