"""Pack image and/or caption samples into one input layout that a multimodal backbone reads.

A Perceiver IO reads raw UTF-8 bytes (no tokenizer, no vocabulary), so a caption travels
as a fixed-length byte tensor plus its length; the image travels as mmpretrain's usual
CHW tensor. ``inputs`` is a dict holding only the modalities the sample has, so that
``default_collate`` stacks each of them without placeholders.
"""
from __future__ import annotations

import torch
from mmpretrain.datasets.transforms import PackInputs
from mmpretrain.registry import TRANSFORMS

from .base import MODALITIES

TEXT_META_KEYS = ('modality', 'image_id', 'caption_index', 'text', 'domain_id')


def encode_text(text: str, max_bytes: int) -> tuple[torch.Tensor, torch.Tensor]:
    """UTF-8 bytes of ``text`` padded with 0 to ``max_bytes`` (uint8) and the kept length.

    Truncation keeps whole characters: a multi-byte character cut by ``max_bytes`` is
    dropped, so the kept bytes always decode.
    """
    kept = text.encode('utf-8')[:max_bytes].decode('utf-8', errors='ignore').encode('utf-8')
    buffer = torch.zeros(max_bytes, dtype=torch.uint8)
    buffer[:len(kept)] = torch.frombuffer(bytearray(kept), dtype=torch.uint8)
    return buffer, torch.tensor(len(kept), dtype=torch.int64)


def decode_text(data: torch.Tensor, length: torch.Tensor | int) -> str:
    """The caption back from :func:`encode_text`'s output (for checks and visualisation)."""
    return bytes(data[:int(length)].tolist()).decode('utf-8')


@TRANSFORMS.register_module()
class PackMultiModalInputs(PackInputs):
    """``PackInputs`` for image, text and paired samples.

    Output ``inputs`` (a dict, keys present only for the sample's modalities):

    * ``'image'``: uint8 ``[C, H, W]`` from ``results['img']`` (as ``PackInputs``);
    * ``'text'``: uint8 ``[max_bytes]``, the caption's UTF-8 bytes, zero-padded;
    * ``'text_length'``: int64 scalar, how many of those bytes are the caption.

    The data sample gets ``gt_label`` and the metainfo ``modality`` (``'image'``,
    ``'text'`` or ``'paired'``, from ``results['modality']`` or, when absent, from which
    of ``img``/``text`` are present), plus ``meta_keys`` (mmpretrain's defaults and
    ``image_id``, ``caption_index``, ``text``, ``domain_id``).
    """

    def __init__(self, max_bytes: int = 256,
                 meta_keys: tuple[str, ...] = PackInputs.DEFAULT_META_KEYS + TEXT_META_KEYS,
                 algorithm_keys: tuple[str, ...] = ()):
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
            raise ValueError(f'max_bytes must be an int >= 1, got {max_bytes!r}')
        super().__init__(input_key='img', algorithm_keys=algorithm_keys, meta_keys=meta_keys)
        self.max_bytes = max_bytes

    def transform(self, results: dict) -> dict:
        has_image, has_text = 'img' in results, 'text' in results
        inferred = 'paired' if has_image and has_text else 'image' if has_image else 'text'
        modality = results.get('modality', inferred)
        if modality not in MODALITIES:
            raise ValueError(f'PackMultiModalInputs: modality must be one of {MODALITIES}, '
                             f'got {modality!r}')
        for key, needed in (('img', modality != 'text'), ('text', modality != 'image')):
            if needed and key not in results:
                raise KeyError(f'PackMultiModalInputs: a {modality!r} sample needs {key!r} in '
                               'its results (images come from LoadImageFromFile)')
        packed = super().transform(results)
        inputs = {}
        if modality != 'text':
            inputs['image'] = packed['inputs']
        if modality != 'image':
            inputs['text'], inputs['text_length'] = encode_text(results['text'],
                                                                self.max_bytes)
        packed['inputs'] = inputs
        packed['data_samples'].set_metainfo(dict(modality=modality))
        return packed

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(max_bytes={self.max_bytes}, '
                f'algorithm_keys={self.algorithm_keys}, meta_keys={self.meta_keys})')
