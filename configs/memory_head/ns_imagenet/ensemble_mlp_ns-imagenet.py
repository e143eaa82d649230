# An ensemble of 3 mlps on ns-ImageNet (as the 2D and digits ensembles), each trained on its own
# loss with its own optimizer, predicting by the mean class probabilities.
_base_ = ['./mlp_ns-imagenet.py']

num_members = 3
member = _base_.model  # the base's mlp, one copy per member
model = dict(_delete_=True, type='EnsembleClassifier', members=[member] * num_members)
optim_wrapper = dict(constructor='EnsembleOptimWrapperConstructor')
