# What the MM-Pick-a-back configs share, whatever the captioned data set (CUB, Oxford-102,
# COCO): a Perceiver IO over image and text tokens in a MultiModalClassifier (the backbone runs
# once per modality of a batch) with one head per task, trained as a continual run whose tasks
# are image tasks (domain 0) and text tasks (domain 1) of one data set. Images are resized to
# MM_IMAGE_SIZE (one token per pixel); captions are UTF-8 bytes.
#
# A data set's config inherits its data set base (task groups, data_preprocessor) and this
# file, sets `tasks` ([classes, [domain]] entries), `source` (the data set's arguments) and
# builds each loader from `mm_loaders[split]`: a TaskSplitDataset (scenario='class-domain') over
# a ConcatDataset of `dict(source, **copy)` for each copy in `modality_copies[split]`.
# Environment overrides (mmengine's {{$VAR:default}}): MM_IMAGE_SIZE, MM_DEPTH, MM_NUM_WORKERS
# (loader workers, default 2), MM_TENSORBOARD (0 leaves out the TensorBoard backend).
_base_ = ['../../_base_/schedules/continual_sgd.py', '../../_base_/continual_runtime.py']

image_size = {{'$MM_IMAGE_SIZE:32'}}
caption_bytes = 128  # UTF-8 bytes per caption (PackMultiModalInputs and the backbone)
image_train = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=(image_size, image_size)),
               dict(type='RandomFlip', prob=0.5, direction='horizontal'),
               dict(type='PackMultiModalInputs', max_bytes=caption_bytes)]
image_test = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=(image_size, image_size)),
              dict(type='PackMultiModalInputs', max_bytes=caption_bytes)]
caption_pipeline = [dict(type='PackMultiModalInputs', max_bytes=caption_bytes)]

# The two copies of the data set every loader concatenates: its images, then its captions.
modality_copies = {
    split: [dict(split=split, modality='image', domain_id=0, pipeline=pipeline),
            dict(split=split, modality='text', domain_id=1, pipeline=caption_pipeline)]
    for split, pipeline in (('train', image_train), ('val', image_test), ('test', image_test))}
loader_settings = dict(num_workers={{'$MM_NUM_WORKERS:2'}}, persistent_workers=False,
                       collate_fn=dict(type='default_collate'))
mm_loaders = dict(
    train=dict(batch_size=32, sampler=dict(type='DefaultSampler', shuffle=True),
               **loader_settings),
    val=dict(batch_size=64, sampler=dict(type='DefaultSampler', shuffle=False), **loader_settings),
    test=dict(batch_size=64, sampler=dict(type='DefaultSampler', shuffle=False),
              **loader_settings))

model = dict(
    type='MultiModalClassifier',
    backbone=dict(type='PerceiverIOBackbone', modalities=['image', 'text'],
                  image_size=(image_size, image_size), image_channels=3,
                  text_max_bytes=caption_bytes, text_dim=32, depth={{'$MM_DEPTH:2'}},
                  num_latents=32, latent_dim=128, latent_heads=4, cross_dim_head=32,
                  latent_dim_head=32),
    head=dict(type='MultiTaskClsHead', in_channels=128))  # task_classes: the data set's config
optim_wrapper = dict(optimizer=dict(_delete_=True, type='AdamW', lr=1e-3, weight_decay=0.01))
find_unused_parameters = True  # one head per task, one modality per task
# MM_TENSORBOARD=0: local logs only (importing TensorBoard costs each process about 2 s).
vis_backends = [dict(type='LocalVisBackend')] + [dict(type='OptionalTensorboardVisBackend')
                                                 ] * {{'$MM_TENSORBOARD:1'}}
visualizer = dict(vis_backends=vis_backends)
