# Masked KD: half of the pooled feature's channels (different per sample) are replaced by a
# learnable scalar token before the head, and the masked logits plus the detached
# inverse-masked logits are distilled towards the frozen reference (inv_mode v1).
_base_ = ['./kd_cnn_split-digits.py']

model = dict(head=dict(type='MaskedClsHead', mask_ratio=0.5, mask_mode='s', inv_mode='v1',
                       mask_loss='kd', temperature=2.0))
# The mask token takes no part in a step until a reference exists (the first task, or the
# epochs before start_epoch): DDP must expect unused parameters.
find_unused_parameters = True
