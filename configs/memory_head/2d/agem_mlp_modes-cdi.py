# A-GEM on MODES-CDI: memory of 8 samples of finished distributions, reference batch of 1.
_base_ = ['./mlp_modes-cdi.py']

# Fair tuning (tools/select_hparams.py, on the validation stream only, seeds [1234, 123456,
# 12346578]) over SGD or Adam x step size {1e-4, 1e-3, 1e-2, 1e-1, 1} chose Adam lr 0.001:
# final-model val accuracy 37.50 +- 12.61.
optim_wrapper = dict(
    type='AGEMOptimWrapper',
    optimizer=dict(_delete_=True, type='Adam', lr=0.001, weight_decay=0.0))
custom_hooks = [dict(type='OnlineStreamEvalHook', decision_regions=True),
                dict(type='AGEMHook', buffer_size=8, memory_batch_size=1)]
