# A-GEM (memory of 200 past-task samples, reference batches of 64) on class-incremental
# Split-Digits: the ER config with A-GEM's optimizer wrapper and memory hook instead of replay.
_base_ = ['./er_cnn_split-digits.py']

# Fair tuning (tools/select_hparams.py, on the val split only, seeds [0, 1, 2]) over SGD or Adam x
# step size {1e-3, 1e-2, 5e-2, 1e-1} chose Adam 0.001: val ACC 51.87 +- 5.45
# (docs/hparam_selection.md).
optim_wrapper = dict(
    type='AGEMOptimWrapper',
    optimizer=dict(_delete_=True, type='Adam', lr=0.001, weight_decay=0.0))
custom_hooks = [dict(type='AGEMHook', buffer_size=200, memory_batch_size=64)]
