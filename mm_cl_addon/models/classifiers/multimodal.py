"""An mmpretrain ImageClassifier that runs its backbone once per input modality of a batch."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

MODALITY_GROUPS = ('image', 'text', 'paired')  # the order groups run in
TEXT_KEYS = ('text', 'text_length', 'text_mask')


def sample_has_text(inputs: Mapping, index: int) -> bool:
    """Whether row ``index`` of a batch holds a caption (the inference rule, see the class)."""
    if inputs.get('text') is None:
        return False
    if inputs.get('text_length') is not None:
        return bool(inputs['text_length'][index] > 0)
    if inputs.get('text_mask') is not None:
        return bool(inputs['text_mask'][index].any())
    return bool(inputs['text'][index].any())


def sample_has_image(inputs: Mapping, index: int) -> bool:
    """Whether row ``index`` of a batch holds an image (the inference rule, see the class)."""
    return inputs.get('image') is not None and bool(inputs['image'][index].any())


@MODELS.register_module()
class MultiModalClassifier(ImageClassifier):
    """``ImageClassifier`` for batches that mix image, text and paired samples.

    Takes ``ImageClassifier``'s arguments (a config switches by changing ``type``; the state
    dict keeps the ``backbone.``/``neck.``/``head.`` keys, so checkpoints load either way).
    The inputs are a tensor (images) or the dict of ``MultiModalClsDataPreprocessor``:
    ``'image'`` ``[B, C, H, W]``, ``'text'`` ``[B, L]``, ``'text_length'`` ``[B]`` (or
    ``'text_mask'`` ``[B, L]``). In a mixed batch every key present has a row for every
    sample; a sample's rows of modalities it does not have are placeholders, never read.

    Each sample's modality (``'image'``, ``'text'`` or ``'paired'``) is the ``modality``
    of its data sample's metainfo, which ``PackMultiModalInputs`` records. Without data
    samples, or for a sample without that field, it is inferred from its inputs:

    * it has text if ``'text'`` is in the inputs and its ``text_length`` is > 0 (else, its
      ``text_mask`` has a True, else its bytes are not all 0);
    * it has an image if ``'image'`` is in the inputs and its image is not all 0 (so a
      placeholder image must be all zeros *after* preprocessing to be inferred absent);
    * with both it is paired; with neither it is an error.

    The samples are grouped by modality (image, text, paired, each in batch order); the
    backbone runs once per group, on that group's rows of that modality's keys only, and
    the features are put back in batch order before the neck and the head (a
    ``MultiTaskClsHead`` then picks each sample's head by its ``task_id``). So a sample's
    features never depend on the other groups, and a batch of one modality runs exactly
    as ``ImageClassifier`` runs it.
    """

    def extract_feat(self, inputs: torch.Tensor | Mapping, stage: str = 'neck',
                     data_samples: Sequence[DataSample] | None = None):
        """``ImageClassifier.extract_feat`` with the backbone run per modality group."""
        if stage not in ('backbone', 'neck', 'pre_logits'):
            raise ValueError(f"MultiModalClassifier: stage={stage!r} is not 'backbone', "
                             "'neck' or 'pre_logits'")
        feats = self.backbone_by_modality(inputs, data_samples)
        if stage == 'backbone':
            return feats
        if self.with_neck:
            feats = self.neck(feats)
        if stage == 'neck':
            return feats
        return self.head.pre_logits(feats)

    def loss(self, inputs: torch.Tensor | Mapping, data_samples: list[DataSample]) -> dict:
        return self.head.loss(self.extract_feat(inputs, data_samples=data_samples),
                              data_samples)

    def predict(self, inputs: torch.Tensor | Mapping,
                data_samples: list[DataSample] | None = None, **kwargs) -> list[DataSample]:
        feats = self.extract_feat(inputs, data_samples=data_samples)
        return self.head.predict(feats, data_samples, **kwargs)

    # ------------------------------------------------------------------ routing
    def modalities(self, inputs: Mapping,
                   data_samples: Sequence[DataSample | None] | None = None) -> list[str]:
        """Each sample's modality: its data sample's ``modality``, else inferred."""
        batch_size = self._batch_size(inputs)
        if data_samples is not None and len(data_samples) != batch_size:
            raise ValueError(f'MultiModalClassifier: {len(data_samples)} data samples for a '
                             f'batch of {batch_size} inputs')
        result = []
        for index in range(batch_size):
            sample = data_samples[index] if data_samples is not None else None
            modality = sample.metainfo.get('modality') if sample is not None else None
            if modality is None:
                image = sample_has_image(inputs, index)
                text = sample_has_text(inputs, index)
                if not (image or text):
                    raise ValueError(f'MultiModalClassifier: sample {index} has neither an '
                                     'image nor a text (all-zero image, text_length 0)')
                modality = 'paired' if image and text else 'image' if image else 'text'
            elif modality not in MODALITY_GROUPS:
                raise ValueError(f'MultiModalClassifier: data sample {index} has modality='
                                 f'{modality!r}, not one of {MODALITY_GROUPS}')
            for key, needed in (('image', modality != 'text'), ('text', modality != 'image')):
                if needed and inputs.get(key) is None:
                    raise KeyError(f'MultiModalClassifier: sample {index} is {modality!r} but '
                                   f'the inputs have no {key!r}')
            result.append(modality)
        return result

    def backbone_by_modality(self, inputs: torch.Tensor | Mapping,
                             data_samples: Sequence[DataSample | None] | None = None
                             ) -> tuple[torch.Tensor, ...]:
        """The backbone's features of every sample, computed per modality group."""
        if isinstance(inputs, torch.Tensor):
            return self.backbone(inputs)  # images only: one group
        modalities = self.modalities(inputs, data_samples)
        groups = [(name, [i for i, m in enumerate(modalities) if m == name])
                  for name in MODALITY_GROUPS]
        groups = [(name, rows) for name, rows in groups if rows]
        if len(groups) == 1:
            return self.backbone(self._group_inputs(inputs, groups[0][0], None))
        order, outputs = [], []
        for name, rows in groups:
            index = torch.tensor(rows, dtype=torch.long)
            outputs.append(self.backbone(self._group_inputs(inputs, name, index)))
            order.extend(rows)
        # Back to batch order: position order[j] of the batch is row j of the concatenation.
        inverse = torch.empty(len(order), dtype=torch.long)
        inverse[torch.tensor(order, dtype=torch.long)] = torch.arange(len(order))
        return tuple(torch.cat(level, dim=0)[inverse.to(level[0].device)]
                     for level in zip(*outputs))

    @staticmethod
    def _group_inputs(inputs: Mapping, modality: str, rows: torch.Tensor | None) -> dict:
        """The keys of ``modality`` (rows ``rows`` of them; all rows when None)."""
        keys = (('image',) if modality != 'text' else ()) + (
            TEXT_KEYS if modality != 'image' else ())
        group = {}
        for key in keys:
            value = inputs.get(key)
            if value is not None:
                group[key] = value if rows is None else value[rows.to(value.device)]
        return group

    @staticmethod
    def _batch_size(inputs: Mapping) -> int:
        sizes = {len(value) for value in inputs.values() if value is not None}
        if len(sizes) != 1:
            shapes = {key: tuple(value.shape) for key, value in inputs.items()
                      if value is not None}
            raise ValueError(f'MultiModalClassifier: the inputs {shapes} do not have one '
                             'batch size')
        return sizes.pop()
