"""DeRy's reassembled network (Yang et al., "Deep Model Reassembly", NeurIPS 2022) as a backbone.

A DeRy network is a chain of parts cut out of zoo models, ``[model_name, start_node, end_node]``
each, joined by stitching adapters. Nodes follow :mod:`mm_cl_addon.reassembly.block_table`: node
0 is the input of a model's first block (its stem's output) and node i the output of its i-th
block, so part (s, e] runs blocks s+1..e. The public DeRy code cuts with hand-written
sub-network builders per model; here a part is a torch.fx sub-graph of the model's own forward
with the blocks kept whole (so every residual inside a cut stays), or, for models that do not
trace, the block modules run in order. Each part runs at its source model's native layout and
the adapter in front of it resamples to that layout. See docs/dery_backbone.md.
"""
from __future__ import annotations

import contextlib
import copy
import math
import os
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import timm
import torch
import torch.nn.functional as F
import torchvision
from mmcv.cnn.bricks.transformer import AdaptivePadding
from mmengine.fileio import load
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmpretrain.models.utils import resize_pos_embed
from mmpretrain.registry import MODELS
from timm.layers._fx import get_notrace_functions, get_notrace_modules
from torch import fx, nn
from torch.fx.passes.shape_prop import ShapeProp
from torch.nn.modules.batchnorm import _BatchNorm

from mm_cl_addon.compat.checkpoint import load_checkpoint
from mm_cl_addon.reassembly.block_table import FAMILIES, block_names, detect_family

LIBRARIES = ('timm', 'mmpretrain', 'torchvision', 'mm_cl_addon')
CUTTERS = ('auto', 'fx', 'sequential')
STEMS = ('source', 'fresh')
_PROBE_BATCH = 2  # more than one sample, so a model that checks batch statistics still runs


@dataclass(frozen=True)
class Layout:
    """The tensor between two parts: why an adapter is needed and what it must produce.

    ``'cnn'``: a map [N, channels, H, W] with ``size`` (H, W). ``'vit'``: tokens
    [N, prefix + H W, channels], ``prefix`` leading tokens (class/register tokens) before the
    patch tokens of an H x W grid ``size``.
    """

    kind: str
    channels: int
    size: tuple[int, int]
    prefix: int = 0


@dataclass(frozen=True)
class ZooEntry:
    """One model of the zoo manifest: how to build it locally and where its weights are."""

    name: str
    arch: str
    library: str
    checkpoint: str | None = None
    blocks: tuple[str, ...] | None = None
    kwargs: dict = field(default_factory=dict)
    input_size: tuple[int, ...] | None = None


def load_zoo(zoo: str | os.PathLike | Mapping) -> dict[str, ZooEntry]:
    """Read a zoo manifest (YAML/JSON file, or the same mapping inline) keyed by model name.

    Relative checkpoint paths are taken from the manifest's folder, so a zoo can move as a whole.
    """
    base = ''
    if isinstance(zoo, Mapping):
        manifest = zoo
    else:
        path = os.fspath(zoo)
        if not os.path.isfile(path):
            raise FileNotFoundError(f'DeRy zoo manifest {path!r} is not a file')
        manifest, base = load(path), os.path.dirname(os.path.abspath(path))
    if not isinstance(manifest, Mapping) or not isinstance(manifest.get('models'), list):
        raise ValueError(f'DeRy zoo manifest {zoo!r} must be a mapping with a "models" list')
    known = {f for f in ZooEntry.__dataclass_fields__}
    entries: dict[str, ZooEntry] = {}
    for i, raw in enumerate(manifest['models']):
        missing = {'name', 'arch', 'library'} - set(raw)
        unknown = set(raw) - known
        if missing or unknown:
            raise ValueError(f'DeRy zoo manifest {zoo!r}, models[{i}]: missing keys '
                             f'{sorted(missing)}, unknown keys {sorted(unknown)}; expected '
                             f'name, arch, library and optionally {sorted(known - missing)}')
        if raw['library'] not in LIBRARIES:
            raise ValueError(f'DeRy zoo model {raw["name"]!r}: library must be one of '
                             f'{LIBRARIES}, got {raw["library"]!r}')
        if raw['name'] in entries:
            raise ValueError(f'DeRy zoo manifest {zoo!r} names model {raw["name"]!r} twice')
        checkpoint = raw.get('checkpoint')
        if checkpoint:
            checkpoint = os.path.join(base, os.path.expanduser(checkpoint))
        entries[raw['name']] = ZooEntry(
            name=raw['name'], arch=raw['arch'], library=raw['library'],
            checkpoint=checkpoint or None,
            blocks=None if raw.get('blocks') is None else tuple(raw['blocks']),
            kwargs=dict(raw.get('kwargs') or {}),
            input_size=None if raw.get('input_size') is None else tuple(raw['input_size']))
    return entries


