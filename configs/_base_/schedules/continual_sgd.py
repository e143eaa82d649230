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
