# MM-Pick-a-back on MSCOCO 2017 with captions: three image tasks, then three text tasks (the
# first six of MM-Pick-a-back's 15 groups of 4 categories, configs/_base_/datasets/
# coco_captions.py: food 1, food 2, animal 1 as images; animal 2, furniture, electronic as
# captions), a Perceiver IO with one head per task (./_base_/perceiver_captions.py), trained as
# a plain continual run. Environment overrides (mmengine's {{$VAR:default}}): COCO_ROOT,
# MM_VAL_RATIO and the base's.
_base_ = ['../_base_/datasets/coco_captions.py', './_base_/perceiver_captions.py']

groups = _base_.task_groups[:6]
tasks = [[group, [0]] for group in groups[:3]] + [[group, [1]] for group in groups[3:]]
task_classes = [task[0] for task in tasks]
source = dict(type='COCOCaptions', data_root='{{$COCO_ROOT:data/coco}}', exclude_person=True,
              captions='sample', caption_seed=0, val_ratio={{'$MM_VAL_RATIO:0.1'}}, split_seed=0)

train_dataloader, val_dataloader, test_dataloader = (dict(
    _base_.mm_loaders[split], _delete_=True, dataset=dict(
        type='TaskSplitDataset', tasks=tasks, scenario='class-domain', dataset=dict(
            type='ConcatDataset',
            datasets=[dict(source, **copy) for copy in _base_.modality_copies[split]])))
    for split in ('train', 'val', 'test'))
model = dict(head=dict(task_classes=task_classes))
