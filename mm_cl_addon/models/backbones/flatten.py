"""``Flatten``: a parameter-free backbone that hands the raw input to the head."""
from __future__ import annotations

from mmengine.model import BaseModule
from mmpretrain.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class Flatten(BaseModule):
    """Returns ``(x.flatten(1),)``, so a head learns on the (preprocessed) pixels themselves.

    A baseline without representation learning: with a memory head on top, any
    resistance to forgetting comes from the head alone, not from a backbone.
    """

    def forward(self, x: Tensor) -> tuple[Tensor]:
        return (x.flatten(1),)
