"""TensorBoard event files when TensorBoard is installed, and no failure when it is not."""
from __future__ import annotations

import importlib.util
import logging

from mmengine.logging import print_log
from mmengine.visualization import TensorboardVisBackend
from mmpretrain.registry import VISBACKENDS


class _NoWriter:
    """Stands in for ``SummaryWriter``: every call is accepted and does nothing."""

    def __getattr__(self, name: str):
        return lambda *args, **kwargs: None


@VISBACKENDS.register_module()
class OptionalTensorboardVisBackend(TensorboardVisBackend):
    """mmengine's ``TensorboardVisBackend``, skipped with one warning without TensorBoard.

    The package's runtime config lists it, so a plain ``pip install mm_cl_addon`` trains the
    shipped configs (mmengine's backend raises ``ImportError`` at the first scalar), and
    ``pip install tensorboard`` adds the event files without touching a config.

    Examples:
        >>> vis_backends = [dict(type='LocalVisBackend'),
        ...                 dict(type='OptionalTensorboardVisBackend')]
    """

    def _init_env(self) -> None:
        if importlib.util.find_spec('tensorboard') is not None:
            super()._init_env()
            return
        print_log('TensorBoard is not installed: no event files are written '
                  '(pip install tensorboard to add them).', logger='current',
                  level=logging.WARNING)
        self._tensorboard = _NoWriter()
