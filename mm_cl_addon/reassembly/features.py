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
rank 0 gathers them in sample order.
"""
from __future__ import annotations

import inspect
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as torch_dist
import torch.fx as fx
from mmpretrain.registry import DATASETS, MODELS
from safetensors import safe_open
from safetensors.torch import save as save_safetensors
from torch import Tensor, nn

from ..similarity import cka_matrix
from ..utils import atomic_write
from .block_table import FAMILIES, block_names, detect_family

LAYOUTS = ('nchw', 'nlc', 'nhwc')
METHODS = ('auto', 'fx', 'hooks')
FORMAT = 'mm_cl_addon.dery_features/1'


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
    with safe_open(os.fspath(path), framework='pt') as opened:
        metadata = opened.metadata() or {}
    if 'meta' not in metadata:
        raise ValueError(f'{path} has no "meta" metadata; it was not written by save_features')
    return json.loads(metadata['meta'])


def read_features(path: str | os.PathLike) -> tuple[dict[int, Tensor], dict[str, Any]]:
    """Features by node index (0..L) and the metadata of a :func:`save_features` file."""
    meta = read_meta(path)
    with safe_open(os.fspath(path), framework='pt') as opened:
        features = {int(key.split('/', 1)[1]): opened.get_tensor(key) for key in opened.keys()
                    if key.startswith('feat/')}
    if sorted(features) != list(range(meta['num_nodes'] + 1)):
        raise ValueError(f'{path} holds nodes {sorted(features)}, expected 0..{meta["num_nodes"]}')
    return features, meta


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


# Zoo manifests and data: what tools/dery/get_rep.py and count_inout_size.py run on.

LIBRARIES = ('timm', 'mmpretrain', 'torchvision', 'mm_cl_addon')
ZOO_KEYS = ('name', 'arch', 'library', 'checkpoint', 'blocks', 'kwargs', 'input_size')
MODEL_NAME = re.compile(r'[A-Za-z0-9][A-Za-z0-9.-]*(_[A-Za-z0-9.-]+)*')


@dataclass(frozen=True)
class ZooModel:
    """One manifest entry: ``arch`` is a timm/torchvision name, or a registered type name or
    config dict; ``kwargs`` go to the constructor; ``blocks`` overrides the family table;
    ``input_size`` is the model's native (C, H, W), kept for the tools that stitch models."""

    name: str
    library: str
    arch: Any
    checkpoint: str | None = None
    blocks: tuple[str, ...] | None = None
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    input_size: tuple[int, ...] | None = None


def load_zoo(path: str | os.PathLike) -> list[ZooModel]:
    """Models of a JSON/YAML manifest: ``{models: [{name, arch, library, ...}, ...]}``.

    A relative ``checkpoint`` is taken relative to the manifest's folder.
    """
    from mmengine.fileio import load
    data = load(os.fspath(path))
    entries = data.get('models') if isinstance(data, Mapping) else data
    if not isinstance(entries, list) or not entries:
        raise ValueError(f'{path}: expected a non-empty list under "models"')
    zoo = []
    for index, entry in enumerate(entries):
        where = f'{path}: models[{index}]'
        if not isinstance(entry, Mapping):
            raise ValueError(f'{where} must be a mapping, got {type(entry).__name__}')
        unknown = sorted(set(entry) - set(ZOO_KEYS))
        missing = [key for key in ('name', 'arch', 'library') if key not in entry]
        if unknown or missing:
            raise KeyError(f'{where}: unknown keys {unknown}, missing keys {missing}; '
                           f'allowed keys are {list(ZOO_KEYS)}')
        name = str(entry['name'])
        if not MODEL_NAME.fullmatch(name):
            raise ValueError(f'{where}.name {name!r} must be letters, digits, ".", "-" and '
                             'single "_" (it names files, and "__" separates pair names)')
        if entry['library'] not in LIBRARIES:
            raise ValueError(f'{where}.library must be one of {LIBRARIES}, '
                             f'got {entry["library"]!r}')
        blocks, size, checkpoint = (entry.get(key) for key in ('blocks', 'input_size',
                                                               'checkpoint'))
        if checkpoint is not None:
            checkpoint = os.path.join(os.path.dirname(os.path.abspath(path)),
                                      os.path.expanduser(str(checkpoint)))
        zoo.append(ZooModel(name=name, library=entry['library'], arch=entry['arch'],
                            checkpoint=checkpoint,
                            blocks=None if blocks is None else tuple(blocks),
                            kwargs=dict(entry.get('kwargs') or {}),
                            input_size=None if size is None else tuple(size)))
    names = [model.name for model in zoo]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f'{path}: model names {repeated} appear more than once')
    return zoo


