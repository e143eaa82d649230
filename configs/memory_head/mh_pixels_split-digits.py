# Memory Head on the raw 64 digit pixels, online (batch size 1, one pass per task),
# class-incremental Split-Digits as the fine-tuning baseline.
_base_ = ['../continual/finetune_cnn_split-digits.py']

model = dict(
    backbone=dict(_delete_=True, type='Flatten'),
    neck=None,
    head=dict(
        _delete_=True,
        type='MemoryHead',
        num_classes=10,
        in_channels=64,
        num_memories=50,
        delta=2,
        key_update='ad_hoc_WTA',
        memory_update='WTA',
        key_lr=0.1,
        # scrambling puts rarely used keys on poorly matched inputs: without it most
        # random keys never win and ACC stays near fine-tuning's (about 29 on val)
        scramble=True,
        tau_mu=100,
        tau_eta=0.8,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
)
train_dataloader = dict(batch_size=1)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.03, momentum=0.0, weight_decay=0.0))
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True)]
train_cfg = dict(epochs_per_task=1)
auto_scale_lr = dict(base_batch_size=1)
custom_hooks = [dict(type='MemoryKeyUpdateHook')]
default_hooks = dict(logger=dict(interval=100), checkpoint=dict(interval=1))
