# MIR on ns-ImageNet: reservoir buffer of 500, 50 random stored samples scored as candidates, the
# 6 most interfered replayed per step (sizes as er_mlp_ns-imagenet.py).
_base_ = ['./mlp_ns-imagenet.py']

custom_hooks = [dict(type='OnlineStreamEvalHook', batch_size=1024, decision_regions=False),
                dict(type='MIRHook', buffer_size=500, replay_batch_size=6, candidates=50)]
