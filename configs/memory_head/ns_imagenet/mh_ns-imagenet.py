# mh on ns-ImageNet (300 distributions), online, SGD with the ns-imagenet column of Table 1 of
# the Continual Neural Computation supplement: rho = 1e-4, decay = 1e-3; see _base_/mh.py.
_base_ = ['./_base_/ns-imagenet.py', './_base_/mh.py']

optim_wrapper = dict(optimizer=dict(lr=1e-4, weight_decay=1e-3))
custom_hooks = [dict(type='OnlineStreamEvalHook', batch_size=1024, decision_regions=False),
                dict(type='MemoryKeyUpdateHook')]
