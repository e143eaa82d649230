# A-GEM on ns-ImageNet: memory of 500 samples of finished distributions, reference batch of 6
# (sizes as er_mlp_ns-imagenet.py).
_base_ = ['./mlp_ns-imagenet.py']

optim_wrapper = dict(type='AGEMOptimWrapper')
custom_hooks = [dict(type='OnlineStreamEvalHook', batch_size=1024, decision_regions=False),
                dict(type='AGEMHook', buffer_size=500, memory_batch_size=6)]
