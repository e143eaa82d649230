# MM-Pick-a-back's task order on CUB-200-2011 with captions: three image tasks, then three text
# tasks (the first six groups of 5 species of configs/_base_/datasets/cub_captions.py), a
# Perceiver IO with one head per task (./_base_/perceiver_captions.py), trained as a plain
# continual run (the per-task baselines of the pipeline restrict it to one task). Environment
# overrides (mmengine's {{$VAR:default}}): CUB_ROOT, MM_VAL_RATIO and the base's.
_base_ = ['../_base_/datasets/cub_captions.py', './_base_/perceiver_captions.py']

groups = _base_.task_groups[:6]
tasks = [[group, [0]] for group in groups[:3]] + [[group, [1]] for group in groups[3:]]
task_classes = [task[0] for task in tasks]
source = dict(type='CUBCaptions', data_root='{{$CUB_ROOT:data/CUB_200_2011}}',
              captions='sample', caption_seed=0, val_ratio={{'$MM_VAL_RATIO:0.1'}}, split_seed=0)

train_dataloader, val_dataloader, test_dataloader = (dict(
    _base_.mm_loaders[split], _delete_=True, dataset=dict(
        type='TaskSplitDataset', tasks=tasks, scenario='class-domain', dataset=dict(
            type='ConcatDataset',
            datasets=[dict(source, **copy) for copy in _base_.modality_copies[split]])))
    for split in ('train', 'val', 'test'))
model = dict(head=dict(task_classes=task_classes))
