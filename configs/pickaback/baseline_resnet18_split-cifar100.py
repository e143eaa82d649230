# Pick-a-back step 1 on Split-CIFAR-100 (the 20 superclasses as tasks of 5 classes, one head per
# task): ResNet-18 (CIFAR variant) trained from scratch on one task. CIFAR-100 is read from
# data/cifar100 (cifar-100-python, never downloaded); like CPG, its test split is the
# validation split. run_pipeline.sh (SUITE=cifar100) writes one child config per task.
_base_ = [
    'mmpretrain::_base_/models/resnet18_cifar.py',
    'mmpretrain::_base_/default_runtime.py',
    '../_base_/datasets/cifar100_superclasses.py',
]
custom_imports = dict(imports=['mm_cl_addon'], allow_failed_imports=False)

tasks = [[4, 30, 55, 72, 95]]  # the first superclass; child configs choose theirs
epochs_per_task = 60
data_preprocessor = dict(num_classes=100, mean=[129.304, 124.070, 112.434],
                         std=[68.170, 65.392, 70.418], to_rgb=False)
model = dict(head=dict(_delete_=True, type='MultiTaskClsHead', task_classes=tasks,
                       in_channels=512))
cifar100 = dict(type='CIFAR100', data_root='data/cifar100', download=False)
split = dict(type='TaskSplitDataset', tasks=tasks, scenario='task')
train_dataloader = dict(
    batch_size=64, num_workers=2, sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(split, dataset=dict(cifar100, split='train', pipeline=[
        dict(type='RandomCrop', crop_size=32, padding=4),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='PackInputs')])))
val_dataloader = dict(
    batch_size=256, num_workers=2, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(split, dataset=dict(cifar100, split='test', pipeline=[dict(type='PackInputs')])))
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=epochs_per_task, by_epoch=True,
                        convert_to_iter_based=True, eta_min=1e-4)]
train_cfg = dict(type='ContinualTrainLoop', epochs_per_task=epochs_per_task)
val_cfg = dict(type='ContinualValLoop')
test_cfg = dict(type='ContinualTestLoop')
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=2,
                                     save_last=True))
find_unused_parameters = True  # one head per task: the others take no part in a step
# ResNet-18 steps gain from every core, idle or busy (benchmarks/threads.py); the small
# models of the other configs run with one thread (mm_cl_addon/engine/threads.py).
env_cfg = dict(num_threads='auto')
