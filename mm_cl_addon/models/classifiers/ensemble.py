"""An ensemble of independently trained classifiers whose predictions are averaged."""
from __future__ import annotations

import torch
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper, OptimWrapperDict
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS
from mmpretrain.models.classifiers import BaseClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from mmpretrain.utils import get_ori_model
from torch import nn


def member_name(index: int) -> str:
    """The key of member ``index`` in the optimizer wrapper dict and in the loss dict."""
    return f'member{index}'


@MODELS.register_module()
class EnsembleClassifier(BaseClassifier):
    """N classifiers trained side by side, each on its own loss, predicting by their mean.

    Each member is any classifier config (built and initialised separately, so
    members start from different weights) and is trained on its own loss
    (``member.loss``), never on the loss of the averaged prediction: the
    members stay independent, as in deep ensembles, instead of becoming one
    wide network. With ``optim_wrapper=dict(constructor='EnsembleOptimWrapperConstructor',
    ...)`` each member also has its own optimizer (state, clipping, learning
    rate); with a single optimizer the members' losses are summed, which gives
    each member the gradient of its own loss, since they share no parameters.
    The prediction is the mean of the members' class probabilities
    (``pred_score``); ``mode='tensor'`` returns that mean too.

    Args:
        members: one classifier config per member.
        data_preprocessor: applied once for all members (their own are unused).
        init_cfg: initialisation config of the ensemble.
    """

    def __init__(self, members: list[dict], data_preprocessor: dict | None = None,
                 init_cfg: dict | None = None) -> None:
        if not isinstance(members, (list, tuple)) or len(members) < 1:
            raise ValueError(f'EnsembleClassifier: members={members!r} must be a non-empty '
                             f'list of classifier configs')
        data_preprocessor = dict(data_preprocessor or {})
        data_preprocessor.setdefault('type', 'ClsDataPreprocessor')
        super().__init__(init_cfg=init_cfg, data_preprocessor=MODELS.build(data_preprocessor))
        self.members = nn.ModuleList(MODELS.build(member) for member in members)

    def forward(self, inputs: torch.Tensor, data_samples: list[DataSample] | None = None,
                mode: str = 'tensor'):
        if mode == 'tensor':
            return torch.stack([member(inputs, mode='tensor').softmax(-1)
                                for member in self.members]).mean(0)
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise RuntimeError(f'EnsembleClassifier: invalid mode {mode!r}')

    def extract_feat(self, inputs: torch.Tensor, stage: str = 'neck'):
        """Every member's features, one entry per member."""
        return [member.extract_feat(inputs, stage=stage) for member in self.members]

    def loss(self, inputs: torch.Tensor, data_samples: list[DataSample]) -> dict:
        """Every member's losses, keys prefixed ``member<i>.``; their sum trains each on its own."""
        return {f'{member_name(i)}.{key}': value for i, member in enumerate(self.members)
                for key, value in member.loss(inputs, data_samples).items()}

    def predict(self, inputs: torch.Tensor,
                data_samples: list[DataSample] | None = None) -> list[DataSample]:
        """Mean member probabilities as ``pred_score``, their argmax as ``pred_label``."""
        scores = torch.stack([torch.stack([sample.pred_score for sample in member.predict(inputs)])
                              for member in self.members]).mean(0)
        if data_samples is None:
            data_samples = [DataSample() for _ in range(len(scores))]
        for sample, score in zip(data_samples, scores):
            sample.set_pred_score(score).set_pred_label(score.argmax(-1, keepdim=True))
        return data_samples

    def train_step(self, data: dict, optim_wrapper: OptimWrapper | OptimWrapperDict) -> dict:
        """A step per member with its own wrapper, or one summed step with a single one."""
        if not isinstance(optim_wrapper, OptimWrapperDict):
            return super().train_step(data, optim_wrapper)
        data = self.data_preprocessor(data, True)
        log_vars = {}
        for i, member in enumerate(self.members):
            wrapper = optim_wrapper[member_name(i)]
            with wrapper.optim_context(member):
                losses = member.loss(data['inputs'], data['data_samples'])
            loss, member_vars = self.parse_losses(losses)
            wrapper.update_params(loss)
            log_vars.update({f'{member_name(i)}.{key}': value
                             for key, value in member_vars.items()})
        return log_vars


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class EnsembleOptimWrapperConstructor:
    """One optimizer wrapper per member of an :class:`EnsembleClassifier`, from one config.

    Builds the ``optim_wrapper`` config (and ``paramwise_cfg``) for each member
    with mmengine's default constructor and returns them as an
    ``OptimWrapperDict`` keyed ``member0``, ``member1``, ..., so that each
    member has its own optimizer state and learning-rate schedule.
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: dict | None = None) -> None:
        self.optim_wrapper_cfg = optim_wrapper_cfg
        self.paramwise_cfg = paramwise_cfg

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        model = get_ori_model(model)
        if not isinstance(model, EnsembleClassifier):
            raise TypeError('EnsembleOptimWrapperConstructor needs model type='
                            f"'EnsembleClassifier', got {type(model).__name__}")
        return OptimWrapperDict(**{
            member_name(i): DefaultOptimWrapperConstructor(
                self.optim_wrapper_cfg, self.paramwise_cfg)(member)
            for i, member in enumerate(model.members)})
