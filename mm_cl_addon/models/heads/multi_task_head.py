"""One linear classifier per task, routed by each sample's ``task_id``."""
from __future__ import annotations

from collections.abc import Sequence

import torch
from mmpretrain.models.heads import ClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import nn


@MODELS.register_module()
class MultiTaskClsHead(ClsHead):
    """Task-incremental head: task ``t`` has its own linear layer over its classes.

    Scores live in the global class space, so mmpretrain's ``Accuracy`` works
    unchanged: for a sample of task ``t`` the classes outside task ``t`` get
    logit ``-inf`` (probability 0), and the loss is the cross-entropy of task
    ``t``'s head alone. The task id comes from the data sample's metainfo,
    where ``TaskSplitDataset`` puts it.

    Args:
        task_classes: the global class indices of each task, in task order
            (``TaskSplitDataset.task_classes``).
        in_channels: width of the pooled feature.
        loss: the classification loss config.
    """

    def __init__(self, task_classes: Sequence[Sequence[int]], in_channels: int,
                 loss: dict | None = None, init_cfg: dict | None = None) -> None:
        super().__init__(loss=loss or dict(type='CrossEntropyLoss', loss_weight=1.0),
                         init_cfg=init_cfg)
        if not task_classes or any(len(classes) == 0 for classes in task_classes):
            raise ValueError(f'MultiTaskClsHead: task_classes={task_classes!r} must list at '
                             f'least one class for every task')
        self.task_classes = [[int(c) for c in classes] for classes in task_classes]
        self.num_classes = 1 + max(max(classes) for classes in self.task_classes)
        self.heads = nn.ModuleList(nn.Linear(in_channels, len(classes))
                                   for classes in self.task_classes)
        membership = torch.zeros(len(self.task_classes), self.num_classes, dtype=torch.bool)
        for task_id, classes in enumerate(self.task_classes):
            membership[task_id, classes] = True
        self.register_buffer('membership', membership, persistent=False)

    def forward(self, feats: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """Every head's logits, concatenated in task order (no routing)."""
        pre_logits = self.pre_logits(feats)
        return torch.cat([head(pre_logits) for head in self.heads], dim=1)

    def routed_logits(self, feats: tuple[torch.Tensor, ...],
                      data_samples: Sequence[DataSample]) -> torch.Tensor:
        """Global-class logits of each sample's own task head; ``-inf`` elsewhere."""
        task_ids = self._task_ids(data_samples, feats[-1].device)
        pre_logits = self.pre_logits(feats)
        logits = pre_logits.new_full((len(task_ids), self.num_classes), float('-inf'))
        for task_id in task_ids.unique().tolist():
            rows = (task_ids == task_id).nonzero(as_tuple=True)[0]
            columns = self.membership[task_id].nonzero(as_tuple=True)[0]
            logits[rows.unsqueeze(1), columns] = self.heads[task_id](pre_logits[rows])
        return logits

    def loss(self, feats: tuple[torch.Tensor, ...], data_samples: list[DataSample]) -> dict:
        return self._get_loss(self.routed_logits(feats, data_samples), data_samples)

    def predict(self, feats: tuple[torch.Tensor, ...],
                data_samples: list[DataSample | None] | None = None) -> list[DataSample]:
        if data_samples is None or any(sample is None for sample in data_samples):
            raise ValueError('MultiTaskClsHead.predict needs data samples carrying task_id')
        return self._get_predictions(self.routed_logits(feats, data_samples), data_samples)

    def _task_ids(self, data_samples: Sequence[DataSample], device: torch.device) -> torch.Tensor:
        ids = []
        for index, sample in enumerate(data_samples):
            if 'task_id' not in sample.metainfo:
                raise KeyError(f"MultiTaskClsHead: data sample {index} has no 'task_id' in its "
                               f'metainfo; wrap the data set in TaskSplitDataset')
            task_id = int(sample.metainfo['task_id'])
            if not 0 <= task_id < len(self.heads):
                raise ValueError(f'MultiTaskClsHead: task_id={task_id} of data sample {index} '
                                 f'has no head (heads for tasks 0..{len(self.heads) - 1})')
            ids.append(task_id)
        return torch.tensor(ids, device=device)
