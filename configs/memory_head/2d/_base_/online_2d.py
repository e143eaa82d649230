# The online protocol of the 2D streams (Memory Head / Continual Neural Computation papers):
# one pass over the stream, one sample at a time, plain SGD at a constant step size, one task
# per distribution (segment), evaluated at every distribution boundary by OnlineStreamEvalHook.
# The data files come from `python tools/data/gen_2d_datasets.py --out-dir data/2d --order cdi`;
# set POINTS2D_ROOT to read them from elsewhere.
_base_ = ['../../../_base_/continual_runtime.py']

data_root = '{{$POINTS2D_ROOT:data/2d}}'
data_file = 'modes_cdi.npz'
pipeline = [dict(type='PackInputs')]
loader_defaults = dict(num_workers=0, persistent_workers=False,
                       collate_fn=dict(type='default_collate'))
split_dataset = dict(
    type='TaskSplitDataset',
    dataset=dict(type='Points2DDataset', data_root=data_root, data_file=data_file,
                 split='train', pipeline=pipeline),
    tasks=1,  # one class group over all classes, repeated per segment: one task per segment
    scenario='class-domain')
train_dataloader = dict(
    batch_size=1,
    sampler=dict(type='DefaultSampler', shuffle=False),  # keep the stream order
    dataset=split_dataset,
    **loader_defaults)
# No validation loop: its accuracy matrix needs as many tasks as training, and the validation
# stream keeps only the first half of the distributions. OnlineStreamEvalHook evaluates the
# train, val and test streams; the test loop serves tools/test.py.
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = dict(
    batch_size=256,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(split_dataset, dataset=dict(split_dataset['dataset'], split='test')),
    **loader_defaults)
test_cfg = dict(type='ContinualTestLoop')
test_evaluator = dict(type='Accuracy', topk=(1, ))

data_preprocessor = dict(num_classes=4)  # the points are already in [-1, 1]: no normalisation

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.0, weight_decay=0.0))
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True)]
train_cfg = dict(type='ContinualTrainLoop', epochs_per_task=1, reset_optimizer=True)
auto_scale_lr = dict(base_batch_size=1)
default_hooks = dict(logger=dict(type='LoggerHook', interval=100),
                     checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1))
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)
online_eval = dict(type='OnlineStreamEvalHook', decision_regions=True)
custom_hooks = [online_eval]
randomness = dict(seed=1234, deterministic=False)
# Fair tuning (tools/select_hparams.py, docs/hparam_selection.md): every method picks its
# optimizer (SGD, as the Continual Neural Computation supplement, or Adam, the public code's
# default) and step size on the validation stream only: the accuracy of the final model on the
# validation distributions (the first half of the stream), mean over the three training seeds.
# Ties go to the earlier point: SGD before Adam, smaller steps first.
selection = dict(
    grid={'optim_wrapper.optimizer': [
              dict(_delete_=True, type='SGD', lr=0.01, momentum=0.0, weight_decay=0.0),
              dict(_delete_=True, type='Adam', lr=0.01, weight_decay=0.0)],
          'optim_wrapper.optimizer.lr': [1e-4, 1e-3, 1e-2, 1e-1, 1.0]},
    score='online_stream_metrics.json:splits.val.current_accuracy',
    seeds=[1234, 123456, 12346578])