def _strip_prefixes(state: Mapping[str, Any]) -> dict[str, Any]:
    """Plain model keys from a DDP (``module.``) or mmpretrain classifier (``backbone.``) save."""
    state = {k.removeprefix('module.'): v for k, v in state.items()}
    if any(k.startswith('backbone.') for k in state):
        state = {k.removeprefix('backbone.'): v for k, v in state.items()
                 if k.startswith('backbone.')}
    return state


def build_source_model(entry: ZooEntry) -> nn.Module:
    """Build ``entry``'s model locally (never a hub download) and load its checkpoint, if any."""
    if entry.library == 'timm':
        model = timm.create_model(entry.arch, pretrained=False, **entry.kwargs)
    elif entry.library == 'torchvision':
        model = torchvision.models.get_model(entry.arch, weights=None, **entry.kwargs)
    else:  # mmpretrain and mm_cl_addon models both live in mmpretrain's MODELS registry
        model = MODELS.build(dict(type=entry.arch, **entry.kwargs))
    if entry.checkpoint is None:
        return model
    state = load_checkpoint(entry.checkpoint)
    for key in ('state_dict', 'model'):
        if isinstance(state, Mapping) and isinstance(state.get(key), Mapping):
            state = state[key]
            break
    try:
        missing, unexpected = model.load_state_dict(_strip_prefixes(state), strict=False)
    except RuntimeError as err:
        raise ValueError(f'DeRy zoo model {entry.name!r}: checkpoint {entry.checkpoint} does '
                         f'not fit {entry.library} {entry.arch}: {err}') from err
    if missing:
        raise ValueError(f'DeRy zoo model {entry.name!r}: checkpoint {entry.checkpoint} lacks '
                         f'{len(missing)} weights of {entry.arch}, e.g. {missing[:5]}')
    if unexpected:
        print_log(f'DeRy zoo model {entry.name!r}: ignored {len(unexpected)} checkpoint keys '
                  f'that {entry.arch} does not have, e.g. {unexpected[:5]}', logger='current')
    return model


@contextlib.contextmanager
def _evaluating(model: nn.Module) -> Iterator[None]:
    """Eval mode and no grad for a probe, so BatchNorm statistics are not touched."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        for module, mode in modes:
            module.training = mode


def _feature_fn(model: nn.Module) -> Any:
    """The function whose output is the model's features: timm's forward_features, else forward."""
    return getattr(model, 'forward_features', model)


def _probe(input_size: Sequence[int]) -> torch.Tensor:
    generator = torch.Generator().manual_seed(0)
    return torch.randn(_PROBE_BATCH, *input_size, generator=generator)


def _patch_grid(model: nn.Module, patches: int) -> tuple[int, int]:
    """The H x W grid of ``patches`` tokens: the model's own when it says, else a square."""
    for grid in (getattr(getattr(model, 'patch_embed', None), 'grid_size', None),
                 getattr(model, 'patch_resolution', None)):
        if grid is not None and len(grid) == 2 and grid[0] * grid[1] == patches:
            return int(grid[0]), int(grid[1])
    side = math.isqrt(patches)
    if side * side != patches:
        raise ValueError(f'cannot tell the patch grid of {patches} tokens of '
                         f'{type(model).__name__}: not a square and the model names no grid')
    return side, side


