# mh on MODES-CDI, online (batch size 1, one pass), SGD with the step size of the Continual
# Neural Computation supplement, Table 1 (rho = 0.1); see _base_/mh.py.
_base_ = ['./_base_/modes-cdi.py', './_base_/mh.py']

model = dict(head=dict(tau_mu=50))
optim_wrapper = dict(optimizer=dict(lr=0.1))
custom_hooks = [dict(type='OnlineStreamEvalHook', decision_regions=True),
                dict(type='MemoryKeyUpdateHook')]
