# GDumb on ns-ImageNet: class-balanced memory of 500 samples; after each distribution the mlp is
# re-initialised and trained 10 epochs on the memory alone (Continual Neural Computation
# supplement, App. E), batch size 1 as the stream.
_base_ = ['./mlp_ns-imagenet.py']

custom_hooks = [dict(type='OnlineStreamEvalHook', batch_size=1024, decision_regions=False),
                dict(type='GDumbHook', buffer_size=500, retrain_length=10)]
