# Permuted-Digits, two tasks: the embedded 8x8 digits upright (task 1), then the same images
# under one fixed pixel permutation (task 2), all ten classes in both (domain-incremental, one
# 10-way head). Fine-tuning on task 2 is the "new task"; task 1 is what it should keep.
# Split-Digits' loaders, with the tasks cut by domain instead of by class.
_base_ = ['./split_digits.py']

num_tasks = 2
scenario = 'domain'
domains = dict(kind='permutation', num_domains=num_tasks, seed=1)
split = dict(tasks=num_tasks, scenario=scenario, dataset=dict(domains=domains))

train_dataloader = dict(dataset=split)
val_dataloader = dict(dataset=split)
test_dataloader = dict(dataset=split)
