# Masked KD: 90% of the pooled feature's channels masked per sample with a frozen zero
# scalar token (sgf), inv_mode v1, KD towards the frozen reference. Other modes:
# --cfg-options model.head.mask_mode=a model.head.inv_mode=v2 model.head.mask_ratio=0.5
_base_ = ['./kd_resnet18_cifar10.py']

model = dict(head=dict(type='MaskedClsHead', mask_ratio=0.9, mask_mode='sgf', inv_mode='v1',
                       mask_loss='kd', temperature=2.0))
# The mask token takes no part in a step until a reference exists (the first task, or the
# epochs before start_epoch): DDP must expect unused parameters.
find_unused_parameters = True
