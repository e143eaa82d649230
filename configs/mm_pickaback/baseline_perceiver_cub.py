# MM-Pick-a-back's task order on CUB-200-2011 with captions: three image tasks, then three text
# tasks (5 species each), a Perceiver IO with one head per task, trained as a plain continual
# run (the per-task baselines of the pipeline restrict it to one task). Images are resized to
# 32x32 (one token per pixel); captions are UTF-8 bytes. Environment overrides (mmengine's
# {{$VAR:default}}): CUB_ROOT, MM_IMAGE_SIZE, MM_DEPTH, MM_VAL_RATIO.
_base_ = [
    '../_base_/datasets/cub_captions.py',
    '../_base_/schedules/continual_sgd.py',
    '../_base_/continual_runtime.py',
]

image_size = {{'$MM_IMAGE_SIZE:32'}}
groups = [[0, 1, 3, 8, 9], [10, 12, 13, 20, 25], [26, 28, 29, 30, 34],
          [35, 37, 39, 40, 41], [43, 44, 45, 46, 47], [48, 49, 50, 51, 52]]
tasks = [[group, [0]] for group in groups[:3]] + [[group, [1]] for group in groups[3:]]
task_classes = [task[0] for task in tasks]

image_train = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=(image_size, image_size)),
               dict(type='RandomFlip', prob=0.5, direction='horizontal'),
               dict(type='PackMultiModalInputs', max_bytes=128)]
image_test = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=(image_size, image_size)),
              dict(type='PackMultiModalInputs', max_bytes=128)]
text_pipeline = [dict(type='PackMultiModalInputs', max_bytes=128)]
cub = dict(type='CUBCaptions', data_root='{{$CUB_ROOT:data/CUB_200_2011}}', captions='sample',
           caption_seed=0, val_ratio={{'$MM_VAL_RATIO:0.1'}}, split_seed=0)


def both_modalities(split, image_pipeline):
    return dict(type='TaskSplitDataset', tasks=tasks, scenario='class-domain', dataset=dict(
        type='ConcatDataset', datasets=[
            dict(cub, split=split, modality='image', domain_id=0, pipeline=image_pipeline),
            dict(cub, split=split, modality='text', domain_id=1, pipeline=text_pipeline)]))


train_dataloader = dict(batch_size=32, dataset=dict(_delete_=True, **both_modalities(
    'train', image_train)))
val_dataloader = dict(batch_size=64, dataset=dict(_delete_=True, **both_modalities(
    'val', image_test)))
test_dataloader = dict(batch_size=64, dataset=dict(_delete_=True, **both_modalities(
    'test', image_test)))

model = dict(
    type='ImageClassifier',
    backbone=dict(type='PerceiverIOBackbone', modalities=['image', 'text'],
                  image_size=(image_size, image_size), image_channels=3, text_max_bytes=128,
                  text_dim=32, depth={{'$MM_DEPTH:2'}}, num_latents=32, latent_dim=128,
                  latent_heads=4, cross_dim_head=32, latent_dim_head=32),
    head=dict(type='MultiTaskClsHead', task_classes=task_classes, in_channels=128))
optim_wrapper = dict(optimizer=dict(_delete_=True, type='AdamW', lr=1e-3, weight_decay=0.01))
find_unused_parameters = True  # one head per task, one modality per batch
