"""``MemoryHead``: a classification head whose linear layer is a :class:`MemoryLinear`.

Memory Head (Tiezzi et al., CoLLAs 2024): the last feature selects memory units by
key similarity, so classes of a later task, whose features look different, train
other units than the earlier tasks' classes and overwrite less of them.
"""
from __future__ import annotations

from mmpretrain.models.heads import ClsHead
from mmpretrain.registry import MODELS
from torch import Tensor, nn

from ..layers import MemoryLinear


@MODELS.register_module()
class MemoryHead(ClsHead):
    """``ClsHead`` (last feature in, logits out) with a ``MemoryLinear`` classifier.

    Call :meth:`update_keys` once per training step after the optimizer step
    (``MemoryKeyUpdateHook`` does), or ad hoc keys never move and scrambling never runs.

    Args:
        num_classes: number of classes (the layer's outputs).
        in_channels: width of the last feature (the layer's inputs).
        num_memories, delta, shared_keys, psi, key_dim, similarity, key_init, gamma,
            memory_update, key_update, key_lr, layer_norm, scramble, tau_alpha, tau_mu,
            tau_eta, bias:
            as for :class:`~mm_cl_addon.models.layers.MemoryLinear`.
        loss, topk, cal_acc, init_cfg: as for ``ClsHead``.
    """

    def __init__(self, num_classes: int, in_channels: int, num_memories: int, delta: int = 1,
                 *, shared_keys: bool = False, psi: str = 'identity', key_dim: int | None = None,
                 similarity: str = 'cosine', key_init: str = 'normal', gamma: float = 1.0,
                 memory_update: str = 'vanilla', key_update: str = 'grad_not_WTA',
                 key_lr: float = 0.01, layer_norm: bool = False, scramble: bool = False,
                 tau_alpha: float = 0.01, tau_mu: int = 500, tau_eta: float = 0.5,
                 bias: bool = True,
                 loss: dict | nn.Module | None = None, topk: int | tuple[int, ...] = (1,),
                 cal_acc: bool = False, init_cfg: dict | list[dict] | None = None) -> None:
        if loss is None:
            loss = dict(type='CrossEntropyLoss', loss_weight=1.0)
        super().__init__(loss=loss, topk=topk, cal_acc=cal_acc, init_cfg=init_cfg)
        self.num_classes, self.in_channels = num_classes, in_channels
        self.fc = MemoryLinear(
            in_channels, num_classes, num_memories, delta, shared_keys=shared_keys, psi=psi,
            key_dim=key_dim, similarity=similarity, key_init=key_init, gamma=gamma,
            memory_update=memory_update, key_update=key_update, key_lr=key_lr,
            layer_norm=layer_norm, scramble=scramble, tau_alpha=tau_alpha, tau_mu=tau_mu,
            tau_eta=tau_eta, bias=bias)

    def forward(self, feats: tuple[Tensor, ...]) -> Tensor:
        """Logits of the last feature."""
        return self.fc(self.pre_logits(feats))

    def update_keys(self) -> None:
        """The layer's per-step key update (ad hoc rule, counters, scrambling)."""
        self.fc.update_keys()
