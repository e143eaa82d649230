# KD against forgetting on Split-CIFAR-100: the 20 superclasses of CIFAR-100 as tasks of 5
# classes each (class-incremental), a frozen snapshot after each task as the reference.
_base_ = ['./kd_resnet18_cifar100.py', '../_base_/datasets/cifar100_superclasses.py']

superclasses = {{_base_.superclasses}}
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