def build_zoo_model(entry: ZooModel, seed: int = 0) -> nn.Module:
    """The model in eval mode, its checkpoint loaded; a classifier's backbone for mm configs.

    Weights are drawn from ``seed`` first, so every rank builds the same checkpoint-less model.
    """
    torch.manual_seed(seed)
    if entry.library == 'timm':
        import timm
        model = timm.create_model(entry.arch, pretrained=False, **entry.kwargs)
    elif entry.library == 'torchvision':
        import torchvision
        model = torchvision.models.get_model(entry.arch, weights=None, **entry.kwargs)
    else:
        cfg = {'type': entry.arch} if isinstance(entry.arch, str) else entry.arch
        if not isinstance(cfg, Mapping) or 'type' not in cfg:
            raise ValueError(f'model {entry.name!r}: arch of a {entry.library} model must be a '
                             f'registered type name or a config dict with "type", '
                             f'got {entry.arch!r}')
        model = MODELS.build({**cfg, **entry.kwargs})
    if entry.checkpoint is not None:
        load_weights(model, entry)
    backbone = getattr(model, 'backbone', None)
    if entry.library in ('mmpretrain', 'mm_cl_addon') and isinstance(backbone, nn.Module):
        model = backbone
    return model.eval()


def load_weights(model: nn.Module, entry: ZooModel) -> None:
    """Load ``entry.checkpoint`` (weights only) strictly, naming keys that do not fit."""
    from ..compat import load_checkpoint
    state = load_checkpoint(entry.checkpoint)
    if isinstance(state, Mapping) and isinstance(state.get('state_dict'), Mapping):
        state = state['state_dict']
    result = model.load_state_dict(state, strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise ValueError(f'checkpoint {entry.checkpoint} does not fit model {entry.name!r}: '
                         f'missing keys {result.missing_keys[:5]}, unexpected keys '
                         f'{result.unexpected_keys[:5]}')


class DatasetSamples(Sequence[Tensor]):
    """The first ``num_samples`` inputs of a config's ``<split>_dataloader`` dataset, each
    passed through the config's ``data_preprocessor`` (mmpretrain's ClsDataPreprocessor)."""

    def __init__(self, cfg: Mapping[str, Any], split: str = 'test',
                 num_samples: int | None = None) -> None:
        loader = cfg.get(f'{split}_dataloader')
        if not isinstance(loader, Mapping) or 'dataset' not in loader:
            raise KeyError(f'the data config has no {split}_dataloader.dataset')
        self.dataset = DATASETS.build(loader['dataset'])
        self.preprocessor = MODELS.build({'type': 'ClsDataPreprocessor',
                                          **(cfg.get('data_preprocessor') or {})})
        available = len(self.dataset)
        self.num_samples = available if num_samples is None else num_samples
        if not 1 <= self.num_samples <= available:
            raise ValueError(f'num_samples must be in [1, {available}] ({split} dataset size), '
                             f'got {num_samples}')

    def __len__(self) -> int:
        return self.num_samples

    def __getitem__(self, index: int) -> Tensor:  # type: ignore[override]
        if not 0 <= index < self.num_samples:
            raise IndexError(f'sample {index} out of range [0, {self.num_samples})')
        inputs = self.dataset[index]['inputs']
        return self.preprocessor({'inputs': [inputs]}, False)['inputs'][0]


# Similarity tables: what tools/dery/compute_sim.py writes and partition_zoo reads.

SIM_FUNCS = {'cka': 'linear', 'rbf_cka': 'rbf', 'lr': 'lr'}
SIM_INDEX = 'index.json'


def node_similarity(feats_a: Mapping[int, Tensor], feats_b: Mapping[int, Tensor],
                    sim_func: str = 'cka') -> np.ndarray:
    """[L_a, L_b] similarity of nodes 1..L_a to nodes 1..L_b, as ``partition_zoo`` expects
    (it fixes node 0, the model input, itself)."""
    if sim_func not in SIM_FUNCS:
        raise ValueError(f'sim_func must be one of {sorted(SIM_FUNCS)}, got {sim_func!r}')
    xs = [feats_a[node] for node in range(1, len(feats_a))]
    ys = [feats_b[node] for node in range(1, len(feats_b))]
    return cka_matrix(xs, ys, method=SIM_FUNCS[sim_func]).numpy()


def pair_path(sim_dir: str | os.PathLike, a: str, b: str) -> Path:
    return Path(sim_dir) / f'{a}__{b}.npy'


def save_pair(sim_dir: str | os.PathLike, a: str, b: str, matrix: np.ndarray) -> Path:
    path = pair_path(sim_dir, a, b)
    with atomic_write(path, 'wb') as handle:
        np.save(handle, matrix)
    return path


def load_similarity(sim_dir: str | os.PathLike
                    ) -> tuple[dict[str, int], dict[tuple[str, str], np.ndarray]]:
    """``(num_nodes, sim)`` for ``partition_zoo(num_nodes, sim, K)`` from compute_sim's output."""
    index_path = Path(sim_dir) / SIM_INDEX
    if not index_path.is_file():
        raise FileNotFoundError(f'{index_path} not found; run tools/dery/compute_sim.py first')
    index = json.loads(index_path.read_text())
    sim = {(a, b): np.load(pair_path(sim_dir, a, b)) for a, b in index['pairs']}
    return dict(index['num_nodes']), sim
