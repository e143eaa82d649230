# CUB-200-2011 with Reed et al.'s captions as MM-Pick-a-back's CUB tasks: 27 tasks of 5 species.
# Groups as in MM-Pick-a-back's preprocessing: the 139 species with exactly 60 images, in
# class-id order, cut into consecutive fives (the last 4 are left out). Label = class id - 1.
# Switch a loader to captions with dataset.dataset.modality='text' and pipeline=text_pipeline;
# 'paired' keeps the image pipelines (PackMultiModalInputs adds the caption).
data_root = 'data/CUB_200_2011'
max_bytes = 256  # UTF-8 bytes per caption; CUB captions are far shorter
task_groups = [
    [0, 1, 3, 8, 9], [10, 12, 13, 20, 25], [26, 28, 29, 30, 34],
    [35, 37, 39, 40, 41], [43, 44, 45, 46, 47], [48, 49, 50, 51, 52],
    [53, 54, 55, 56, 58], [60, 61, 63, 66, 67], [68, 69, 70, 71, 72],
    [73, 75, 76, 78, 79], [80, 81, 82, 84, 85], [87, 88, 89, 90, 91],
    [93, 94, 95, 97, 98], [99, 101, 102, 103, 105], [108, 109, 110, 111, 113],
    [115, 117, 119, 120, 121], [122, 126, 127, 128, 129], [130, 131, 132, 133, 135],
    [136, 137, 138, 139, 141], [142, 143, 144, 145, 146], [147, 149, 151, 153, 154],
    [155, 157, 158, 160, 161], [162, 163, 164, 166, 169], [170, 171, 172, 173, 174],
    [175, 176, 179, 181, 182], [183, 184, 185, 187, 188], [190, 191, 192, 193, 194],
]
scenario = 'task'  # MM-Pick-a-back trains one model (and head) per task

data_preprocessor = dict(
    type='MultiModalClsDataPreprocessor',
    num_classes=200,
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
    dataset=dict(type='CUBCaptions', data_root=data_root, split='train', modality='image',
                 captions='sample', caption_seed=0, val_ratio=0.1, split_seed=0,
                 pipeline=train_pipeline),
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
