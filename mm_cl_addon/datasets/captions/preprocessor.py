"""The data preprocessor that turns collated multimodal batches into model inputs.

It sits beside :class:`~.pack.PackMultiModalInputs` because the two define one batch
layout together; mmpretrain's ``ClsDataPreprocessor`` only knows image tensors.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from mmpretrain.models.utils import ClsDataPreprocessor
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from mmpretrain.structures.utils import cat_batch_labels, tensor_split

TEXT_KEYS = ('text', 'text_length')


@MODELS.register_module()
class MultiModalClsDataPreprocessor(ClsDataPreprocessor):
    """``ClsDataPreprocessor`` for the dict inputs of ``PackMultiModalInputs``.

    Returns ``{'inputs': dict, 'data_samples': list}``, the dict holding, for a batch of B:

    * ``'image'``: float ``[B, C, H, W]``, converted and normalised exactly as
      ``ClsDataPreprocessor`` does (``mean``, ``std``, ``to_rgb``, padding; with
      ``pseudo_collate`` images of different sizes are padded to the largest);
    * ``'text'``: uint8 ``[B, max_bytes]`` and ``'text_length'``: int64 ``[B]``, moved
      to the device unchanged (a backbone masks bytes at positions >= ``text_length``).

    ``default_collate`` and ``pseudo_collate`` both give ``inputs`` as a dict (of stacked
    tensors, or of per-sample lists) keyed by the first sample's modalities, so one batch
    must hold one modality. Labels are stacked and moved as ``ClsDataPreprocessor`` does.
    Batch augmentations (Mixup, CutMix) mix images only, so they are refused for batches
    that hold text.
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        inputs = data['inputs']
        if not isinstance(inputs, Mapping) or not {'image', 'text'} & set(inputs):
            raise KeyError("MultiModalClsDataPreprocessor: inputs must be a dict with 'image' "
                           f"and/or 'text' (from PackMultiModalInputs), got {type(inputs)}")
        has_text = 'text' in inputs
        if has_text and training and self.batch_augments is not None:
            raise ValueError('MultiModalClsDataPreprocessor: batch_augments mix images only '
                             'and cannot be used with text batches')
        samples = data.get('data_samples')
        batch = {}
        if 'image' in inputs:
            processed = super().forward(dict(inputs=inputs['image'], data_samples=samples),
                                        training)
            batch['image'], samples = processed['inputs'], processed['data_samples']
        else:
            samples = self._labels_to_device(samples)
        if has_text:
            for key in TEXT_KEYS:
                value = inputs[key]
                batch[key] = self.cast_data(value if isinstance(value, torch.Tensor)
                                            else torch.stack(value))
        return {'inputs': batch, 'data_samples': samples}

    def _labels_to_device(self, samples: Sequence[DataSample] | None
                          ) -> Sequence[DataSample] | None:
        """What ``ClsDataPreprocessor`` does to ``gt_label`` when there is no image."""
        if samples and isinstance(samples[0], DataSample) and 'gt_label' in samples[0]:
            labels, indices = cat_batch_labels([sample.gt_label for sample in samples])
            for sample, label in zip(samples, tensor_split(labels.to(self.device), indices)):
                sample.set_gt_label(label)
        return samples
