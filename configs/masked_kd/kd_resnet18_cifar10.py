# KD with a frozen reference: a snapshot of the student taken at epoch 100 and refreshed
# every 20 epochs after it (the original's swap-and-freeze schedule).
_base_ = ['./ce_resnet18_cifar10.py']

model = dict(kd_weight=1.0, temperature=2.0)
custom_hooks = [dict(type='ReferenceModelHook', kind='frozen', start_epoch=100,
                     refresh_interval=20)]
