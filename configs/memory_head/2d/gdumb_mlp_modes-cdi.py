# GDumb on MODES-CDI: class-balanced memory of 8 samples; after each distribution the mlp is
# re-initialised and trained 10 epochs on the memory alone (Continual Neural Computation
# supplement, App. E), batch size 1 as the stream.
_base_ = ['./mlp_modes-cdi.py']

custom_hooks = [dict(type='OnlineStreamEvalHook', decision_regions=True),
                dict(type='GDumbHook', buffer_size=8, retrain_length=10)]
