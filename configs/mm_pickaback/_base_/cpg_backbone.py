# MM-Pick-a-back step 2 (any captioned data set): a candidate backbone task trained with CPG on
# the Perceiver IO and compacted in three gradual-pruning stages; goal = its baseline (step 1,
# `baseline_metrics` set by run_pipeline.sh). No growth (a first task has every weight free).
# MM_SPARSITY_STAGES (comma-separated ratios, default 0.25,0.5,0.75) sets the stages.
sparsity_stages = [float(ratio) for ratio in '{{$MM_SPARSITY_STAGES:0.25,0.5,0.75}}'.split(',')]
custom_hooks = [dict(type='CPGHook', prefixes=['backbone'], sparsity_stages=sparsity_stages,
                     stage_epochs=1, allowed_acc_loss=1.0, baseline_key='task0/accuracy/top1')]
