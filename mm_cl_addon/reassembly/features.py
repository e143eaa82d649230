"""Pooled block-boundary features of zoo models, for DeRy's similarity tables.

DeRy (Yang et al., NeurIPS 2022) compares models at block boundaries (nodes, see
:mod:`.block_table`): node 0 is the input of the first block, node i the output of block i-1.
Each node's map is pooled to [N, C] (spatial mean of CNN maps, token mean of transformer tokens,
class token included, as the public DeRy code does), so models of any resolution and depth can
be compared sample by sample.

Two ways to run a model give the same numbers: ``torch.fx`` with the blocks as leaf modules
(the graph stops at the last block, so the head never runs; timm's no-trace modules and
functions are honoured and default keyword arguments, e.g. timm ViT's ``attn_mask=None``, are
made concrete), and forward hooks, used where the model does not trace (mmpretrain's ViT, Swin
and ConvNeXt branch on tensor shapes). Both check that the blocks run in the listed order.

With ``torch.distributed`` initialised, each rank runs a contiguous shard of the samples and
rank 0 gathers them in sample order. One safetensors file per model holds the result
(:func:`save_features`, :func:`read_features`). The zoo and its data are in :mod:`.zoo`, block
costs in :mod:`.costs`, the similarity tables built from these features in :mod:`.sim_tables`.
"""
from __future__ import annotations

import inspect
import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.distributed as torch_dist
import torch.fx as fx
from safetensors.torch import save as save_safetensors
from torch import Tensor, nn

from ..utils import atomic_write
from ..utils.files import InputFileError, open_safetensors
from .block_table import FAMILIES, block_names, detect_family

LAYOUTS = ('nchw', 'nlc', 'nhwc')
METHODS = ('auto', 'fx', 'hooks')
FORMAT = 'mm_cl_addon.dery_features/1'
FEATURES_WHAT = 'feature file'
FEATURES_HINT = 'write it with tools/dery/get_rep.py'


def first_tensor(value: Any) -> Tensor:
    """The feature a block returns: itself, or the first tensor of a tuple/list (mmpretrain Swin
    stages return (tokens, hw_shape))."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (tuple, list)):
        for item in value:
            if isinstance(item, Tensor):
                return item
    raise ValueError(f'a block returned {type(value).__name__} with no tensor in it')


def pool(x: Tensor, layout: str) -> Tensor:
    """[N, C] mean over every axis but batch and channels; ``layout`` names x's axes."""
    if layout not in LAYOUTS:
        raise ValueError(f'layout must be one of {LAYOUTS}, got {layout!r}')
    if x.dim() == 2:
        return x
    if layout == 'nchw' and x.dim() >= 3:
        return x.flatten(2).mean(2)
    if layout == 'nlc' and x.dim() == 3:
        return x.mean(1)
    if layout == 'nhwc' and x.dim() == 4:
        return x.flatten(1, 2).mean(1)
    raise ValueError(f'cannot pool a {x.dim()}-D tensor of shape {tuple(x.shape)} laid out '
                     f'as {layout!r}')


def default_layout(model: nn.Module, family: str | None) -> str:
    """The family's layout; channels-first maps / [N, T, C] tokens for unknown models."""
    if family is None:
        try:
            family = detect_family(model)
        except ValueError:
            return 'nchw'
    return FAMILIES[family].layout


@dataclass
class NodeFeatures:
    """Pooled features per node ([N, C], node 0 first) and each block's unpooled shapes.

    Shapes are per sample (no batch axis), as the model produced them.
    """

    blocks: list[str]
    features: dict[int, Tensor]
    in_shapes: list[list[int]]
    out_shapes: list[list[int]]
    method: str
    layout: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def node_shapes(self) -> list[list[int]]:
        return [self.in_shapes[0], *self.out_shapes]

    def to_meta(self) -> dict[str, Any]:
        return {'format': FORMAT, 'blocks': self.blocks, 'num_nodes': len(self.blocks),
                'num_samples': int(self.features[0].shape[0]), 'method': self.method,
                'layout': self.layout, 'node_shapes': self.node_shapes,
                'in_shapes': self.in_shapes, 'out_shapes': self.out_shapes, **self.meta}


class BlockTracer(fx.Tracer):
    """fx tracer that keeps the blocks (and timm's no-trace modules) as single calls."""

    def __init__(self, blocks: Sequence[str]) -> None:
        from timm.layers import get_notrace_functions, get_notrace_modules
        super().__init__(autowrap_functions=tuple(get_notrace_functions()))
        self.blocks = set(blocks)
        self.notrace = tuple(get_notrace_modules())

    def is_leaf_module(self, module: nn.Module, qualname: str) -> bool:
        return (qualname in self.blocks or isinstance(module, self.notrace)
                or super().is_leaf_module(module, qualname))


def trace_blocks(model: nn.Module, blocks: Sequence[str]) -> fx.GraphModule:
    """GraphModule returning (block inputs, block outputs), cut after the last block."""
    signature = inspect.signature(model.forward).parameters.values()
    concrete = {p.name: p.default for p in list(signature)[1:]
                if p.default is not inspect.Parameter.empty}
    graph = BlockTracer(blocks).trace(model, concrete_args=concrete or None)
    calls = [node for node in graph.nodes if node.op == 'call_module' and node.target in blocks]
    check_order([node.target for node in calls], blocks)
    output = next(node for node in graph.nodes if node.op == 'output')
    output.args = ((tuple(node.args[0] for node in calls), tuple(calls)),)
    module = fx.GraphModule(model, graph)
    module.graph.eliminate_dead_code()
    module.recompile()
    return module


def check_order(called: Sequence[str], blocks: Sequence[str]) -> None:
    if list(called) != list(blocks):
        raise ValueError(f'blocks ran in the order {list(called)}, not the listed depth order '
                         f'{list(blocks)}; each block must run once, in order')


@contextmanager
def block_hooks(model: nn.Module, blocks: Sequence[str]
                ) -> Iterator[tuple[list[str], list[Any], list[Any]]]:
    """Forward hooks recording each block's name, input and output, in call order."""
    modules = dict(model.named_modules())
    called: list[str] = []
    inputs: list[Any] = []
    outputs: list[Any] = []

    def hook(name: str) -> Callable[..., None]:
        def record(module: nn.Module, args: tuple, output: Any) -> None:
            called.append(name)
            inputs.append(args[0] if args else None)
            outputs.append(output)
        return record

    handles = [modules[name].register_forward_hook(hook(name)) for name in blocks]
    try:
        yield called, inputs, outputs
    finally:
        for handle in handles:
            handle.remove()


def run_blocks(model: nn.Module, runner: fx.GraphModule | None, blocks: Sequence[str],
               batch: Tensor) -> tuple[list[Tensor], list[Tensor]]:
    """Inputs and outputs of every block for one batch, by fx (``runner``) or hooks."""
    if runner is not None:
        block_inputs, block_outputs = runner(batch)
    else:
        with block_hooks(model, blocks) as (called, block_inputs, block_outputs):
            model(batch)
        check_order(called, blocks)
    return ([first_tensor(x) for x in block_inputs], [first_tensor(y) for y in block_outputs])


def make_runner(model: nn.Module, blocks: Sequence[str], method: str
                ) -> tuple[fx.GraphModule | None, str]:
    """The traced graph for ``'fx'``/``'auto'`` when the model traces; None means hooks."""
    if method not in METHODS:
        raise ValueError(f'method must be one of {METHODS}, got {method!r}')
    if method == 'hooks':
        return None, 'hooks'
    try:
        return trace_blocks(model, blocks), 'fx'
    except (fx.proxy.TraceError, TypeError, NotImplementedError, RuntimeError,
            AttributeError) as err:
        if method == 'fx':
            raise ValueError(f'{type(model).__name__} does not trace with torch.fx '
                             f'({type(err).__name__}: {err}); use method="hooks"') from err
        return None, 'hooks'


def rank_and_world() -> tuple[int, int]:
    if torch_dist.is_available() and torch_dist.is_initialized():
        return torch_dist.get_rank(), torch_dist.get_world_size()
    return 0, 1


def progress_bar(total: int, enabled: bool) -> Any:
    """tqdm where installed, else mmengine's ProgressBar; both have ``update(n)``."""
    if not enabled:
        return None
    try:
        from tqdm import tqdm
        return tqdm(total=total, unit='sample', desc='features')
    except ImportError:
        from mmengine.utils import ProgressBar
        return ProgressBar(total)


@dataclass
class Shard:
    """One rank's pooled features (node -> [n, C]) and the block shapes it saw."""

    features: dict[int, Tensor]
    in_shapes: list[list[int]]
    out_shapes: list[list[int]]


def run_shard(model: nn.Module, runner: fx.GraphModule | None, blocks: Sequence[str],
              samples: Sequence[Tensor], indices: range, layout: str, batch_size: int,
              bar: Any) -> Shard:
    pooled: dict[int, list[Tensor]] = {node: [] for node in range(len(blocks) + 1)}
    shard = Shard({}, [], [])
    with torch.no_grad():
        for start in range(indices.start, indices.stop, batch_size):
            stop = min(start + batch_size, indices.stop)
            batch = torch.stack([samples[i] for i in range(start, stop)])
            block_inputs, block_outputs = run_blocks(model, runner, blocks, batch)
            shard.in_shapes = [list(x.shape[1:]) for x in block_inputs]
            shard.out_shapes = [list(y.shape[1:]) for y in block_outputs]
            for node, value in enumerate([block_inputs[0], *block_outputs]):
                pooled[node].append(pool(value, layout).float())
            if bar is not None:
                bar.update(len(batch))
    if bar is not None and hasattr(bar, 'close'):
        bar.close()
    shard.features = {node: torch.cat(parts) for node, parts in pooled.items() if parts}
    return shard


def gather_to_rank0(shard: Shard) -> Shard | None:
    """Rank 0 gets every rank's features concatenated in rank (= sample) order."""
    rank, world = rank_and_world()
    if world == 1:
        return shard
    parts: list[Any] | None = [None] * world if rank == 0 else None
    torch_dist.gather_object(shard, parts, dst=0)
    if rank != 0:
        return None
    parts = [part for part in parts if part.features]  # a rank may have had no samples
    return Shard({node: torch.cat([part.features[node] for part in parts])
                  for node in parts[0].features}, parts[0].in_shapes, parts[0].out_shapes)


def extract_features(model: nn.Module, samples: Sequence[Tensor], *,
                     blocks: Sequence[str] | None = None, family: str | None = None,
                     layout: str | None = None, batch_size: int = 64, method: str = 'auto',
                     progress: bool = True) -> NodeFeatures | None:
    """Pooled [N, C] features of nodes 0..L of ``model`` on ``samples`` (each one input).

    ``blocks`` defaults to :func:`block_names`; ``layout`` to the family's. Distributed, rank r
    of W runs samples [r N / W, (r + 1) N / W); ranks other than 0 return None.
    """
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    if len(samples) == 0:
        raise ValueError('samples is empty; give at least one input')
    blocks = block_names(model, family, blocks)
    layout = layout or default_layout(model, family)
    model.eval()
    runner, used = make_runner(model, blocks, method)
    rank, world = rank_and_world()
    indices = range(rank * len(samples) // world, (rank + 1) * len(samples) // world)
    bar = progress_bar(len(indices), progress and rank == 0)
    shard = gather_to_rank0(run_shard(model, runner, blocks, samples, indices, layout,
                                      batch_size, bar))
    if shard is None:
        return None
    return NodeFeatures(blocks=list(blocks), features=shard.features,
                        in_shapes=shard.in_shapes, out_shapes=shard.out_shapes, method=used,
                        layout=layout)


def save_features(path: str | os.PathLike, result: NodeFeatures) -> None:
    """One safetensors file: ``feat/<node>`` tensors, metadata JSON under ``'meta'``."""
    tensors = {f'feat/{node}': feat.contiguous() for node, feat in result.features.items()}
    data = save_safetensors(tensors, metadata={'meta': json.dumps(result.to_meta())})
    with atomic_write(path, 'wb') as handle:
        handle.write(data)


def read_meta(path: str | os.PathLike) -> dict[str, Any]:
    """The metadata of a :func:`save_features` file, without reading its tensors."""
    with open_safetensors(path, FEATURES_WHAT, hint=FEATURES_HINT) as opened:
        return _meta_of(path, opened)


def _meta_of(path: str | os.PathLike, opened: Any) -> dict[str, Any]:
    """The ``'meta'`` JSON of an opened :func:`save_features` file, with its node count."""
    metadata = opened.metadata() or {}
    if 'meta' not in metadata:
        raise InputFileError(path, FEATURES_WHAT, 'has no "meta" metadata; it was not written by '
                             'save_features')
    try:
        meta = json.loads(metadata['meta'])
    except json.JSONDecodeError as error:
        raise InputFileError(path, FEATURES_WHAT, f'its "meta" metadata is not valid JSON '
                             f'({error.msg}); it was not written by save_features') from error
    if not isinstance(meta, dict) or type(meta.get('num_nodes')) is not int:
        raise InputFileError(path, FEATURES_WHAT, 'its "meta" metadata is not a JSON object '
                             'with an integer "num_nodes"; it was not written by save_features')
    return meta


def read_features(path: str | os.PathLike) -> tuple[dict[int, Tensor], dict[str, Any]]:
    """Features by node index (0..L) and the metadata of a :func:`save_features` file."""
    with open_safetensors(path, FEATURES_WHAT, hint=FEATURES_HINT) as opened:
        meta = _meta_of(path, opened)
        keys = sorted(key for key in opened.keys() if key.startswith('feat/'))
        expected = sorted(f'feat/{node}' for node in range(meta['num_nodes'] + 1))
        if keys != expected:
            raise InputFileError(path, FEATURES_WHAT, f'holds tensors {keys}, expected '
                                 f'feat/0..feat/{meta["num_nodes"]}')
        features = {node: opened.get_tensor(f'feat/{node}')
                    for node in range(meta['num_nodes'] + 1)}
    return features, meta
