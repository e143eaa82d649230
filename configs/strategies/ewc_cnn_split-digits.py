# Elastic weight consolidation (Kirkpatrick et al., 2017) on class-incremental Split-Digits:
# the fine-tuning config plus EWCHook (per-sample empirical Fisher after each task, penalty
# lambda/2 sum F (theta - theta*)^2, one anchor per task). docs/strategies.md.
_base_ = ['../continual/finetune_cnn_split-digits.py']

custom_hooks = [dict(type='EWCHook', ewc_lambda=100.0, mode='separate')]
# Fair tuning (tools/select_hparams.py, on the val split only, seeds [0, 1, 2]) over SGD or Adam x
# step size {1e-3, 1e-2, 5e-2, 1e-1} chose SGD 0.01: val ACC 36.62 +- 2.54
# (docs/hparam_selection.md).
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0005))
