# ER-random (the Memory Head code's random-replacement buffer of 200 samples, 32 replayed per
# step) on class-incremental Split-Digits: the ER config with policy='random'.
_base_ = ['./er_cnn_split-digits.py']

custom_hooks = [
    dict(type='ReplayHook', buffer_size=200, replay_batch_size=32, policy='random'),
]
