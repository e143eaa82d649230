"""Visualizer backends (registered in mmpretrain's VISBACKENDS)."""
from .optional_tensorboard import OptionalTensorboardVisBackend

__all__ = ['OptionalTensorboardVisBackend']
