"""Layer representations as the similarity measures take them: checked [samples, features]
matrices of the same samples, with errors that name the layer at fault."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor


def as_matrix(x: Any, name: str, dtype: torch.dtype = torch.float64) -> Tensor:
    """Return ``x`` as a [n, d] tensor of ``dtype``; layers arrive as tensors or numpy arrays."""
    tensor = torch.from_numpy(np.asarray(x)) if not isinstance(x, Tensor) else x
    if tensor.dim() != 2:
        raise ValueError(f'{name} must be 2-D [samples, features], got shape {tuple(tensor.shape)}')
    return tensor.detach().to(dtype)


def check_samples(x: Tensor, y: Tensor, debiased: bool) -> None:
    """Both layers must describe the same samples, and the U-statistic needs n >= 4."""
    if x.shape[0] != y.shape[0]:
        raise ValueError(f'x and y must have the same number of samples, got {x.shape[0]} and '
                         f'{y.shape[0]}')
    if debiased and x.shape[0] < 4:
        raise ValueError(f'debiased HSIC needs n >= 4 samples, got n={x.shape[0]}')


def as_layers(layers: Sequence[Any], name: str, dtype: torch.dtype = torch.float64
              ) -> list[Tensor]:
    """Each layer as a [n, d] tensor of ``dtype``, errors naming e.g. ``xs[2]``."""
    return [as_matrix(m, f'{name}[{i}]', dtype) for i, m in enumerate(layers)]


def check_layers(xs: Sequence[Tensor], ys: Sequence[Tensor], debiased: bool) -> int:
    """All layers must share n samples (>= 4 when debiased); returns n."""
    n = xs[0].shape[0]
    for name, layers in (('xs', xs), ('ys', ys)):
        for i, m in enumerate(layers):
            if m.shape[0] != n:
                raise ValueError(f'{name}[{i}] has {m.shape[0]} samples, xs[0] has {n}')
    check_samples(xs[0], ys[0], debiased)
    return n
