# KD from a ema reference on CIFAR-100.
_base_ = ['./kd_resnet18_cifar100.py']

custom_hooks = [dict(type='ReferenceModelHook', kind='ema', start_epoch=100,
                     momentum=0.001, gamma=100)]
