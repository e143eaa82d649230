"""DeRy's zero-shot reassembly from the files of the earlier steps (Yang et al., NeurIPS 2022).

A partition (``Partition``) and the block table of ``tools/dery/count_inout_size.py`` give every
group's candidate ``Block`` (params and FLOPs of the block modules it runs, its layout and
widths); :func:`solve_reassembly` picks the best chains under the budgets, and each chain becomes
an mmpretrain ``ImageClassifier`` config around the ``DeRy`` backbone (plus a linear head), which
is built and scored as a whole by a training-free proxy to re-rank the chains.

Scores. A candidate block of model m gets the proxy of m's whole feature extractor on the target
batch: the DeRy network of the one part [m, 0, L_m] (m's own stem, all its blocks and its tail)
with the same linear head as the reassembled networks. A chain's solver score is therefore the sum
over groups of its blocks' source-model scores, and the re-ranking replaces it by the proxy of
the reassembled network itself.
"""
from __future__ import annotations

import math
import pprint
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

import torch
from mmpretrain.registry import MODELS
from torch import nn

from mm_cl_addon.reassembly import PROXIES, Block, Partition, PartitionBlock, Solution
from mm_cl_addon.utils.files import InputFileError, read_json

PathLike = Union[str, Path]
Spec = list  # [model_name, start_node, end_node], as the DeRy backbone takes it
SIZES_WHAT = 'block-size file'
SIZES_HINT = 'write it with tools/dery/count_inout_size.py'
SIZE_KEYS = ('num_nodes', 'node_shapes', 'blocks')  # per model, what the readers use


def layout_kind(shape: Sequence[int]) -> str:
    """Per-sample node shape (C, H, W) is a CNN map, (T, C) ViT tokens."""
    if len(shape) == 3:
        return 'cnn'
    if len(shape) == 2:
        return 'vit'
    raise ValueError(f'node shape {list(shape)}: expected (C, H, W) or (tokens, C)')


def channels(shape: Sequence[int]) -> int:
    return int(shape[0] if layout_kind(shape) == 'cnn' else shape[-1])


def positions(shape: Sequence[int]) -> int:
    """Pixels of a map or tokens of a sequence: where a 1x1 conv / linear adapter runs."""
    return int(math.prod(shape[1:]) if layout_kind(shape) == 'cnn' else shape[0])


def stitch_cost(source: Sequence[int], target: Sequence[int]) -> tuple[float, float]:
    """Params and FLOPs (multiply-adds, whole map) of the DeRy ``Stitch`` from ``source`` to
    ``target`` node shapes: a 1x1 conv + BatchNorm into a CNN (when the kinds or channels
    differ), a Linear with bias into a ViT (from a CNN, or when the widths differ); resampling
    is free. Learnable prefix tokens a cnn -> vit stitch adds (a few x C) are not counted."""
    cin, cout = channels(source), channels(target)
    same_kind = layout_kind(source) == layout_kind(target)
    if same_kind and cin == cout:
        return 0.0, 0.0
    flops = float(cin * cout * positions(target))
    if layout_kind(target) == 'cnn':
        return float(cin * cout + 2 * cout), flops
    return float(cin * cout + cout), flops


def block_name(block: PartitionBlock) -> str:
    return f'{block.model}[{block.start}:{block.end}]'


@dataclass
class Candidates:
    """Every group's candidate blocks, with what is needed to turn a chain into a network.

    ``groups`` are in depth order: ``order[k]`` is the partition group at position k and
    ``depths[k]`` its mean relative depth (:func:`relative_depth`).
    """

    groups: list[list[Block]]
    sources: dict[str, PartitionBlock]
    node_shapes: dict[str, list[list[int]]]
    order: list[int]
    depths: list[float]

    def spec(self, solution: Solution) -> list[Spec]:
        """The chain as DeRy backbone ``blocks``: [model, start_node, end_node] per part."""
        return [[self.sources[b.name].model, self.sources[b.name].start, self.sources[b.name].end]
                for b in solution.blocks]

    def shapes(self, name: str) -> tuple[list[int], list[int]]:
        block = self.sources[name]
        nodes = self.node_shapes[block.model]
        return nodes[block.start], nodes[block.end]

    def adapter_cost(self, a: Block, b: Block) -> tuple[float, float]:
        """``solve_reassembly``'s adapter cost: the stitch from a's output to b's input."""
        return stitch_cost(self.shapes(a.name)[1], self.shapes(b.name)[0])


def load_sizes(path: PathLike) -> dict[str, Any]:
    """count_inout_size.py's JSON (never a pickle, which could run code): per model its node
    shapes and per-block params and FLOPs, each model's entry checked to have them."""
    sizes = read_json(path, SIZES_WHAT, expected=dict, hint=SIZES_HINT)
    for model, report in sizes.items():
        missing = [key for key in SIZE_KEYS if not isinstance(report, dict) or key not in report]
        if missing:
            raise InputFileError(path, SIZES_WHAT, f'model {model!r} lacks keys {missing}; '
                                 f'{SIZES_HINT}')
    return sizes


