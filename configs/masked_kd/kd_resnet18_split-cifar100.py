# KD against forgetting on Split-CIFAR-100: the 20 superclasses of CIFAR-100 as tasks of 5
# classes each (class-incremental), a frozen snapshot after each task as the reference.
_base_ = ['./kd_resnet18_cifar100.py']

# CIFAR-100's fine classes grouped by coarse class (the 20 superclasses), in coarse order.
superclasses = [
    [4, 30, 55, 72, 95], [1, 32, 67, 73, 91], [54, 62, 70, 82, 92], [9, 10, 16, 28, 61],
    [0, 51, 53, 57, 83], [22, 39, 40, 86, 87], [5, 20, 25, 84, 94], [6, 7, 14, 18, 24],
    [3, 42, 43, 88, 97], [12, 17, 37, 68, 76], [23, 33, 49, 60, 71], [15, 19, 21, 31, 38],
    [34, 63, 64, 66, 75], [26, 45, 77, 79, 99], [2, 11, 35, 46, 98], [27, 29, 44, 78, 93],
    [36, 50, 65, 74, 80], [47, 52, 56, 59, 96], [8, 13, 48, 58, 90], [41, 69, 81, 85, 89],
]
cifar100 = dict(type='CIFAR100', data_root='data/cifar100', download=False)
train_dataloader = dict(dataset=dict(
    _delete_=True, type='TaskSplitDataset', tasks=superclasses, scenario='class',
    dataset=dict(cifar100, split='train', pipeline=[
        dict(type='RandomCrop', crop_size=32, padding=4),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='PackInputs')])))
val_dataloader = dict(dataset=dict(
    _delete_=True, type='TaskSplitDataset', tasks=superclasses, scenario='class',
    dataset=dict(cifar100, split='test', pipeline=[dict(type='PackInputs')])))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator
param_scheduler = [dict(type='CosineAnnealingLR', T_max=30, by_epoch=True,
                        convert_to_iter_based=True)]
train_cfg = dict(_delete_=True, type='ContinualTrainLoop', epochs_per_task=30)
val_cfg = dict(_delete_=True, type='ContinualValLoop')
test_cfg = dict(_delete_=True, type='ContinualTestLoop')
custom_hooks = [dict(type='ReferenceModelHook', kind='frozen', start_epoch=None)]
