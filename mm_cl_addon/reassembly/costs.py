"""Per-block parameters and FLOPs of zoo models, for DeRy's budgets (count_inout_size).

Blocks are those of :mod:`.block_table`; FLOPs are counted for one sample.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from .features import NodeFeatures


def block_costs(model: nn.Module, blocks: Sequence[str], example: Tensor
                ) -> tuple[list[dict[str, Any]], str]:
    """Params and FLOPs of each block for one sample ``example``, and how FLOPs were counted.

    FLOPs come from mmengine's ``FlopAnalyzer`` (one fused multiply-add = 1 FLOP, as fvcore).
    Where it cannot analyse the model (it fails on models with ``None`` child modules, e.g.
    mmpretrain's Swin), they are estimated as the multiply-adds of the Conv and Linear layers
    inside each block, which leaves out attention's matmuls, norms and activations.
    """
    from mmengine.analysis import FlopAnalyzer
    modules = dict(model.named_modules())
    model.eval()
    batch = example.unsqueeze(0)
    try:
        analyzer = FlopAnalyzer(model, (batch,))
        analyzer.unsupported_ops_warnings(False)
        analyzer.uncalled_modules_warnings(False)
        by_module = analyzer.by_module()
        flops = {name: int(by_module.get(name, 0)) for name in blocks}
        how = 'mmengine.analysis.FlopAnalyzer'
    except Exception:  # noqa: BLE001  (any analyser failure falls back to the estimate)
        flops = estimate_flops(model, blocks, batch)
        how = 'estimate: multiply-adds of Conv/Linear layers only'
    costs = [{'name': name, 'params': sum(p.numel() for p in modules[name].parameters()),
              'flops': flops[name]} for name in blocks]
    return costs, how


def estimate_flops(model: nn.Module, blocks: Sequence[str], batch: Tensor) -> dict[str, int]:
    """Multiply-adds of every Conv/Linear in each block, counted by forward hooks."""
    counts = dict.fromkeys(blocks, 0)
    handles = []

    def hook(block: str) -> Callable[..., None]:
        def count(module: nn.Module, args: tuple, output: Tensor) -> None:
            if isinstance(module, nn.Linear):
                per_output = module.in_features
            else:
                per_output = (module.in_channels // module.groups) * \
                    int(torch.tensor(module.kernel_size).prod())
            counts[block] += output.numel() // output.shape[0] * per_output
        return count

    for block in blocks:
        for module in model.get_submodule(block).modules():
            if isinstance(module, (nn.Linear, nn.modules.conv._ConvNd)):
                handles.append(module.register_forward_hook(hook(block)))
    try:
        with torch.no_grad():
            model(batch)
    finally:
        for handle in handles:
            handle.remove()
    return counts


def node_shapes_table(result: NodeFeatures, costs: Sequence[Mapping[str, Any]]
                      ) -> list[dict[str, Any]]:
    """Per block: name, input and output shapes (per sample), params, FLOPs."""
    return [{'block': index, 'name': name, 'in_node': index, 'out_node': index + 1,
             'in_shape': in_shape, 'out_shape': out_shape, 'params': cost['params'],
             'flops': cost['flops']}
            for index, (name, in_shape, out_shape, cost) in enumerate(
                zip(result.blocks, result.in_shapes, result.out_shapes, costs))]
