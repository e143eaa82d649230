# MM-Pick-a-back's task order on CUB captions (three image tasks, then three text tasks), one
# Perceiver IO shared out by PackNet: half of each task's weights freed by magnitude, one
# retraining epoch; LayerNorms, latents and embeddings frozen after the first task.
_base_ = ['./baseline_perceiver_cub.py']

custom_hooks = [dict(type='PackNetHook', prune_ratio=0.5, retrain_epochs=1,
                     prefixes=['backbone'])]
