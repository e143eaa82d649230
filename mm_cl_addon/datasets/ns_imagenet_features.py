"""Features of a frozen backbone for every ns-ImageNet image, one file per stream split.

:func:`cache_features` reads the mini-ImageNet folder, writes the noisy domains once
(:func:`.ns_imagenet.cache_noise_domains`), then for each stream split runs the frozen model of
a feature config over every image of every domain, in stream order, and writes
``<out_dir>/<split>.npz`` (:func:`.ns_imagenet.save_features`, atomically). A split whose file
already holds features made the same way is skipped, so an interrupted run resumes at the
split it was writing; a file made another way is an error naming it (never silently reused).

The feature config is an mmpretrain config with ``model`` (an ``ImageClassifier``, whose
``extract_feat`` up to the neck gives the features, or a ``TimmClassifier``, whose timm model
gives its pre-logits), ``data_preprocessor`` (``ClsDataPreprocessor`` arguments) and
``feature_pipeline`` (loading and resizing one image file, ending with ``PackInputs``).
Weights come from a local checkpoint only; random weights need ``random_init=True``.
"""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from mmengine.dataset import Compose
from mmengine.utils import ProgressBar
from mmpretrain.models import ImageClassifier, TimmClassifier
from mmpretrain.registry import MODELS, TRANSFORMS
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset

from ..utils.arguments import check_seed
from .ns_imagenet import (
    DOMAINS,
    SPLITS,
    StreamImage,
    cache_noise_domains,
    feature_file,
    load_features,
    read_mini_imagenet,
    save_features,
    stream_images,
)

HEAD_NAMES = ('head', 'fc', 'classifier')  # checkpoint keys a feature extractor may lack


def _plain(value: Any) -> Any:
    """Config values as plain JSON-able data (ConfigDicts, tuples), for the fingerprint."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


def _is_head_key(key: str) -> bool:
    return any(part in HEAD_NAMES for part in key.split('.')[:2])


def load_extractor_weights(model: nn.Module, checkpoint: str | os.PathLike) -> None:
    """Load a local checkpoint (weights only) into the feature model.

    Its ``state_dict`` (or ``model``) entry when it has one, ``module.`` prefixes dropped.
    Keys of a classification head (``head.*``, ``fc.*``, ``classifier.*``, also one level
    down, as in ``model.fc.*``) may be missing or extra; any other missing or extra key is a
    ``ValueError`` naming the checkpoint and the keys.
    """
    from ..compat import load_checkpoint
    path = os.fspath(checkpoint)
    state = load_checkpoint(path)
    for key in ('state_dict', 'model'):
        if isinstance(state, Mapping) and isinstance(state.get(key), Mapping):
            state = state[key]
            break
    if not isinstance(state, Mapping):
        raise ValueError(f'checkpoint {path} holds {type(state).__name__}, expected a state dict')
    state = {key.removeprefix('module.'): value for key, value in state.items()}
    try:
        result = model.load_state_dict(state, strict=False)
    except RuntimeError as error:  # shapes that differ
        raise ValueError(f'checkpoint {path} does not fit the feature model: {error}') from error
    missing = [key for key in result.missing_keys if not _is_head_key(key)]
    extra = [key for key in result.unexpected_keys if not _is_head_key(key)]
    if missing or extra:
        raise ValueError(f'checkpoint {path} does not fit the feature model: missing keys '
                         f'{missing[:5]}, unexpected keys {extra[:5]}')


class FrozenFeatures(nn.Module):
    """A classifier cut before its head, in eval mode, without gradients: ``[B, D]`` features."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        if not isinstance(model, (ImageClassifier, TimmClassifier)):
            raise TypeError('the feature config\'s model must be an ImageClassifier or a '
                            f'TimmClassifier, got {type(model).__name__}')
        self.model = model
        self.model.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> FrozenFeatures:
        super().train(False)  # frozen: batch norm keeps its running statistics
        return self

    @torch.no_grad()
    def forward(self, inputs: Tensor) -> Tensor:
        if isinstance(self.model, TimmClassifier):
            timm_model = self.model.model
            feats = timm_model.forward_head(timm_model.forward_features(inputs), pre_logits=True)
        else:
            feats = self.model.extract_feat(inputs, stage='neck')
            feats = feats[-1] if isinstance(feats, (tuple, list)) else feats
        return feats.flatten(1)


def build_extractor(model_cfg: Mapping, checkpoint: str | os.PathLike | None = None,
                    random_init: bool = False, seed: int = 0) -> FrozenFeatures:
    """The frozen feature model of ``model_cfg`` with the weights of ``checkpoint``.

    Without a checkpoint the weights are random (drawn from ``seed``), which is refused
    unless ``random_init`` (for tests and smoke runs: random features carry no meaning).
    """
    if checkpoint is None and not random_init:
        raise ValueError('no checkpoint given: pass a local checkpoint of the backbone, or '
                         'random_init=True (--random-init) to run with random weights')
    if checkpoint is not None and not os.path.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint} does not exist (only local files are '
                                'read; nothing is downloaded)')
    torch.manual_seed(check_seed('seed', seed))
    cfg = dict(model_cfg)
    cfg.pop('pretrained', None)
    if cfg.get('type') == 'TimmClassifier':
        cfg['pretrained'] = False  # never a hub download
    model = MODELS.build(cfg)
    if checkpoint is not None:
        load_extractor_weights(model, checkpoint)
    return FrozenFeatures(model)


