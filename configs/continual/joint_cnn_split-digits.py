# Joint training (upper bound): the union of all Split-Digits tasks at once,
# evaluated per task by ContinualValLoop after the last epoch.
_base_ = ['./finetune_cnn_split-digits.py']

max_epochs = 8
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True,
         convert_to_iter_based=True, eta_min=1e-4),
]
train_cfg = dict(_delete_=True, type='EpochBasedTrainLoop', max_epochs=max_epochs,
                 val_interval=max_epochs)
