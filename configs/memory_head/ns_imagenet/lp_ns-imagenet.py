# lp on ns-ImageNet (300 distributions), online, SGD. The step size is not tuned here (the
# features were not at hand): 1e-3 from the papers' grid {1e-4, 1e-3, 1e-2, 1}.
_base_ = ['./_base_/ns-imagenet.py', './_base_/lp.py']

optim_wrapper = dict(optimizer=dict(lr=1e-3))
