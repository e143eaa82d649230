# Pick-a-back step 2: a candidate backbone, one task trained with CPG and compacted by gradual
# pruning (ratios 0.25, 0.5, 0.75, one epoch each); its goal is the task's baseline accuracy
# (step 1), given by `baseline_metrics` in the child config that run_pipeline.sh writes.
_base_ = ['./baseline_cnn_split-digits.py']

cpg = dict(type='CPGHook', prefixes=['backbone'], sparsity_stages=[0.25, 0.5, 0.75],
           stage_epochs=1, allowed_acc_loss=1.0, baseline_key='task0/accuracy/top1')
custom_hooks = [cpg]
