# mlp on MOONS-CDI, online (batch size 1, one pass), SGD; see _base_/mlp.py. The step size
# was chosen on the validation stream (seed 1234) from the papers' grid {1e-4, 1e-3, 1e-2, 1}:
# val ACC 36.5.
_base_ = ['./_base_/moons-cdi.py', './_base_/mlp.py']

optim_wrapper = dict(optimizer=dict(lr=0.001))
