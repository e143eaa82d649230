# Task-incremental fine-tuning: one head per task, the task id given at test time.
_base_ = ['./finetune_cnn_split-digits.py']

scenario = 'task'
tasks = [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]
train_dataloader = dict(dataset=dict(tasks=tasks, scenario=scenario))
val_dataloader = dict(dataset=dict(tasks=tasks, scenario=scenario))
test_dataloader = dict(dataset=dict(tasks=tasks, scenario=scenario))
model = dict(head=dict(_delete_=True, type='MultiTaskClsHead', task_classes=tasks,
                       in_channels=64))
# Only the current task's head takes part in a step: DDP must expect unused parameters.
find_unused_parameters = True
