"""Elastic weight consolidation's state: anchors, importances and the quadratic penalty."""
from __future__ import annotations

from collections.abc import Mapping

import torch

EWC_MODES = ('separate', 'online')


class EWCState:
    """Per-task anchors ``theta*`` and importances ``F``, and ``lambda/2 sum F (theta - theta*)^2``.

    ``separate`` (Kirkpatrick et al., 2017) keeps one anchor and Fisher per finished task and
    sums their penalties. ``online`` (Schwarz et al., 2018, "online EWC") keeps one: the anchor
    is the latest parameters and the importance ``gamma * F_old + F_new``.
    """

    def __init__(self, mode: str = 'separate', decay: float = 1.0) -> None:
        if mode not in EWC_MODES:
            raise ValueError(f'EWC: mode={mode!r} must be one of {EWC_MODES}')
        if not 0 < decay <= 1:
            raise ValueError(f'EWC: decay={decay!r} must be in (0, 1]')
        self.mode = mode
        self.decay = decay
        self.anchors: list[dict[str, torch.Tensor]] = []
        self.importances: list[dict[str, torch.Tensor]] = []

    def consolidate(self, params: Mapping[str, torch.Tensor],
                    fisher: Mapping[str, torch.Tensor]) -> None:
        """Record a finished task: its final parameters and their Fisher information."""
        anchor = {name: params[name].detach().clone() for name in fisher}
        importance = {name: value.detach().clone() for name, value in fisher.items()}
        if self.mode == 'online' and self.importances:
            previous = self.importances[0]
            importance = {name: value + self.decay * previous[name]
                          if name in previous else value for name, value in importance.items()}
            self.anchors, self.importances = [], []
        self.anchors.append(anchor)
        self.importances.append(importance)

    def penalty(self, params: Mapping[str, torch.Tensor]) -> torch.Tensor | None:
        """``sum_k sum_p F_k,p (theta_p - theta*_k,p)^2`` (without lambda/2); None before any
        task has been consolidated."""
        if not self.anchors:
            return None
        terms = [(importance[name] * (params[name] - anchor[name]) ** 2).sum()
                 for anchor, importance in zip(self.anchors, self.importances)
                 for name in importance]
        return torch.stack(terms).sum()

    def state_dict(self) -> dict:
        return dict(mode=self.mode, decay=self.decay, anchors=self.anchors,
                    importances=self.importances)

    def load_state_dict(self, state: Mapping) -> None:
        if state['mode'] != self.mode:
            raise ValueError(f"EWC: the checkpoint's mode {state['mode']!r} differs from "
                             f'mode={self.mode!r}')
        self.anchors = [dict(anchor) for anchor in state['anchors']]
        self.importances = [dict(importance) for importance in state['importances']]
