# Permuted-Digits, two tasks: the embedded 8x8 digits upright (task 1), then the same images
# under one fixed pixel permutation (task 2), all ten classes in both (domain-incremental, one
# 10-way head). Fine-tuning on task 2 is the "new task"; task 1 is what it should keep.
num_tasks = 2
scenario = 'domain'
task_seed = 0

data_preprocessor = dict(num_classes=10, mean=[78.0], std=[96.0], to_rgb=False)
pipeline = [dict(type='PackInputs')]

loader_defaults = dict(
    num_workers=0,
    persistent_workers=False,
    collate_fn=dict(type='default_collate'),
)
split_dataset = dict(
    type='TaskSplitDataset',
    dataset=dict(type='DigitsDataset', split='train', seed=0, pipeline=pipeline,
                 domains=dict(kind='permutation', num_domains=num_tasks, seed=1)),
    tasks=num_tasks,
    scenario=scenario,
    seed=task_seed)

train_dataloader = dict(
    batch_size=32,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=split_dataset,
    **loader_defaults)
val_dataloader = dict(
    batch_size=128,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(split_dataset, dataset=dict(split_dataset['dataset'], split='val')),
    **loader_defaults)
test_dataloader = dict(
    val_dataloader,
    dataset=dict(split_dataset, dataset=dict(split_dataset['dataset'], split='test')))
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator
