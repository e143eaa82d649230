# Pick-a-back step 1: a model trained from scratch on one task of Split-Digits (task-incremental
# head), whose validation accuracy is that task's goal for CPG. tools/pickaback/run_pipeline.sh
# writes one child config per task that sets `tasks`; alone this trains the first task.
_base_ = ['../continual/finetune_cnn_split-digits_task-il.py']

tasks = [[0, 1]]
train_dataloader = dict(dataset=dict(tasks=tasks))
val_dataloader = dict(dataset=dict(tasks=tasks))
test_dataloader = dict(dataset=dict(tasks=tasks))
model = dict(head=dict(task_classes=tasks))
