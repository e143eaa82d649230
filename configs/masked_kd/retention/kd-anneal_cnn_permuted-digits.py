# KD towards a momentum-annealed EMA of the model, restarted from the model after task 1.
_base_ = ['./kd_cnn_permuted-digits.py']

custom_hooks = [dict(type='ReferenceModelHook', kind='anneal', start_epoch=None, momentum=0.01,
                     gamma=10)]
