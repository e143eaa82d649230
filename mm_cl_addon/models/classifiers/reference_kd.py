"""An mmpretrain ImageClassifier that also distils from a reference copy of itself."""
from __future__ import annotations

import torch
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import nn

from ...evaluation.rankme import rankme
from ..losses.distillation import kd_loss
from .reference_model import ReferenceModel


@MODELS.register_module()
class ReferenceKDClassifier(ImageClassifier):
    """Cross-entropy plus knowledge distillation from a reference model.

    Takes ``ImageClassifier``'s arguments (so a stock classifier config becomes this
    one by changing ``type``) plus the distillation settings. The reference is
    created, refreshed and updated by ``ReferenceModelHook``; until it exists the
    loss is plain cross-entropy. With a ``MaskedClsHead`` the distillation term is
    the head's masked loss instead of plain KD.

    Args:
        kd_weight: weight of the distillation term.
        temperature: softmax temperature of KD.
        scale_by_t2: multiply KD by T^2 (Hinton et al.), keeping its gradient scale.
        cls_only: the reference is the head alone, applied to the student's own
            features; its parameters are frozen but gradients flow through it into
            the student's backbone.
        store_features: put each sample's pooled feature in its predicted data
            sample under ``feats`` (for the ``RankMe`` metric).
        train_rankme: log the RankMe of each training batch's pooled features
            (``rankme`` in the training log), computed without gradients.
    """

    def __init__(self, backbone: dict, neck: dict | None = None, head: dict | None = None,
                 pretrained: str | None = None, train_cfg: dict | None = None,
                 data_preprocessor: dict | None = None, init_cfg: dict | None = None,
                 kd_weight: float = 1.0, temperature: float = 2.0, scale_by_t2: bool = True,
                 cls_only: bool = False, store_features: bool = False,
                 train_rankme: bool = False) -> None:
        super().__init__(backbone, neck=neck, head=head, pretrained=pretrained,
                         train_cfg=train_cfg, data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        if temperature <= 0:
            raise ValueError(f'ReferenceKDClassifier: temperature={temperature!r} must be > 0')
        self.kd_weight = kd_weight
        self.temperature = temperature
        self.scale_by_t2 = scale_by_t2
        self.cls_only = cls_only
        self.store_features = store_features
        self.train_rankme = train_rankme
        # A plain attribute, not a sub-module: see ReferenceModel.
        self.reference: ReferenceModel | None = None

    def reference_source(self) -> nn.Module:
        """What the reference copies: the head alone (``cls_only``) or the whole network."""
        parts = {'head': self.head} if self.cls_only else {
            'backbone': self.backbone, 'neck': self.neck or nn.Identity(), 'head': self.head}
        return nn.ModuleDict(parts)

    def reference_logits(self, inputs: torch.Tensor,
                         feats: tuple[torch.Tensor, ...]) -> torch.Tensor:
        reference = self.reference.module
        reference.eval()
        if self.cls_only:
            return reference['head'](feats)  # gradients reach the student's features
        with torch.no_grad():
            return reference['head'](reference['neck'](reference['backbone'](inputs)))

    def loss(self, inputs: torch.Tensor, data_samples: list[DataSample]) -> dict:
        feats = self.extract_feat(inputs)
        losses = self.head.loss(feats, data_samples)
        if self.train_rankme:
            losses['rankme'] = rankme(self.head.pre_logits(feats).detach()).float()
        if self.reference is None:
            return losses
        target = self.reference_logits(inputs, feats)
        if hasattr(self.head, 'masked_loss'):
            masked = self.head.masked_loss(feats, target, detach_reference=not self.cls_only)
            losses.update({key: self.kd_weight * value for key, value in masked.items()})
        else:
            losses['loss_kd'] = self.kd_weight * kd_loss(
                self.head(feats), target, self.temperature, scale_by_t2=self.scale_by_t2,
                detach_reference=not self.cls_only)
        return losses

    def predict(self, inputs: torch.Tensor,
                data_samples: list[DataSample] | None = None) -> list[DataSample]:
        feats = self.extract_feat(inputs)
        predictions = self.head.predict(feats, data_samples)
        if self.store_features:
            pooled = self.head.pre_logits(feats).detach().cpu()
            for sample, feature in zip(predictions, pooled):
                sample.set_field(feature, 'feats')
        return predictions
