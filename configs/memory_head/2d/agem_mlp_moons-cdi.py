# A-GEM on MOONS-CDI: memory of 8 samples of finished distributions, reference batch of 1.
_base_ = ['./mlp_moons-cdi.py']

optim_wrapper = dict(type='AGEMOptimWrapper')
custom_hooks = [dict(type='OnlineStreamEvalHook', decision_regions=True),
                dict(type='AGEMHook', buffer_size=8, memory_batch_size=1)]