def _layout(shape: Sequence[int], model: nn.Module, where: str) -> Layout:
    """Layout of a probed tensor: rank 4 is a NCHW map, rank 3 tokens (NHWC maps refused)."""
    try:
        family_layout = FAMILIES[detect_family(model)].layout
    except ValueError:  # no block table for the class: the blocks came from the manifest
        family_layout = None
    if family_layout == 'nhwc' or len(shape) not in (3, 4):
        raise ValueError(f'{where}: DeRy stitches NCHW maps and [N, T, C] tokens only, got '
                         f'shape {tuple(shape)} (family layout {family_layout})')
    if len(shape) == 4:
        return Layout('cnn', shape[1], (shape[2], shape[3]))
    prefix = int(getattr(model, 'num_prefix_tokens', getattr(model, 'num_extra_tokens', 0)))
    return Layout('vit', shape[2], _patch_grid(model, shape[1] - prefix), prefix)


class _BlockTracer(fx.Tracer):
    """Keeps every block whole (one graph node, its inner residuals inside it) and timm's
    untraceable layers whole too."""

    def __init__(self, blocks: set[str]) -> None:
        # mmpretrain's ViT pads its patches and resizes its position embedding with Python
        # control flow on the input size: both are kept whole.
        super().__init__(autowrap_functions=(*get_notrace_functions(), resize_pos_embed))
        self.blocks = blocks
        self.notrace = (*get_notrace_modules(), AdaptivePadding)

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        return (module_qualified_name in self.blocks or isinstance(m, self.notrace)
                or super().is_leaf_module(m, module_qualified_name))


class _Features(nn.Module):
    """The model's feature function as a module, so the tracer sees features, not logits."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> Any:
        return _feature_fn(self.model)(x)


class _FxCutter:
    """Cuts parts out of the traced graph of the model's feature function."""

    method = 'fx'

    def __init__(self, model: nn.Module, names: Sequence[str], input_size: Sequence[int]) -> None:
        self.root = _Features(model)
        self.graph = _BlockTracer({f'model.{n}' for n in names}).trace(self.root)
        nodes = list(self.graph.nodes)
        block_nodes = []
        for name in names:
            calls = [n for n in nodes if n.op == 'call_module' and n.target == f'model.{name}']
            if len(calls) != 1:
                raise ValueError(f'block {name!r} is called {len(calls)} times in the traced '
                                 'forward; a block must run exactly once')
            block_nodes.append(calls[0])
        order = [nodes.index(n) for n in block_nodes]
        if order != sorted(order):
            raise ValueError(f'blocks {list(names)} do not run in the given order')
        first_input = block_nodes[0].args[0] if block_nodes[0].args else None
        if not isinstance(first_input, fx.Node):
            raise ValueError(f'the first block {names[0]!r} takes no tensor input')
        self.nodes = [first_input, *block_nodes]
        with _evaluating(self.root):
            ShapeProp(fx.GraphModule(self.root, self.graph)).propagate(_probe(input_size))
        self.shapes = [n.meta['tensor_meta'].shape for n in self.nodes]
        self.tail = self._tail(nodes)

    def _tail(self, nodes: list[fx.Node]) -> fx.Node:
        """The last node between the last block and the features that keeps the last block's
        shape: a ViT's final norm is kept, pooling or a classifier (torchvision's forward) not."""
        last = self.nodes[-1]
        output = nodes[-1].args[0]
        feeds, stack = set(), list(output if isinstance(output, (tuple, list)) else [output])
        while stack:
            node = stack.pop()
            if isinstance(node, fx.Node) and node not in feeds:
                feeds.add(node)
                stack.extend(node.all_input_nodes)
        after, tail = {last}, last
        for node in nodes[nodes.index(last) + 1:]:
            if any(n in after for n in node.all_input_nodes):
                after.add(node)
                meta = node.meta.get('tensor_meta')
                if node in feeds and getattr(meta, 'shape', None) == self.shapes[-1]:
                    tail = node
        return tail

    def _subgraph(self, start: fx.Node | None, end: fx.Node) -> fx.GraphModule:
        """The nodes ``end`` depends on after ``start`` (None: from the model input)."""
        keep: set[fx.Node] = set()
        stack = [end]
        while stack:
            node = stack.pop()
            if node in keep or node is start:
                continue
            if node.op == 'placeholder' and start is not None:
                raise ValueError(f'{end.name} depends on the model input past the cut at '
                                 f'{start.name}: a skip connection crosses the cut')
            keep.add(node)
            stack.extend(node.all_input_nodes)
        graph = fx.Graph()
        env: dict[fx.Node, fx.Node] = {}
        if start is not None:
            env[start] = graph.placeholder('x')
        for node in self.graph.nodes:
            if node in keep:
                env[node] = graph.node_copy(node, env.__getitem__)
        graph.output(env[end])
        # A deep copy per cut, so two parts of one model never share (tie) weights.
        return fx.GraphModule(copy.deepcopy(self.root), graph)

    def stem(self) -> nn.Module:
        return self._subgraph(None, self.nodes[0])

    def part(self, start: int, end: int, tail: bool) -> nn.Module:
        last = self.tail if tail and end == len(self.nodes) - 1 else self.nodes[end]
        return self._subgraph(self.nodes[start], last)

    def out_shape(self, end: int, tail: bool) -> Sequence[int]:
        if tail and end == len(self.nodes) - 1:
            return self.tail.meta['tensor_meta'].shape
        return self.shapes[end]


