# Elastic weight consolidation (Kirkpatrick et al., 2017) on class-incremental Split-Digits:
# the fine-tuning config plus EWCHook (per-sample empirical Fisher after each task, penalty
# lambda/2 sum F (theta - theta*)^2, one anchor per task). docs/strategies.md.
_base_ = ['../continual/finetune_cnn_split-digits.py']

custom_hooks = [dict(type='EWCHook', ewc_lambda=100.0, mode='separate')]
