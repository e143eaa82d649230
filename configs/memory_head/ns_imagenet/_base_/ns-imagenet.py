# ns-ImageNet online, on the 2D streams' protocol (../../2d/_base_/online_2d.py: one pass, batch
# size 1, constant-step SGD, one task per distribution, OnlineStreamEvalHook at every boundary):
# 100 classes x 3 noise domains = 300 distributions, on cached features of a frozen ResNet-18.
# The feature files come from tools/memory_head/cache_features.py (docs/memory_head_data.md,
# section ns-ImageNet): <data_root>/<feature_dir>/{train,val,test}.npz. Set NS_IMAGENET_ROOT
# to read them from elsewhere.
_base_ = ['../../2d/_base_/online_2d.py']

data_root = '{{$NS_IMAGENET_ROOT:data/ns_imagenet}}'
feature_dir = 'features/resnet18'
num_classes = 100
pipeline = [dict(type='PackInputs')]
features = dict(type='NSImageNetDataset', data_root=data_root, feature_dir=feature_dir,
                split='train', pipeline=pipeline)
train_dataloader = dict(dataset=dict(dataset=dict(features, _delete_=True)))
test_dataloader = dict(batch_size=1024,
                       dataset=dict(dataset=dict(features, split='test', _delete_=True)))
data_preprocessor = dict(num_classes=num_classes)  # features are used as they are

default_hooks = dict(logger=dict(type='LoggerHook', interval=1000))
# train, val (its first 150 distributions) and test, after each of the 300 distributions
online_eval = dict(type='OnlineStreamEvalHook', batch_size=1024, decision_regions=False)
custom_hooks = [online_eval]
