"""Cutting zoo models into DeRy's parts (Yang et al., "Deep Model Reassembly", NeurIPS 2022).

Nodes follow :mod:`.block_table`: node 0 is the input of a model's first block (its stem's
output) and node i the output of its i-th block, so part (s, e] runs blocks s+1..e. The public
DeRy code cuts with hand-written sub-network builders per model; here a part is a torch.fx
sub-graph of the model's own forward with the blocks kept whole (so every residual inside a cut
stays), or, for models that do not trace, the block modules run in order. :class:`SourceCuts`
also gives each node's :class:`~mm_cl_addon.models.layers.stitching.Layout` at the model's native
input, which the stitching adapters of the DeRy backbone map between.
"""
from __future__ import annotations

import contextlib
import copy
import math
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from itertools import chain
from typing import Any

import torch
from mmcv.cnn.bricks.transformer import AdaptivePadding
from mmpretrain.models.utils import resize_pos_embed
from timm.layers._fx import get_notrace_functions, get_notrace_modules
from torch import fx, nn
from torch.fx.passes.shape_prop import ShapeProp

from .block_table import FAMILIES, block_names, detect_family
from .layout import Layout

CUTTERS = ('auto', 'fx', 'sequential')
_PROBE_BATCH = 2  # more than one sample, so a model that checks batch statistics still runs


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