class _SequentialCutter:
    """For models that do not trace: a part runs its blocks' modules in order.

    Checked on a probe through the model's own forward: every block must run once, in order,
    each on the previous one's output. The stem is the model's top-level children before the
    first block, and is refused when it does not reproduce the first block's input (a ViT adds
    its class token and position embedding outside any child module).
    """

    method = 'sequential'

    def __init__(self, model: nn.Module, names: Sequence[str], input_size: Sequence[int]) -> None:
        self.model, self.names = model, list(names)
        modules = dict(model.named_modules())
        records: list[tuple[str, Any, Any]] = []

        def record(name: str, args: tuple, out: Any) -> None:
            # Copies, so a later in-place op (ReLU(inplace=True)) cannot fake a match below.
            first = args[0] if args else None
            records.append((name, *(t.clone() if isinstance(t, torch.Tensor) else t
                                    for t in (first, out))))

        hooks = [modules[n].register_forward_hook(
            lambda _m, args, out, n=n: record(n, args, out)) for n in names]
        probe = _probe(input_size)
        try:
            with _evaluating(model):
                _feature_fn(model)(probe)
                ran = [n for n, _, _ in records]
                if ran != self.names:
                    raise ValueError(f'blocks must run once each in order {self.names}, ran {ran}')
                if not all(isinstance(t, torch.Tensor) for r in records for t in r[1:]):
                    raise ValueError('every block must take and return one tensor')
                for i in range(1, len(names)):
                    if not torch.equal(records[i][1], records[i - 1][2]):
                        raise ValueError(f'the input of block {names[i]!r} is not the output of '
                                         f'{names[i - 1]!r}: something runs between them')
                self.stem_error = self._check_stem(probe, records[0][1])
        finally:
            for hook in hooks:
                hook.remove()
        self.shapes = [records[0][1].shape, *(out.shape for _, _, out in records)]

    def _stem_modules(self) -> nn.Sequential:
        top = self.names[0].split('.')[0]
        children = []
        for child_name, child in self.model.named_children():
            if child_name == top:
                break
            children.append((child_name, copy.deepcopy(child)))
        return nn.Sequential(OrderedDict(children))

    def _check_stem(self, probe: torch.Tensor, first_input: torch.Tensor) -> str | None:
        own = [n for n, _ in chain(self.model.named_parameters(recurse=False),
                                   self.model.named_buffers(recurse=False))]
        if own:
            return f'the model holds weights of its own ({own}) that its forward uses outside ' \
                   'any child module'
        stem = self._stem_modules().eval()
        out = stem(probe)
        if out.shape != first_input.shape or not torch.equal(out, first_input):
            return 'its children before the first block do not reproduce the first block\'s input'
        return None

    def stem(self) -> nn.Module:
        if self.stem_error is not None:
            raise ValueError(f'no sequential stem: {self.stem_error}')
        return self._stem_modules()

    def part(self, start: int, end: int, tail: bool) -> nn.Module:
        modules = dict(self.model.named_modules())
        return nn.Sequential(OrderedDict((n.replace('.', '_'), copy.deepcopy(modules[n]))
                                         for n in self.names[start:end]))

    def out_shape(self, end: int, tail: bool) -> Sequence[int]:
        return self.shapes[end]


