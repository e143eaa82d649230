# An ingredient trained with one extra copy of every training image of the class the
# models confuse most (8 here), each copy with its own augmentation; validation and test
# stay as they are (the copies come from the training split only).
_base_ = ['./finetune_cnn_digits.py']

train_dataloader = dict(dataset=dict(
    _delete_=True,
    type='ClassOversampleDataset',
    dataset=dict(type='DigitsDataset', split='train', seed=0,
                 pipeline=[dict(type='PackInputs')]),
    classes=[8],
    times=1,
    extra_pipeline=[
        dict(type='RandomResizedCrop', scale=8, crop_ratio_range=(0.7, 1.0)),
        dict(type='PackInputs'),
    ]))
