"""Zoo manifests and the models they name, read the same way by every DeRy step
(tools/dery/get_rep.py, count_inout_size.py and the DeRy backbone), and the data they run on.

A manifest is JSON/YAML ``{models: [{name, arch, library, checkpoint?, blocks?, kwargs?,
input_size?}, ...]}``; :func:`load_zoo` checks it, :func:`build_zoo_model` builds one model
locally (never a hub download) and loads its checkpoint by the one rule of :func:`load_weights`,
and :class:`DatasetSamples` gives a data config's preprocessed inputs.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from mmengine.logging import print_log
from mmpretrain.registry import DATASETS, MODELS
from torch import Tensor, nn

from ..utils.files import read_structured

LIBRARIES = ('timm', 'mmpretrain', 'torchvision', 'mm_cl_addon')
MM_LIBRARIES = ('mmpretrain', 'mm_cl_addon')
ZOO_KEYS = ('name', 'arch', 'library', 'checkpoint', 'blocks', 'kwargs', 'input_size')
MODEL_NAME = re.compile(r'[A-Za-z0-9][A-Za-z0-9.-]*(_[A-Za-z0-9.-]+)*')
CLASSIFIER_PREFIX = 'backbone.'


@dataclass(frozen=True)
class ZooModel:
    """One manifest entry: ``arch`` is a timm/torchvision name, or (mmpretrain, mm_cl_addon) a
    registered type name or config dict, a backbone or a whole classifier; ``kwargs`` go to the
    constructor; ``blocks`` overrides the family table; ``input_size`` is the model's native
    (C, H, W), kept for the tools that stitch models."""

    name: str
    library: str
    arch: Any
    checkpoint: str | None = None
    blocks: tuple[str, ...] | None = None
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    input_size: tuple[int, ...] | None = None


def load_zoo(zoo: str | os.PathLike | Mapping | Sequence) -> list[ZooModel]:
    """Models of a JSON/YAML manifest ``{models: [{name, arch, library, ...}, ...]}`` (a file,
    or the same mapping or list inline, as a DeRy config may give it), in manifest order.

    A relative ``checkpoint`` is taken relative to the manifest's folder (to the working
    directory for an inline manifest), so a zoo can move as a whole.
    """
    base = ''
    if isinstance(zoo, (Mapping, list, tuple)):
        data, where_zoo = zoo, 'inline zoo manifest'
    else:  # read_structured: plain JSON/YAML only, a crafted manifest cannot run code
        path = os.fspath(zoo)
        data, where_zoo = read_structured(path, 'zoo manifest', expected=(dict, list)), path
        base = os.path.dirname(os.path.abspath(path))
    entries = data.get('models') if isinstance(data, Mapping) else data
    if not isinstance(entries, (list, tuple)) or not entries:
        raise ValueError(f'{where_zoo}: expected a non-empty list under "models"')
    zoo_models = []
    for index, entry in enumerate(entries):
        where = f'{where_zoo}: models[{index}]'
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
        if checkpoint:
            checkpoint = os.path.join(base, os.path.expanduser(str(checkpoint)))
        zoo_models.append(ZooModel(name=name, library=entry['library'], arch=entry['arch'],
                                   checkpoint=checkpoint or None,
                                   blocks=None if blocks is None else tuple(blocks),
                                   kwargs=dict(entry.get('kwargs') or {}),
                                   input_size=None if size is None else tuple(size)))
    names = [model.name for model in zoo_models]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f'{where_zoo}: model names {repeated} appear more than once')
    return zoo_models


def build_zoo_model(entry: ZooModel, seed: int | None = 0) -> nn.Module:
    """The model whose blocks are used, in eval mode, its checkpoint loaded (:func:`load_weights`).

    timm and torchvision models are built by name; mmpretrain and mm_cl_addon ones from
    ``{type: arch}`` or the ``arch`` dict, updated with ``kwargs``. When that builds a classifier
    (a model with a ``backbone`` module, such as mmpretrain's ``ImageClassifier``), its backbone
    is the model. Weights are drawn from ``seed`` first, so every rank builds the same
    checkpoint-less model; ``seed=None`` draws them from the current random state.
    """
    if seed is not None:
        torch.manual_seed(seed)
    if entry.library in ('timm', 'torchvision') and not isinstance(entry.arch, str):
        raise ValueError(f'model {entry.name!r}: arch of a {entry.library} model must be a '
                         f'model name, got {entry.arch!r}')
    if entry.library == 'timm':
        import timm
        model = timm.create_model(entry.arch, pretrained=False, **entry.kwargs)
    elif entry.library == 'torchvision':
        import torchvision
        model = torchvision.models.get_model(entry.arch, weights=None, **entry.kwargs)
    else:  # mmpretrain and mm_cl_addon models both live in mmpretrain's MODELS registry
        cfg = {'type': entry.arch} if isinstance(entry.arch, str) else entry.arch
        if not isinstance(cfg, Mapping) or 'type' not in cfg:
            raise ValueError(f'model {entry.name!r}: arch of a {entry.library} model must be a '
                             f'registered type name or a config dict with "type", '
                             f'got {entry.arch!r}')
        model = MODELS.build({**cfg, **entry.kwargs})
        backbone = getattr(model, 'backbone', None)
        if isinstance(backbone, nn.Module):
            model = backbone
    if entry.checkpoint is not None:
        load_weights(model, entry)
    model.eval()  # not ``return model.eval()``: some mmpretrain backbones' train() returns None
    return model


def select_weights(state: Mapping[str, Any], model: nn.Module
                   ) -> tuple[dict[str, Any], list[str]]:
    """``(weights for model, ignored keys)`` of a checkpoint's state dict.

    ``module.`` (DDP) prefixes are dropped. A checkpoint with keys under ``backbone.`` (an
    mmpretrain classifier's, when ``model`` has no such keys itself) gives those keys, without
    the prefix; its other keys (head, neck, ...) are ignored. Otherwise every key is a weight.
    """
    state = {key.removeprefix('module.'): value for key, value in state.items()}
    own = model.state_dict()
    if (any(key.startswith(CLASSIFIER_PREFIX) for key in state)
            and not any(key.startswith(CLASSIFIER_PREFIX) for key in own)):
        weights = {key.removeprefix(CLASSIFIER_PREFIX): value for key, value in state.items()
                   if key.startswith(CLASSIFIER_PREFIX)}
        return weights, [key for key in state if not key.startswith(CLASSIFIER_PREFIX)]
    return state, []


def load_weights(model: nn.Module, entry: ZooModel) -> None:
    """Load ``entry.checkpoint`` (weights only) into ``model``, the model whose blocks are used.

    The one rule: the checkpoint's ``state_dict`` (or ``model``) entry when it has one, keys
    chosen by :func:`select_weights`, loaded strictly: a weight the model lacks in the
    checkpoint, a checkpoint weight the model does not have or a shape that differs is a
    ``ValueError`` naming them. The ignored keys of a classifier checkpoint are logged.
    """
    from ..compat import load_checkpoint
    state = load_checkpoint(entry.checkpoint)
    for key in ('state_dict', 'model'):
        if isinstance(state, Mapping) and isinstance(state.get(key), Mapping):
            state = state[key]
            break
    if not isinstance(state, Mapping):
        raise ValueError(f'checkpoint {entry.checkpoint} of model {entry.name!r} holds '
                         f'{type(state).__name__}, expected a state dict')
    weights, ignored = select_weights(state, model)
    try:
        result = model.load_state_dict(weights, strict=False)
    except RuntimeError as err:  # shapes that differ
        raise ValueError(f'checkpoint {entry.checkpoint} does not fit model {entry.name!r} '
                         f'({entry.library} {entry.arch!r}): {err}') from err
    if result.missing_keys or result.unexpected_keys:
        raise ValueError(f'checkpoint {entry.checkpoint} does not fit model {entry.name!r}: '
                         f'missing keys {result.missing_keys[:5]}, unexpected keys '
                         f'{result.unexpected_keys[:5]}')
    if ignored:
        print_log(f'zoo model {entry.name!r}: took the backbone of classifier checkpoint '
                  f'{entry.checkpoint}, ignored its {len(ignored)} other keys, e.g. '
                  f'{ignored[:5]}', logger='current')


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
