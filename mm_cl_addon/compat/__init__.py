"""Fixes to mmengine 0.10.7 on current torch, applied when ``mm_cl_addon`` is imported.

* Checkpoints: torch >= 2.6 loads with ``weights_only=True`` and mmengine passes no allow-list,
  so ``resume``/``load_from`` fail. mmengine's loaders now use an explicit allow-list instead of
  switching the check off (:mod:`.checkpoint`).
* Distributed: mmengine's ``pytorch`` launcher and ``Runner.wrap_model`` assume CUDA; without an
  accelerator they now use gloo and CPU DDP (:mod:`.distributed`).
"""
from . import checkpoint, distributed
from .checkpoint import UnsafeCheckpointError, load_checkpoint, register_allowed_globals
from .distributed import exit_after_distributed_run


def apply() -> None:
    """Apply every fix; idempotent."""
    checkpoint.install()
    distributed.install()


__all__ = ['UnsafeCheckpointError', 'apply', 'exit_after_distributed_run', 'load_checkpoint',
           'register_allowed_globals']
