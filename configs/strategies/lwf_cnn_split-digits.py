# Learning without Forgetting (Li & Hoiem, 2017) on class-incremental Split-Digits: the
# fine-tuning config plus LwFHook (distillation from the previous task's frozen model on the
# old classes; alpha and temperature as Avalanche's defaults). docs/strategies.md.
_base_ = ['../continual/finetune_cnn_split-digits.py']

custom_hooks = [dict(type='LwFHook', alpha=1.0, temperature=2.0)]
# Fair tuning (tools/select_hparams.py, on the val split only, seeds [0, 1, 2]) over SGD or Adam x
# step size {1e-3, 1e-2, 5e-2, 1e-1} chose Adam 0.001: val ACC 28.76 +- 3.42
# (docs/hparam_selection.md).
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='Adam', lr=0.001, weight_decay=0.0))
