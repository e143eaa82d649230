# ER-random on ns-ImageNet: as er_mlp_ns-imagenet.py with the random-replacement buffer.
_base_ = ['./mlp_ns-imagenet.py']

custom_hooks = [dict(type='OnlineStreamEvalHook', batch_size=1024, decision_regions=False),
                dict(type='ReplayHook', buffer_size=500, replay_batch_size=6, policy='random')]
