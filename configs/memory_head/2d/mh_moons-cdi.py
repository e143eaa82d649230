# mh on MOONS-CDI, online (batch size 1, one pass), SGD with the step size of the Continual
# Neural Computation supplement, Table 1 (rho = 0.01, key age threshold 200); see _base_/mh.py.
_base_ = ['./_base_/moons-cdi.py', './_base_/mh.py']

model = dict(head=dict(tau_mu=200))
optim_wrapper = dict(optimizer=dict(lr=0.01))
custom_hooks = [dict(type='OnlineStreamEvalHook', decision_regions=True),
                dict(type='MemoryKeyUpdateHook')]
