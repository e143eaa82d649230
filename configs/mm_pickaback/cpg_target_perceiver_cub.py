# MM-Pick-a-back step 5 on CUB captions: the target task trained with CPG on the selected
# backbone after the k/v transfer (load_from the transferred checkpoint): it picks the backbone's
# weights with piggyback masks, trains the free ones (including its transferred projection) and
# is compacted as in step 2.
_base_ = ['./cpg_backbone_perceiver_cub.py']

cpg = dict(type='CPGHook', prefixes=['backbone'], sparsity_stages=[0.25, 0.5, 0.75],
           stage_epochs=1, allowed_acc_loss=1.0, baseline_key='task0/accuracy/top1',
           mask_lr=1e-3)
custom_hooks = [cpg]
