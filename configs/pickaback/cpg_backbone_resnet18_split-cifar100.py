# Pick-a-back step 2 on Split-CIFAR-100: a candidate backbone task trained with CPG and compacted
# by gradual pruning in ten stages of 0.1 (four epochs each), keeping the highest ratio within
# 0.5 points of its baseline (step 1, `baseline_metrics` set by run_pipeline.sh).
_base_ = ['./baseline_resnet18_split-cifar100.py']

cpg = dict(type='CPGHook', prefixes=['backbone'],
           sparsity_stages=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9], stage_epochs=4,
           prune_interval=10, allowed_acc_loss=0.5, baseline_key='task0/accuracy/top1')
custom_hooks = [cpg]
