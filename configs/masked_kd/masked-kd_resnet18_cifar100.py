# Masked KD on CIFAR-100 (ratio 0.9, sgf, v1).
_base_ = ['./kd_resnet18_cifar100.py']

model = dict(head=dict(type='MaskedClsHead', mask_ratio=0.9, mask_mode='sgf', inv_mode='v1',
                       mask_loss='kd', temperature=2.0))
# The mask token takes no part in a step until a reference exists (the first task, or the
# epochs before start_epoch): DDP must expect unused parameters.
find_unused_parameters = True
