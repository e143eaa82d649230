"""Captioned image data sets for multimodal continual learning (MM-Pick-a-back).

CUB-200-2011, Oxford-102 Flowers and MSCOCO 2017 read from their on-disk formats, each as
image, text or paired samples; ``PackMultiModalInputs`` and ``MultiModalClsDataPreprocessor``
carry the captions to the model. See ``docs/caption_datasets.md``.
"""
from .base import CaptionedImageDataset, ImageRecord
from .coco import COCOCaptions
from .cub import CUBCaptions
from .oxford102 import Oxford102Captions
from .pack import PackMultiModalInputs, decode_text, encode_text
from .preprocessor import MultiModalClsDataPreprocessor

__all__ = ['COCOCaptions', 'CUBCaptions', 'CaptionedImageDataset', 'ImageRecord',
           'MultiModalClsDataPreprocessor', 'Oxford102Captions', 'PackMultiModalInputs',
           'decode_text', 'encode_text']