class SourceCuts:
    """One zoo model ready for cutting: its node layouts (at its native input) and a cutter."""

    def __init__(self, model: nn.Module, name: str, input_size: Sequence[int],
                 blocks: Sequence[str] | None = None, cutter: str = 'auto') -> None:
        if cutter not in CUTTERS:
            raise ValueError(f'cutter must be one of {CUTTERS}, got {cutter!r}')
        self.model, self.name = model, name
        try:
            names = block_names(model, override=blocks)
        except ValueError as err:
            raise ValueError(f'cannot cut zoo model {name!r} ({type(model).__name__}): it has no '
                             f'block table ({err}); list its blocks under "blocks" in the zoo '
                             'manifest') from err
        self.num_nodes = len(names)
        errors = []
        for method in (('fx', 'sequential') if cutter == 'auto' else (cutter,)):
            make = _FxCutter if method == 'fx' else _SequentialCutter
            try:
                self.cutter = make(model, names, input_size)
                break
            except Exception as err:  # tracing raises many kinds: any failure means "try next"
                errors.append(f'{method}: {type(err).__name__}: {err}')
        else:
            raise ValueError(f'cannot cut zoo model {name!r} ({type(model).__name__}) at input '
                             f'{tuple(input_size)}: ' + '; '.join(errors))
        self.fallback = '; '.join(errors)  # why fx was not used, for later messages
        self.layouts = [_layout(s, model, f'zoo model {name!r} node {i}')
                        for i, s in enumerate(self.cutter.shapes)]

    def _where(self, what: str) -> str:
        after = f' after {self.fallback}' if self.fallback else ''
        return f'zoo model {self.name!r} ({self.cutter.method} cutter{after}), {what}'

    def stem(self) -> nn.Module:
        """Everything before the first block (an empty stem is an identity)."""
        try:
            return self.cutter.stem()
        except ValueError as err:
            raise ValueError(f'{self._where("stem")}: {err}') from err

    def part(self, start: int, end: int, tail: bool = False) -> nn.Module:
        """Nodes (start, end]; ``tail`` adds what the feature function does after the last block
        when ``end`` is the last node and that keeps the layout (timm ViT: the final norm)."""
        if not 0 <= start < end <= self.num_nodes:
            raise ValueError(f'{self._where("part")}: nodes ({start}, {end}] must satisfy '
                             f'0 <= start < end <= {self.num_nodes}')
        try:
            return self.cutter.part(start, end, tail)
        except ValueError as err:
            raise ValueError(f'{self._where(f"part ({start}, {end}]")}: {err}') from err

    def out_layout(self, end: int, tail: bool = False) -> Layout:
        return _layout(self.cutter.out_shape(end, tail), self.model,
                       self._where(f'node {end} output'))


def _resize(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Resample a map: average pooling when shrinking (no aliasing), bilinear otherwise."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    if x.shape[-2] >= size[0] and x.shape[-1] >= size[1]:
        return F.adaptive_avg_pool2d(x, size)
    return F.interpolate(x, size=size, mode='bilinear', align_corners=False)


def _conv_bn(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, bias=False),
                         nn.BatchNorm2d(out_channels))


