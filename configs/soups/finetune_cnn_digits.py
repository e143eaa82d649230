# One soup ingredient: fine-tune the shared pre-trained model on upright digits.
# Ingredients differ in optimizer lr / weight decay, epochs (train_cfg.max_epochs with the
# schedule's T_max) and seed, set with --cfg-options by tools/soups/train_ingredients.sh;
# every one starts from the same checkpoint (load_from).
_base_ = ['./pretrain_cnn_rotated-digits.py']

load_from = 'work_dirs/soups/pretrain/epoch_8.pth'

# _delete_: replace the base's rotated data set rather than merging into it.
upright = dict(_delete_=True, type='DigitsDataset', split='train', seed=0,
               pipeline=[dict(type='PackInputs')])
train_dataloader = dict(batch_size=32, dataset=upright)
val_dataloader = dict(dataset=dict(upright, split='val'))  # held-out split for the soup
test_dataloader = dict(dataset=dict(upright, split='test'))
optim_wrapper = dict(optimizer=dict(lr=0.02, weight_decay=5e-4))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=4, by_epoch=True,
                        convert_to_iter_based=True)]
train_cfg = dict(max_epochs=4, val_interval=4)
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1,
                                     save_last=True))
