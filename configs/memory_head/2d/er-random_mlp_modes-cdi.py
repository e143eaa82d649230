# ER-random on MODES-CDI: as er_mlp_modes-cdi.py with the random-replacement buffer.
_base_ = ['./mlp_modes-cdi.py']

custom_hooks = [dict(type='OnlineStreamEvalHook', decision_regions=True),
                dict(type='ReplayHook', buffer_size=8, replay_batch_size=1, policy='random')]
