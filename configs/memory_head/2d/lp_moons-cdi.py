# lp on MOONS-CDI, online (batch size 1, one pass), SGD; see _base_/lp.py. The step size
# was chosen on the validation stream (seed 1234) from the papers' grid {1e-4, 1e-3, 1e-2, 1}:
# val ACC 38.0.
_base_ = ['./_base_/moons-cdi.py', './_base_/lp.py']

optim_wrapper = dict(optimizer=dict(lr=0.01))
