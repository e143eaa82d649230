# The shared initial model of the class-transfer soup: SmallConvNet pre-trained on the upright
# digits 0-4 only (its 10-way head never sees 5-9), to be fine-tuned on all ten classes.
_base_ = ['./finetune_cnn_digits.py']

load_from = None
digits = dict(type='DigitsDataset', split='train', seed=0, pipeline=[dict(type='PackInputs')])
train_dataloader = dict(batch_size=64, dataset=dict(
    _delete_=True, type='TaskSplitDataset', tasks=[[0, 1, 2, 3, 4]], dataset=digits))
val_dataloader = dict(dataset=dict(
    _delete_=True, type='TaskSplitDataset', tasks=[[0, 1, 2, 3, 4]],
    dataset=dict(digits, split='val')))
optim_wrapper = dict(optimizer=dict(lr=0.05, weight_decay=5e-4))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=8, by_epoch=True,
                        convert_to_iter_based=True)]
train_cfg = dict(max_epochs=8, val_interval=8)
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=8, max_keep_ckpts=1,
                                     save_last=True))
