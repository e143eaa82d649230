# A-GEM (memory of 200 past-task samples, reference batches of 64) on class-incremental
# Split-Digits: the ER config with A-GEM's optimizer wrapper and memory hook instead of replay.
_base_ = ['./er_cnn_split-digits.py']

optim_wrapper = dict(type='AGEMOptimWrapper')
custom_hooks = [dict(type='AGEMHook', buffer_size=200, memory_batch_size=64)]
