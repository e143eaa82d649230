"""Zoo manifests, the models they name and the data they run on, for tools/dery/get_rep.py and
count_inout_size.py.

A manifest is JSON/YAML ``{models: [{name, arch, library, checkpoint?, blocks?, kwargs?,
input_size?}, ...]}``; :func:`load_zoo` checks it, :func:`build_zoo_model` builds one model
locally (never a hub download) and :class:`DatasetSamples` gives a data config's preprocessed
inputs.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from mmpretrain.registry import DATASETS, MODELS
from torch import Tensor, nn

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
