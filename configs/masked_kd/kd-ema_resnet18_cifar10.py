# KD from a ema reference (mmengine's averaged model), copied from the student at epoch
# 100 and updated after every iteration.
_base_ = ['./kd_resnet18_cifar10.py']

custom_hooks = [dict(type='ReferenceModelHook', kind='ema', start_epoch=100,
                     momentum=0.001, gamma=100)]
