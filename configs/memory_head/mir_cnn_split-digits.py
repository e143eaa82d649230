# MIR (reservoir buffer of 200 samples; 96 candidates scored per step, the 32 most interfered
# replayed) on class-incremental Split-Digits: the ER config with MIRHook.
_base_ = ['./er_cnn_split-digits.py']

custom_hooks = [
    dict(type='MIRHook', buffer_size=200, replay_batch_size=32, candidates=96),
]
