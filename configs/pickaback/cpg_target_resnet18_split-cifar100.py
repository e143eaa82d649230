# Pick-a-back step 5 on Split-CIFAR-100: the target task trained with CPG on the selected
# backbone (load_from), picking its weights and training the free ones, then compacted as in
# step 2. mmpretrain's ResNet_CIFAR has no width_multiplier, so this configuration cannot grow
# (CPGHook refuses growth for it by name); use a SmallConvNet backbone to allow growth.
_base_ = ['./cpg_backbone_resnet18_split-cifar100.py']

cpg = dict(type='CPGHook', prefixes=['backbone'],
           sparsity_stages=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9], stage_epochs=4,
           prune_interval=10, allowed_acc_loss=0.5, baseline_key='task0/accuracy/top1',
           mask_lr=5e-4)
custom_hooks = [cpg]
