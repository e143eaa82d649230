# An ensemble of 3 mlps on MODES-CDI (as configs/memory_head/ensemble_cnn_split-digits.py), each
# trained on its own loss with its own optimizer, predicting by the mean class probabilities.
_base_ = ['./mlp_modes-cdi.py']

num_members = 3
member = _base_.model  # the base's mlp, one copy per member
model = dict(_delete_=True, type='EnsembleClassifier', members=[member] * num_members)
# Fair tuning (tools/select_hparams.py, on the validation stream only, seeds [1234, 123456,
# 12346578]) over SGD or Adam x step size {1e-4, 1e-3, 1e-2, 1e-1, 1} chose Adam lr 0.0001:
# final-model val accuracy 26.83 +- 16.99.
optim_wrapper = dict(
    constructor='EnsembleOptimWrapperConstructor',
    optimizer=dict(_delete_=True, type='Adam', lr=0.0001, weight_decay=0.0))
