# What the captioned data sets' bases share (cub_captions.py, oxford102_captions.py,
# coco_captions.py): the ImageNet-normalising multimodal preprocessor, the image and caption
# pipelines and the three task-split loaders over one data set. A data set's base sets
# `data_root`, `task_groups`, `data_preprocessor.num_classes` and its `source` (type and
# arguments), and merges `dict(tasks=task_groups, dataset=source)` into each loader's dataset.
# Switch a loader to captions with dataset.dataset.modality='text' and pipeline=text_pipeline;
# 'paired' keeps the image pipelines (PackMultiModalInputs adds the caption).
max_bytes = 256  # UTF-8 bytes per caption; the captions of all three are far shorter
scenario = 'task'  # MM-Pick-a-back trains one model (and head) per task

data_preprocessor = dict(
    type='MultiModalClsDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackMultiModalInputs', max_bytes=max_bytes),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackMultiModalInputs', max_bytes=max_bytes),
]
text_pipeline = [dict(type='PackMultiModalInputs', max_bytes=max_bytes)]

loader_defaults = dict(
    num_workers=2,
    persistent_workers=False,
    collate_fn=dict(type='default_collate'),
)
split_dataset = dict(
    type='TaskSplitDataset',
    dataset=dict(split='train', modality='image', captions='sample', caption_seed=0,
                 pipeline=train_pipeline),
    scenario=scenario)

train_dataloader = dict(
    batch_size=32,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=split_dataset,
    **loader_defaults)
val_dataloader = dict(
    batch_size=64,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(split_dataset, dataset=dict(split_dataset['dataset'], split='val',
                                             pipeline=test_pipeline)),
    **loader_defaults)
test_dataloader = dict(
    val_dataloader,
    dataset=dict(split_dataset, dataset=dict(split_dataset['dataset'], split='test',
                                             pipeline=test_pipeline)))
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator
