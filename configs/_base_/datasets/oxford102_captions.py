# Oxford-102 Flowers with Reed et al.'s captions as MM-Pick-a-back's flower tasks: 6 tasks of
# 4 species, the groups of MM-Pick-a-back's preprocessing (class_00051, class_00072, ... ->
# label = folder number - 1). Splits are setid.mat's trnid / valid / tstid.
# Switch a loader to captions with dataset.dataset.modality='text' and pipeline=text_pipeline;
# 'paired' keeps the image pipelines (PackMultiModalInputs adds the caption).
data_root = 'data/oxford102'
max_bytes = 256  # UTF-8 bytes per caption; the flower captions are far shorter
task_groups = [
    [50, 71, 81, 59], [76, 64, 57, 55], [45, 73, 36, 79],
    [72, 40, 82, 94], [88, 80, 74, 75], [93, 87, 77, 42],
]
scenario = 'task'  # MM-Pick-a-back trains one model (and head) per task

data_preprocessor = dict(
    type='MultiModalClsDataPreprocessor',
    num_classes=102,
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
    dataset=dict(type='Oxford102Captions', data_root=data_root, split='train',
                 modality='image', captions='sample', caption_seed=0, pipeline=train_pipeline),
    tasks=task_groups,
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
