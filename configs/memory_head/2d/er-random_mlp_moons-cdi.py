# ER-random on MOONS-CDI: as er_mlp_moons-cdi.py with the random-replacement buffer.
_base_ = ['./mlp_moons-cdi.py']

custom_hooks = [dict(type='OnlineStreamEvalHook', decision_regions=True),
                dict(type='ReplayHook', buffer_size=8, replay_batch_size=1, policy='random')]
