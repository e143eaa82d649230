# ER on ns-ImageNet: the mlp model plus a reservoir buffer of 500 samples (5 per class; our
# choice, the papers give none), 6 replayed per step: the cost of mh_ns-imagenet.py's layer,
# R_C = m u~ / (u n) + delta + 1 = 100 * 512 / (512 * 100) + 5 + 1 = 7 times a linear layer,
# buys R_C - 1 = 6 replayed samples (Continual Neural Computation supplement, App. D).
_base_ = ['./mlp_ns-imagenet.py']

custom_hooks = [dict(type='OnlineStreamEvalHook', batch_size=1024, decision_regions=False),
                dict(type='ReplayHook', buffer_size=500, replay_batch_size=6)]
