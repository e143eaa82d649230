# Experience replay (reservoir buffer of 200 samples, 32 replayed per step) on
# class-incremental Split-Digits: the fine-tuning baseline plus ReplayHook.
_base_ = ['../continual/finetune_cnn_split-digits.py']

custom_hooks = [dict(type='ReplayHook', buffer_size=200, replay_batch_size=32)]
# Fair tuning (tools/select_hparams.py, on the val split only, seeds [0, 1, 2]) over SGD or Adam x
# step size {1e-3, 1e-2, 5e-2, 1e-1} chose Adam 0.01: val ACC 95.29 +- 0.46
# (docs/hparam_selection.md).
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='Adam', lr=0.01, weight_decay=0.0))
