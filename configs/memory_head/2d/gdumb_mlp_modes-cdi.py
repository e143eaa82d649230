# GDumb on MODES-CDI: class-balanced memory of 8 samples; after each distribution the mlp is
# re-initialised and trained 10 epochs on the memory alone (Continual Neural Computation
# supplement, App. E), batch size 1 as the stream.
_base_ = ['./mlp_modes-cdi.py']

custom_hooks = [dict(type='OnlineStreamEvalHook', decision_regions=True),
                dict(type='GDumbHook', buffer_size=8, retrain_length=10)]
# Fair tuning (tools/select_hparams.py, on the validation stream only, seeds [1234, 123456,
# 12346578]) over SGD or Adam x step size {1e-4, 1e-3, 1e-2, 1e-1, 1} chose Adam lr 0.01:
# final-model val accuracy 99.83 +- 0.24.
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='Adam', lr=0.01, weight_decay=0.0))
