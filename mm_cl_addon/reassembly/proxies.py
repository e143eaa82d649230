"""Training-free proxies that rank networks (or their source models) without training.

* NASWOT (Mellor et al., ICML 2021): each sample's binary code c (1 where a ReLU unit's output,
  hence its pre-activation, is > 0) over all N_A ReLU units; K_H[i, j] = N_A - d_H(c_i, c_j);
  score = log|det K_H|. Networks that keep samples' activation patterns apart score higher.
* SynFlow (Tanaka et al., NeurIPS 2020): with every parameter replaced by its absolute value and
  an all-ones input, R = sum of the output; score = sum over parameters of |theta dR/dtheta|.
  Data-free, so it scores a model's capacity to pass signal, not its fit to the target data.
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn


def naswot_score(model: nn.Module, inputs: Tensor) -> float:
    """NASWOT log|det K_H| of ``model`` on the batch ``inputs`` (float64, no gradients).

    Only ``nn.ReLU`` modules are hooked: functional ``F.relu`` calls and other activations
    (GELU, SiLU) are invisible to hooks and out of scope. The model's train/eval mode is left as
    the caller set it. A singular kernel (two samples with equal codes) gives -inf.
    """
    if inputs.dim() < 1 or inputs.shape[0] < 1:
        raise ValueError(f'inputs must have a batch dimension >= 1, '
                         f'got shape {tuple(inputs.shape)}')
    codes: list[Tensor] = []

    def record(_module: nn.Module, _args: object, output: Tensor) -> None:
        codes.append((output.detach() > 0).flatten(1).to(torch.float64))

    relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    if not relus:
        raise ValueError(f'model {type(model).__name__} has no nn.ReLU module to hook')
    handles = [m.register_forward_hook(record) for m in relus]
    try:
        with torch.no_grad():
            model(inputs)
    finally:
        for handle in handles:
            handle.remove()
    c = torch.cat(codes, dim=1)
    # N_A - d_H(c_i, c_j) counts the units where i and j agree: both on, or both off.
    kernel = c @ c.T + (1 - c) @ (1 - c).T
    return float(torch.linalg.slogdet(kernel).logabsdet)


def synflow_score(model: nn.Module, input_shape: Sequence[int]) -> float:
    """SynFlow score of ``model`` for one all-ones input of shape ``input_shape`` (no batch dim).

    Works on a float64 deep copy in eval mode (BatchNorm uses its running statistics), so the
    caller's parameters, signs, gradients, dtype and mode are untouched.
    """
    if any(int(d) < 1 for d in input_shape):
        raise ValueError(f'input_shape must have positive sizes, got {tuple(input_shape)}')
    probe = copy.deepcopy(model).double().eval()
    with torch.no_grad():
        for p in probe.parameters():
            p.abs_()
    probe.zero_grad(set_to_none=True)
    probe(torch.ones(1, *input_shape, dtype=torch.float64)).sum().backward()
    with torch.no_grad():
        return float(sum((p * p.grad).abs().sum() for p in probe.parameters()
                         if p.grad is not None))


PROXIES: dict[str, Callable[..., float]] = {'naswot': naswot_score, 'synflow': synflow_score}
