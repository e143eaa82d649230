# MM-Pick-a-back step 2 on CUB captions: a candidate backbone task trained with CPG on the
# Perceiver IO and compacted in three gradual-pruning stages; goal = its baseline (step 1,
# `baseline_metrics` set by run_mm_pipeline.sh). The Perceiver IO backbone cannot grow.
_base_ = ['./baseline_perceiver_cub.py']

cpg = dict(type='CPGHook', prefixes=['backbone'], sparsity_stages=[0.25, 0.5, 0.75],
           stage_epochs=1, allowed_acc_loss=1.0, baseline_key='task0/accuracy/top1')
custom_hooks = [cpg]
