# Learning without Forgetting (Li & Hoiem, 2017) on class-incremental Split-Digits: the
# fine-tuning config plus LwFHook (distillation from the previous task's frozen model on the
# old classes; alpha and temperature as Avalanche's defaults). docs/strategies.md.
_base_ = ['../continual/finetune_cnn_split-digits.py']

custom_hooks = [dict(type='LwFHook', alpha=1.0, temperature=2.0)]
