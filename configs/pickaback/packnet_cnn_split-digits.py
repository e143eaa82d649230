# PackNet on task-incremental Split-Digits: each task trains the backbone's free weights,
# frees half of them by magnitude, retrains 2 epochs, and keeps the rest frozen.
_base_ = ['../continual/finetune_cnn_split-digits_task-il.py']

custom_hooks = [dict(type='PackNetHook', prune_ratio=0.5, retrain_epochs=2,
                     prefixes=['backbone'])]
