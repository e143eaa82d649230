# KD from an exponential moving average of the student, re-started from the student after
# every task and updated every iteration (momentum 0.01: visible on digits' short tasks).
_base_ = ['./kd_cnn_split-digits.py']

custom_hooks = [dict(type='ReferenceModelHook', kind='ema', start_epoch=None, momentum=0.01)]
