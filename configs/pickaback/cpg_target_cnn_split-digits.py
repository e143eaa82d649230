# Pick-a-back step 5: the target task trained with CPG on the selected backbone (load_from the
# chosen snapshot of steps 2-4): it picks the backbone's weights with a piggyback mask, trains the
# free ones, grows the backbone by half its width (up to 2x) while it misses its baseline goal,
# and is compacted like the backbone task.
_base_ = ['./cpg_backbone_cnn_split-digits.py']

cpg = dict(type='CPGHook', prefixes=['backbone'], sparsity_stages=[0.25, 0.5, 0.75],
           stage_epochs=1, allowed_acc_loss=1.0, baseline_key='task0/accuracy/top1',
           mask_lr=0.01, max_width_multiplier=2.0, width_step=0.5)
custom_hooks = [cpg]
