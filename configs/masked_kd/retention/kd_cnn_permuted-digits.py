# KD towards a frozen reference: after task 1 a snapshot of the model becomes the reference,
# and task 2 trains with CE + KD(T=2) towards it (the Split-Digits config's method).
_base_ = ['./ce_cnn_permuted-digits.py']

model = dict(type='ReferenceKDClassifier', kd_weight=1.0, temperature=2.0, scale_by_t2=True)
custom_hooks = [dict(type='ReferenceModelHook', kind='frozen', start_epoch=None)]
