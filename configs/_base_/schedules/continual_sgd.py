# SGD with a cosine schedule that restarts at every task (ContinualTrainLoop rebuilds it).
epochs_per_task = 4

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=epochs_per_task, by_epoch=True,
         convert_to_iter_based=True, eta_min=1e-4),
]
train_cfg = dict(type='ContinualTrainLoop', epochs_per_task=epochs_per_task,
                 reset_optimizer=True)
val_cfg = dict(type='ContinualValLoop')
test_cfg = dict(type='ContinualTestLoop')
auto_scale_lr = dict(base_batch_size=32)

# Fair tuning (tools/select_hparams.py, docs/hparam_selection.md), inherited by every config on
# this schedule: the optimizer and step size chosen on the validation split (ACC of the
# accuracy matrix that ContinualValLoop fills), mean over seeds 0, 1, 2. SGD keeps the
# schedule's momentum and weight decay; ties go to the earlier point (SGD, then smaller steps).
selection = dict(
    grid={'optim_wrapper.optimizer': [
              dict(_delete_=True, type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4),
              dict(_delete_=True, type='Adam', lr=0.001, weight_decay=0.0)],
          'optim_wrapper.optimizer.lr': [1e-3, 1e-2, 5e-2, 1e-1]},
    score='continual_accuracy.json:average_accuracy',
    seeds=[0, 1, 2])
