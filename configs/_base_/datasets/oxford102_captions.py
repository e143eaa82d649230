# Oxford-102 Flowers with Reed et al.'s captions as MM-Pick-a-back's flower tasks: 6 tasks of
# 4 species, the groups of MM-Pick-a-back's preprocessing (class_00051, class_00072, ... ->
# label = folder number - 1). Splits are setid.mat's trnid / valid / tstid.
# The pipelines, loaders and preprocessor: ./captions_common.py.
_base_ = ['./captions_common.py']

data_root = 'data/oxford102'
task_groups = [
    [50, 71, 81, 59], [76, 64, 57, 55], [45, 73, 36, 79],
    [72, 40, 82, 94], [88, 80, 74, 75], [93, 87, 77, 42],
]

data_preprocessor = dict(num_classes=102)
dataset_source = dict(type='Oxford102Captions', data_root=data_root)
task_split = dict(tasks=task_groups, dataset=dataset_source)
train_dataloader = dict(dataset=task_split)
val_dataloader = dict(dataset=task_split)
test_dataloader = dict(dataset=task_split)