def relative_depth(block: PartitionBlock, num_nodes: int) -> float:
    """Where block (s, e] of a model with L nodes sits in it: its midpoint (s + e) / (2 L)."""
    return (block.start + block.end) / (2 * num_nodes)


def candidate_groups(partition: Partition, sizes: Mapping[str, Any],
                     model_scores: Mapping[str, float]) -> Candidates:
    """One ``Block`` per partition block, grouped as the partition groups them; block (s, e] of
    model m has the params and FLOPs of m's blocks s+1..e in ``sizes`` and the score
    ``model_scores[m]``. The groups are ordered by the mean relative depth of their members
    (ties keep the partition's order): a chain takes one block per group in that order.
    ``partition_zoo``'s groups are in that order already (group k holds every model's k-th
    block); a partition from elsewhere need not be."""
    groups: list[list[Block]] = [[] for _ in range(partition.num_groups)]
    depth_sums = [0.0] * partition.num_groups
    sources: dict[str, PartitionBlock] = {}
    node_shapes: dict[str, list[list[int]]] = {}
    for part in partition.blocks:
        if part.model not in sizes:
            raise KeyError(f'partition model {part.model!r} is not in the block-size file '
                           f'(models {sorted(sizes)}); run count_inout_size.py on the same zoo')
        table = sizes[part.model]
        if part.end > table['num_nodes']:
            raise ValueError(f'partition block {block_name(part)} ends past node '
                             f'{table["num_nodes"]}, the last of {part.model} in the size file')
        members = [b for b in table['blocks'] if part.start <= b['in_node'] < part.end]
        shapes = table['node_shapes']
        name = block_name(part)
        groups[part.group].append(Block(
            name=name, score=float(model_scores[part.model]),
            params=float(sum(b['params'] for b in members)),
            flops=float(sum(b['flops'] for b in members)),
            kind=layout_kind(shapes[part.start]),
            in_dim=channels(shapes[part.start]), out_dim=channels(shapes[part.end])))
        sources[name] = part
        node_shapes[part.model] = shapes
        depth_sums[part.group] += relative_depth(part, table['num_nodes'])
    empty = [k for k, group in enumerate(groups) if not group]
    if empty:
        raise ValueError(f'partition groups {empty} have no blocks')
    depths = [total / len(group) for total, group in zip(depth_sums, groups)]
    order = sorted(range(len(groups)), key=lambda k: depths[k])
    return Candidates([groups[k] for k in order], sources, node_shapes, order,
                      [depths[k] for k in order])


def classifier_cfg(zoo: PathLike, spec: Sequence[Spec], num_classes: int,
                   input_size: Sequence[int], out_shape: Sequence[int],
                   freeze_blocks: bool = True) -> dict:
    """mmpretrain ``ImageClassifier``: DeRy backbone (source stem), global pooling after a CNN
    part (a ViT part already gives [N, C]) and a linear head on ``out_shape``'s channels."""
    cfg = dict(
        type='ImageClassifier',
        backbone=dict(type='DeRy', zoo=str(zoo), blocks=[list(s) for s in spec], stem='source',
                      freeze_blocks=freeze_blocks, input_size=[int(v) for v in input_size]),
        head=dict(type='LinearClsHead', num_classes=int(num_classes),
                  in_channels=channels(out_shape),
                  loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
    if layout_kind(out_shape) == 'cnn':
        cfg['neck'] = dict(type='GlobalAveragePooling')
    return cfg


def build_network(cfg: Mapping, seed: int = 0) -> nn.Module:
    """The classifier of ``cfg`` with its adapters and head drawn from ``seed``, in eval mode."""
    torch.manual_seed(seed)
    return MODELS.build(dict(cfg)).eval()


def proxy_score(model: nn.Module, proxy: str, inputs: torch.Tensor) -> float:
    """NASWOT on the batch, or SynFlow for one input of the batch's sample shape."""
    if proxy not in PROXIES:
        raise KeyError(f'proxy {proxy!r}: expected one of {sorted(PROXIES)}')
    if proxy == 'synflow':
        return PROXIES[proxy](model, tuple(inputs.shape[1:]))
    return PROXIES[proxy](model, inputs)


def rerank(scores: Sequence[float]) -> list[int]:
    """Indices by score, best first (ties keep the solver's order; NaN counts as -inf)."""
    def key(i: int) -> float:
        return -math.inf if math.isnan(scores[i]) else scores[i]
    return sorted(range(len(scores)), key=key, reverse=True)


def config_text(base_config: PathLike, model_cfg: Mapping, num_classes: int, header: str,
                base_has_model: bool = False) -> str:
    """A config that inherits ``base_config`` (data, schedule, runtime) and sets its model,
    replacing the base's own (``_delete_``) when ``base_has_model``."""
    model = dict(_delete_=True, **model_cfg) if base_has_model else dict(model_cfg)
    return (f'# {header}\n'
            f'_base_ = [{str(Path(base_config).resolve())!r}]\n\n'
            "custom_imports = dict(imports=['mm_cl_addon'], allow_failed_imports=False)\n"
            f'data_preprocessor = dict(num_classes={int(num_classes)})\n'
            f'model = {pprint.pformat(model, width=96, sort_dicts=False)}\n')