class _ImageFiles(Dataset):
    def __init__(self, images: Sequence[StreamImage], pipeline: Compose) -> None:
        self.images, self.pipeline = images, pipeline

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> Tensor:
        path = self.images[index].path
        if not path.is_file():
            raise FileNotFoundError(f'image {path} does not exist')
        return self.pipeline(dict(img_path=str(path)))['inputs']


def _as_list(batch: list) -> list:
    return batch


def extract(extractor: FrozenFeatures, preprocessor: nn.Module, pipeline: Compose,
            images: Sequence[StreamImage], batch_size: int = 64, device: str = 'cpu',
            num_workers: int = 0, progress: bool = True) -> np.ndarray:
    """float32 ``[len(images), D]`` features, in the order of ``images``."""
    loader = DataLoader(_ImageFiles(images, pipeline), batch_size=batch_size, shuffle=False,
                        num_workers=num_workers, collate_fn=_as_list)
    extractor.to(device)
    preprocessor.to(device)
    bar = ProgressBar(len(images)) if progress and images else None
    chunks = []
    for batch in loader:
        inputs = preprocessor({'inputs': batch}, False)['inputs']
        chunks.append(extractor(inputs.to(device)).float().cpu().numpy())
        if bar is not None:
            bar.update(len(batch))
    if bar is not None:
        print(flush=True)
    return np.concatenate(chunks) if chunks else np.zeros((0, 0), np.float32)


def _check_resumable(path: Path, meta: dict) -> bool:
    """True if ``path`` holds this split's features made with ``meta``; raise if made otherwise."""
    if not path.is_file():
        return False
    done = load_features(path).meta
    differing = sorted(key for key in (set(meta) | set(done)) - {'format', 'feature_dim'}
                       if done.get(key) != meta.get(key))
    if differing:
        raise ValueError(f'feature file {path} was written with other settings ({differing} '
                         'differ); delete it or choose another output folder')
    return True


def cache_features(cfg: Mapping, mini_imagenet: str | os.PathLike, noise_dir: str | os.PathLike,
                   out_dir: str | os.PathLike, *, checkpoint: str | None = None,
                   random_init: bool = False, seed: int = 0, splits: Sequence[str] = SPLITS,
                   layout: str = 'auto', batch_size: int = 64, device: str = 'cpu',
                   num_workers: int = 0, progress: bool = True) -> dict[str, str]:
    """Noise domains, then features of every split not done yet; ``{split: status}``.

    ``status`` is ``'written'`` or ``'skipped'`` (its file already holds these features).
    """
    for key in ('model', 'feature_pipeline'):
        if key not in cfg:
            raise KeyError(f'the feature config has no {key!r}')
    unknown = sorted(set(splits) - set(SPLITS))
    if unknown:
        raise ValueError(f'splits {unknown} are not stream splits {SPLITS}')
    mini = read_mini_imagenet(mini_imagenet, layout)
    noise = cache_noise_domains(mini, noise_dir, seed, progress=progress)
    print(f'noise domains in {noise_dir}: {noise["written"]} images written, '
          f'{noise["reused"]} reused', flush=True)
    base_meta = dict(
        seed=seed, layout=mini.layout, num_classes=len(mini.classes),
        domains=[[d.name, d.noise_factor, d.sigma] for d in DOMAINS],
        model=_plain(cfg['model']), pipeline=_plain(cfg['feature_pipeline']),
        data_preprocessor=_plain(cfg.get('data_preprocessor') or {}),
        checkpoint=None if checkpoint is None else os.path.abspath(checkpoint))
    status, extractor = {}, None
    for split in splits:
        path = feature_file(out_dir, split)
        images = stream_images(mini, split, noise_dir, seed)
        meta = dict(base_meta, split=split, num_samples=len(images))
        if _check_resumable(path, meta):
            status[split] = 'skipped'
            print(f'{split}: {path} already holds these features; skipped', flush=True)
            continue
        if extractor is None:
            extractor = build_extractor(cfg['model'], checkpoint, random_init, seed)
            preprocessor = MODELS.build({'type': 'ClsDataPreprocessor',
                                         **(cfg.get('data_preprocessor') or {})})
            pipeline = Compose([TRANSFORMS.build(t) for t in cfg['feature_pipeline']])
        print(f'{split}: {len(images)} images ({len(DOMAINS)} domains)', flush=True)
        features = extract(extractor, preprocessor, pipeline, images, batch_size, device,
                           num_workers, progress)
        save_features(path, features, [i.label for i in images], [i.domain for i in images],
                      [i.image_id for i in images], mini.classes,
                      dict(meta, feature_dim=int(features.shape[1])))
        status[split] = 'written'
        print(f'{split}: wrote {path} ({features.shape[0]} x {features.shape[1]})', flush=True)
    return status


__all__ = ['FrozenFeatures', 'build_extractor', 'cache_features', 'extract',
           'load_extractor_weights']