class Stitch(nn.Module):
    """Maps one part's output layout to the next part's native input layout.

    cnn->cnn: resample to the target H x W, then 1x1 conv + BN when the channels differ.
    cnn->vit: resample to the target patch grid, flatten to tokens, Linear to the target width,
    prepend learnable prefix tokens. vit->vit: Linear on channels when the widths differ,
    resample the patch grid, keep the source prefix tokens up to the target's count and add
    learnable ones beyond it. vit->cnn: drop the prefix tokens, patch tokens back to a map,
    resample, 1x1 conv + BN.
    """

    def __init__(self, source: Layout, target: Layout) -> None:
        super().__init__()
        self.source, self.target = source, target
        cin, cout = source.channels, target.channels
        if target.kind == 'cnn':
            self.proj = (_conv_bn(cin, cout) if source.kind == 'vit' or cin != cout
                         else nn.Identity())
            extra = 0
        else:
            self.proj = nn.Linear(cin, cout) if source.kind == 'cnn' or cin != cout \
                else nn.Identity()
            kept = source.prefix if source.kind == 'vit' else 0
            extra = max(target.prefix - kept, 0)
        self.extra_tokens = nn.Parameter(torch.empty(1, extra, cout)) if extra else None
        if self.extra_tokens is not None:
            nn.init.trunc_normal_(self.extra_tokens, std=0.02)

    def _map(self, tokens: torch.Tensor) -> torch.Tensor:
        """Patch tokens [N, H W, C] of the source grid as a map [N, C, H, W]."""
        height, width = self.source.size
        return tokens.transpose(1, 2).reshape(tokens.shape[0], -1, height, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        source, target = self.source, self.target
        if target.kind == 'cnn':
            if source.kind == 'vit':
                x = self._map(x[:, source.prefix:])
            return self.proj(_resize(x, target.size))
        if source.kind == 'cnn':
            kept, patches = [], self.proj(_resize(x, target.size).flatten(2).transpose(1, 2))
        else:
            x = self.proj(x)
            kept, patches = [x[:, :min(source.prefix, target.prefix)]], x[:, source.prefix:]
            if source.size != target.size:
                patches = _resize(self._map(patches), target.size).flatten(2).transpose(1, 2)
        extra = [] if self.extra_tokens is None else [
            self.extra_tokens.expand(x.shape[0], -1, -1)]
        return torch.cat([*kept, *extra, patches], dim=1)


def make_stitch(source: Layout, target: Layout) -> nn.Module:
    """Identity where the layouts match, else a :class:`Stitch`."""
    return nn.Identity() if source == target else Stitch(source, target)


def _reinitialise(stem: nn.Module) -> None:
    """A fresh stem: every layer's own reset, loose tensors (class token, position embedding,
    norms traced as functions) as timm initialises them."""
    reset = set()
    with torch.no_grad():
        for module in stem.modules():
            if module is not stem and hasattr(module, 'reset_parameters'):
                module.reset_parameters()
                reset.update(id(p) for p in module.parameters())
        for name, param in stem.named_parameters():
            if id(param) in reset:
                continue
            if param.dim() == 1 and name.endswith('weight'):
                param.fill_(1.0)
            elif param.dim() == 1 and name.endswith('bias'):
                param.zero_()
            else:
                nn.init.trunc_normal_(param, std=0.02)


@MODELS.register_module()
class DeRy(BaseModule):
    """A network reassembled from zoo model blocks, joined by stitching adapters.

    Returns a one-element tuple like mmpretrain backbones: the last part's map [N, C, H, W]
    (follow with ``GlobalAveragePooling``), or for a token part the feature vector [N, C] that
    mmpretrain's heads take with no neck: its first token when its model has prefix tokens
    (the class token), else the mean of its patch tokens.

    Args:
        blocks: ``[model_name, start_node, end_node]`` per part, in depth order.
        zoo: the zoo manifest (YAML/JSON path, or the same mapping inline).
        stem: ``'source'`` reuses the first part's model's stem (everything before its first
            block); ``'fresh'`` is the same stem initialised from scratch, as in the paper.
        freeze_blocks: freeze the reused parts (and a source stem); their BatchNorms stay in
            eval mode in ``train()``. Adapters and a fresh stem always train.
        input_size: (C, H, W) of the images this network takes; a zoo model without its own
            ``input_size`` runs its parts at this size.
        cutter: ``'auto'`` (torch.fx, else sequential), ``'fx'`` or ``'sequential'``.
    """

    def __init__(self, blocks: Sequence[Sequence], zoo: str | Mapping, stem: str = 'source',
                 freeze_blocks: bool = True, input_size: Sequence[int] = (3, 224, 224),
                 cutter: str = 'auto', init_cfg: dict | list | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if stem not in STEMS:
            raise ValueError(f'DeRy stem must be one of {STEMS}, got {stem!r}')
        if not blocks:
            raise ValueError('DeRy blocks is empty; give [model_name, start_node, end_node] '
                             'per part')
        entries = load_zoo(zoo)
        for i, spec in enumerate(blocks):
            if (len(spec) != 3 or spec[0] not in entries
                    or not all(isinstance(v, int) and not isinstance(v, bool) for v in spec[1:])):
                raise ValueError(f'DeRy blocks[{i}] = {spec!r}: expected [model_name, start_node, '
                                 f'end_node] with a model of the zoo {sorted(entries)} and '
                                 'integer nodes')
        sources: dict[str, nn.Module] = {}
        cuts: dict[tuple[str, tuple[int, ...]], SourceCuts] = {}

        def cuts_of(name: str, size: Sequence[int]) -> SourceCuts:
            size = tuple(size)
            if name not in sources:
                sources[name] = build_source_model(entries[name])
            if (name, size) not in cuts:
                cuts[name, size] = SourceCuts(sources[name], name, size, entries[name].blocks,
                                              cutter)
            return cuts[name, size]

        def native(name: str) -> SourceCuts:
            return cuts_of(name, entries[name].input_size or input_size)

        first = blocks[0][0]
        self.stem = cuts_of(first, input_size).stem()
        if stem == 'fresh':
            _reinitialise(self.stem)
        layout = cuts_of(first, input_size).layouts[0]
        parts, stitches = [], []
        for i, (name, start, end) in enumerate(blocks):
            source = native(name)
            last = i == len(blocks) - 1
            parts.append(source.part(start, end, tail=last))
            stitches.append(make_stitch(layout, source.layouts[start]))
            layout = source.out_layout(end, tail=last)
        self.parts, self.stitches = nn.ModuleList(parts), nn.ModuleList(stitches)
        self.out_layout = layout
        self.out_channels = layout.channels
        self.cut_methods = [native(name).cutter.method for name, _, _ in blocks]
        self.freeze_blocks = freeze_blocks
        self.frozen = [*self.parts, *([self.stem] if stem == 'source' else [])]
        if freeze_blocks:
            for module in self.frozen:
                module.requires_grad_(False)

    def init_weights(self) -> None:
        """Keep the zoo weights: adapters and a fresh stem are initialised on construction, and
        mmengine's recursive init would re-initialise reused layers that define init_weights."""
        if self.init_cfg:
            super().init_weights()

    def train(self, mode: bool = True) -> DeRy:
        """Frozen parts keep their BatchNorm statistics: their norms stay in eval mode."""
        super().train(mode)
        if self.freeze_blocks:
            for module in self.frozen:
                for norm in module.modules():
                    if isinstance(norm, _BatchNorm):
                        norm.eval()
        return self

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor]:
        x = self.stem(x)
        for stitch, part in zip(self.stitches, self.parts):
            x = part(stitch(x))
        if self.out_layout.kind == 'vit':
            x = x[:, 0] if self.out_layout.prefix else x.mean(dim=1)
        return (x,)
