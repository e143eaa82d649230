# MSCOCO 2017 with its captions as MM-Pick-a-back's COCO tasks: 15 tasks of 4 categories.
# An image's label is the category of its lowest-id annotation; person is excluded, so the
# 79 other categories get indices 0..78 in ascending category id (bicycle = 0). The groups
# are MM-Pick-a-back's 4-group mapping ('base' there read as 'vase').
# Switch a loader to captions with dataset.dataset.modality='text' and pipeline=text_pipeline;
# 'paired' keeps the image pipelines (PackMultiModalInputs adds the caption).
data_root = 'data/coco'
max_bytes = 256  # UTF-8 bytes per caption; COCO captions are far shorter
task_groups = [
    [45, 50, 49, 53],  # food 1: banana, carrot, broccoli, donut
    [48, 54, 46, 52],  # food 2: orange, cake, apple, pizza
    [13, 17, 18, 16],  # animal 1: bird, sheep, cow, horse
    [19, 15, 21, 22],  # animal 2: elephant, dog, zebra, giraffe
    [55, 59, 57, 56],  # furniture: chair, dining table, potted plant, couch
    [66, 61, 64, 62],  # electronic: cell phone, tv, remote, laptop
    [38, 40, 44, 39],  # kitchen: bottle, cup, bowl, wine glass
    [1, 2, 7, 6],  # vehicle 1: car, motorcycle, boat, truck
    [0, 4, 3, 5],  # vehicle 2: bicycle, bus, airplane, train
    [8, 12, 10, 9],  # outdoor: traffic light, bench, stop sign, fire hydrant
    [25, 24, 23, 26],  # accessory: handbag, umbrella, backpack, tie
    [32, 29, 31, 36],  # sports 1: kite, skis, sports ball, surfboard
    [35, 37, 34, 33],  # sports 2: skateboard, tennis racket, baseball glove, baseball bat
    [70, 68, 71, 67],  # appliance: sink, oven, refrigerator, microwave
    [72, 74, 73, 76],  # indoor: book, vase, clock, teddy bear
]
scenario = 'task'  # MM-Pick-a-back trains one model (and head) per task

data_preprocessor = dict(
    type='MultiModalClsDataPreprocessor',
    num_classes=79,
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
    dataset=dict(type='COCOCaptions', data_root=data_root, split='train', modality='image',
                 exclude_person=True, captions='sample', caption_seed=0, val_ratio=0.1,
                 split_seed=0, pipeline=train_pipeline),
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
