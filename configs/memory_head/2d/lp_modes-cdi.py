# lp on MODES-CDI, online (batch size 1, one pass); see _base_/lp.py.
_base_ = ['./_base_/modes-cdi.py', './_base_/lp.py']

# Fair tuning (tools/select_hparams.py, on the validation stream only, seeds [1234, 123456,
# 12346578]) over SGD or Adam x step size {1e-4, 1e-3, 1e-2, 1e-1, 1} chose SGD lr 0.0001:
# final-model val accuracy 33.58 +- 11.61.
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='SGD', lr=0.0001, momentum=0.0, weight_decay=0.0))
