# ER-random on MODES-CDI: as er_mlp_modes-cdi.py with the random-replacement buffer.
_base_ = ['./mlp_modes-cdi.py']

custom_hooks = [dict(type='OnlineStreamEvalHook', decision_regions=True),
                dict(type='ReplayHook', buffer_size=8, replay_batch_size=1, policy='random')]
# Fair tuning (tools/select_hparams.py, on the validation stream only, seeds [1234, 123456,
# 12346578]) over SGD or Adam x step size {1e-4, 1e-3, 1e-2, 1e-1, 1} chose SGD lr 0.01:
# final-model val accuracy 18.78 +- 6.00.
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='SGD', lr=0.01, momentum=0.0, weight_decay=0.0))
