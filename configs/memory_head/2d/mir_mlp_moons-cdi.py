# MIR on MOONS-CDI: reservoir buffer of 8, every stored sample scored as a candidate, the most
# interfered one replayed per step.
_base_ = ['./mlp_moons-cdi.py']

custom_hooks = [dict(type='OnlineStreamEvalHook', decision_regions=True),
                dict(type='MIRHook', buffer_size=8, replay_batch_size=1, candidates=8)]
# Fair tuning (tools/select_hparams.py, on the validation stream only, seeds [1234, 123456,
# 12346578]) over SGD or Adam x step size {1e-4, 1e-3, 1e-2, 1e-1, 1} chose SGD lr 1: final-model
# val accuracy 37.81 +- 9.43.
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='SGD', lr=1.0, momentum=0.0, weight_decay=0.0))
