# Anti-forgetting by distillation on Split-Digits (class-incremental): after each task a
# frozen snapshot of the model becomes the reference, and the next task trains with
# CE + KD(T=2) towards it.
_base_ = ['../continual/finetune_cnn_split-digits.py']

model = dict(type='ReferenceKDClassifier', kd_weight=1.0, temperature=2.0, scale_by_t2=True)
custom_hooks = [dict(type='ReferenceModelHook', kind='frozen', start_epoch=None)]
# The shared schedule's SGD: the baseline now trains with its own tuned optimizer, this
# config is not tuned yet.
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
