# ER on MODES-CDI: the mlp model plus a reservoir buffer of 8 samples, 1 replayed per step
# (the buffer sizes of the papers' public example command for the 2D competitors).
_base_ = ['./mlp_modes-cdi.py']

custom_hooks = [dict(type='OnlineStreamEvalHook', decision_regions=True),
                dict(type='ReplayHook', buffer_size=8, replay_batch_size=1)]
