# An ingredient trained with cross-entropy plus the supervised contrastive loss on the
# head's logits (the original project's --loss-fn ContrastiveLoss option).
_base_ = ['./finetune_cnn_digits.py']

model = dict(head=dict(loss=dict(
    _delete_=True,
    type='SumOfLosses',
    losses=[
        dict(type='CrossEntropyLoss', loss_weight=1.0),
        dict(type='ContrastiveLoss', temperature=0.1, loss_weight=0.5),
    ])))
