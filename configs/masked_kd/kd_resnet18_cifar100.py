# KD with a frozen reference on CIFAR-100 (the schedule of kd_resnet18_cifar10.py).
_base_ = ['./ce_resnet18_cifar100.py']

model = dict(kd_weight=1.0, temperature=2.0)
custom_hooks = [dict(type='ReferenceModelHook', kind='frozen', start_epoch=100,
                     refresh_interval=20)]
