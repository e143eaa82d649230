"""Fixes to mmengine 0.10.7 on current torch, applied when ``mm_cl_addon`` is imported.

* Checkpoints: torch >= 2.6 loads with ``weights_only=True`` and mmengine passes no allow-list,
  so ``resume``/``load_from`` fail. mmengine's loaders now use an explicit allow-list instead of
  switching the check off, and name the file and its fault when it cannot be read
  (:mod:`.checkpoint`).
* Saving: every local write is atomic and checkpoint rotation deletes only after the new
  checkpoint is whole (:mod:`.atomic_saving`); ``--resume`` falls back to the newest whole
  checkpoint when ``last_checkpoint`` is damaged (:mod:`.resume`).
* Package configs: ``mm_cl_addon::`` config paths resolve in an editable install too
  (:mod:`.package_paths`).
* Distributed: mmengine's ``pytorch`` launcher and ``Runner.wrap_model`` assume CUDA; without an
  accelerator they now use gloo and CPU DDP (:mod:`.distributed`).
"""
from . import atomic_saving, checkpoint, distributed, package_paths, resume
from .checkpoint import (
    CheckpointFileError,
    UnsafeCheckpointError,
    load_checkpoint,
    register_allowed_globals,
)
from .distributed import exit_after_distributed_run


def apply() -> None:
    """Apply every fix; idempotent."""
    checkpoint.install()
    atomic_saving.install()
    resume.install()
    package_paths.install()
    distributed.install()


__all__ = ['CheckpointFileError', 'UnsafeCheckpointError', 'apply', 'exit_after_distributed_run',
           'load_checkpoint', 'register_allowed_globals']
