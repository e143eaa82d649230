# KD from a swa reference on CIFAR-100.
_base_ = ['./kd_resnet18_cifar100.py']

custom_hooks = [dict(type='ReferenceModelHook', kind='swa', start_epoch=100,
                     momentum=0.001, gamma=100)]
