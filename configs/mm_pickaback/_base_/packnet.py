# MM-Pick-a-back's task order (image tasks, then text tasks) in one Perceiver IO shared out by
# PackNet: half of each task's weights freed by magnitude, one retraining epoch; LayerNorms,
# latents and embeddings frozen after the first task.
custom_hooks = [dict(type='PackNetHook', prune_ratio=0.5, retrain_epochs=1,
                     prefixes=['backbone'])]
