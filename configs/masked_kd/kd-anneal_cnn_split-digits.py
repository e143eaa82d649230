# KD from a anneal reference re-started from the student after every task.
_base_ = ['./kd_cnn_split-digits.py']

custom_hooks = [dict(type='ReferenceModelHook', kind='anneal', start_epoch=None, momentum=0.01,
                     gamma=10)]
