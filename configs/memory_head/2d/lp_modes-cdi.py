# lp on MODES-CDI, online (batch size 1, one pass), SGD; see _base_/lp.py. The step size
# was chosen on the validation stream (seed 1234) from the papers' grid {1e-4, 1e-3, 1e-2, 1}:
# val ACC 50.0 ties 1e-4 and 1.0; lowest val forgetting, then larger step.
_base_ = ['./_base_/modes-cdi.py', './_base_/lp.py']

optim_wrapper = dict(optimizer=dict(lr=0.001))
