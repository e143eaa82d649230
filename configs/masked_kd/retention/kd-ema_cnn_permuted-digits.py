# KD towards an EMA of the model (momentum 0.01), restarted from the model after task 1.
_base_ = ['./kd_cnn_permuted-digits.py']

custom_hooks = [dict(type='ReferenceModelHook', kind='ema', start_epoch=None, momentum=0.01)]
