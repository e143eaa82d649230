# MM-Pick-a-back on Oxford-102 Flowers with captions: three image tasks, then three text tasks
# (MM-Pick-a-back's six groups of 4 species, configs/_base_/datasets/oxford102_captions.py), a
# Perceiver IO with one head per task (./_base_/perceiver_captions.py), trained as a plain
# continual run. Splits are setid.mat's trnid / valid / tstid. Environment overrides
# (mmengine's {{$VAR:default}}): OXFORD102_ROOT and the base's.
_base_ = ['../_base_/datasets/oxford102_captions.py', './_base_/perceiver_captions.py']

groups = _base_.task_groups
tasks = [[group, [0]] for group in groups[:3]] + [[group, [1]] for group in groups[3:6]]
task_classes = [task[0] for task in tasks]
source = dict(type='Oxford102Captions', data_root='{{$OXFORD102_ROOT:data/oxford102}}',
              captions='sample', caption_seed=0)

train_dataloader, val_dataloader, test_dataloader = (dict(
    _base_.mm_loaders[split], _delete_=True, dataset=dict(
        type='TaskSplitDataset', tasks=tasks, scenario='class-domain', dataset=dict(
            type='ConcatDataset',
            datasets=[dict(source, **copy) for copy in _base_.modality_copies[split]])))
    for split in ('train', 'val', 'test'))
model = dict(head=dict(task_classes=task_classes))
