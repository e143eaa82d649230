# MIR on MOONS-CDI: reservoir buffer of 8, every stored sample scored as a candidate, the most
# interfered one replayed per step.
_base_ = ['./mlp_moons-cdi.py']

custom_hooks = [dict(type='OnlineStreamEvalHook', decision_regions=True),
                dict(type='MIRHook', buffer_size=8, replay_batch_size=1, candidates=8)]
