# MIR (reservoir buffer of 200 samples; 96 candidates scored per step, the 32 most interfered
# replayed) on class-incremental Split-Digits: the ER config with MIRHook.
_base_ = ['./er_cnn_split-digits.py']

custom_hooks = [
    dict(type='MIRHook', buffer_size=200, replay_batch_size=32, candidates=96),
]
# Fair tuning (tools/select_hparams.py, on the val split only, seeds [0, 1, 2]) over SGD or Adam x
# step size {1e-3, 1e-2, 5e-2, 1e-1} chose Adam 0.01: val ACC 95.10 +- 1.44
# (docs/hparam_selection.md).
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='Adam', lr=0.01, weight_decay=0.0))
