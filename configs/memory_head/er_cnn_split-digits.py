# Experience replay (reservoir buffer of 200 samples, 32 replayed per step) on
# class-incremental Split-Digits: the fine-tuning baseline plus ReplayHook.
_base_ = ['../continual/finetune_cnn_split-digits.py']

custom_hooks = [dict(type='ReplayHook', buffer_size=200, replay_batch_size=32)]
