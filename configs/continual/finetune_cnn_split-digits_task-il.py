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
# Fair tuning (tools/select_hparams.py, on the val split only, seeds [0, 1, 2]) over SGD or Adam x
# step size {1e-3, 1e-2, 5e-2, 1e-1} chose SGD 0.01: val ACC 98.07 +- 0.59
# (docs/hparam_selection.md). PackNet and CPG start from it and choose again.
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0005))
