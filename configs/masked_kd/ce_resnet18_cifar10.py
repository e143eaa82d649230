# CE baseline: ResNet-18 (CIFAR variant) on CIFAR-10, read from data/cifar10 in the standard
# python format (cifar-10-batches-py); nothing is downloaded.
_base_ = [
    'mmpretrain::_base_/models/resnet18_cifar.py',
    'mmpretrain::_base_/datasets/cifar10_bs16.py',
    'mmpretrain::_base_/schedules/cifar10_bs128.py',
    'mmpretrain::_base_/default_runtime.py',
]
custom_imports = dict(imports=['mm_cl_addon'], allow_failed_imports=False)

train_dataloader = dict(batch_size=128, dataset=dict(download=False))
val_dataloader = dict(batch_size=256, dataset=dict(download=False))
test_dataloader = val_dataloader
model = dict(type='ReferenceKDClassifier', store_features=True)  # no reference: plain CE
val_evaluator = [dict(type='Accuracy', topk=(1, )), dict(type='RankMe')]
test_evaluator = val_evaluator
# ResNet-18 steps gain from every core, idle or busy (benchmarks/threads.py); the small
# models of the other configs run with one thread (mm_cl_addon/engine/threads.py).
env_cfg = dict(num_threads='auto')
