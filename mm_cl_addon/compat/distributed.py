"""Let mmengine's ``pytorch`` launcher and DDP wrapping run on machines without an accelerator.

mmengine 0.10.7 assumes CUDA there: ``_init_dist_pytorch`` calls ``torch.cuda.set_device`` and
``Runner.wrap_model`` passes ``device_ids=[LOCAL_RANK]``, which DDP rejects for CPU modules. Where
mmengine found an accelerator (CUDA, NPU, MLU, ...) the originals run unchanged.
"""
from __future__ import annotations

import atexit
import functools
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

import torch.distributed as torch_dist
from mmengine.device import get_device
from mmengine.dist import utils as dist_utils
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.registry import MODEL_WRAPPERS
from mmengine.runner import Runner
from torch import nn
from torch.nn.parallel import DistributedDataParallel

_PATCHED = '_mm_cl_addon_cpu_fallback'


def _without_accelerator() -> bool:
    """True where mmengine would run on the CPU (it picks the device once, at import)."""
    return get_device() == 'cpu'


def _patched_init_dist_pytorch(original: Callable[..., None]) -> Callable[..., None]:
    """``_init_dist_pytorch`` that uses gloo and skips ``set_device`` without an accelerator."""

    @functools.wraps(original)
    def init_dist_pytorch(backend: str, init_backend: str = 'torch', **kwargs: Any) -> None:
        if not _without_accelerator() or init_backend != 'torch':
            original(backend, init_backend=init_backend, **kwargs)
            return
        if backend == 'nccl':
            if os.environ.get('RANK') == '0':  # no process group yet to ask for the rank
                print_log("No accelerator found: using the 'gloo' backend instead of 'nccl'.",
                          logger='current')
            backend = 'gloo'
        torch_dist.init_process_group(backend=backend, **kwargs)
        atexit.register(_destroy_process_group)

    setattr(init_dist_pytorch, _PATCHED, True)
    return init_dist_pytorch


def _destroy_process_group() -> None:
    """Tear gloo down before interpreter exit.

    mmengine never destroys the process group; left to exit, gloo's worker threads are
    destroyed while still joinable and a rank can abort ("terminate called without an
    active exception") after training has finished.
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.barrier()  # no rank tears down while another still talks to it
        torch_dist.destroy_process_group()


def exit_after_distributed_run() -> None:
    """End a finished CPU distributed job without the interpreter's teardown; else return.

    Even after ``destroy_process_group`` a gloo rank can abort at interpreter
    exit ("terminate called without an active exception") while C++ objects
    that referenced the process group are destroyed, turning a finished job into
    a failed one. The tools call this once their work is done and written: the
    process group is torn down, logs and streams are flushed, and the process
    exits with status 0 without running the interpreter's finalisation.
    """
    if not (_without_accelerator() and torch_dist.is_available() and torch_dist.is_initialized()):
        return
    _destroy_process_group()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _cpu_wrapper_cfg(model_wrapper_cfg: dict | None, runner: Runner) -> dict:
    """The wrapper config mmengine would use, with ``device_ids=None`` for DDP wrappers.

    Config keys take precedence over mmengine's ``default_args``, so ``device_ids=None`` here
    replaces the ``[LOCAL_RANK]`` that ``wrap_model`` adds.
    """
    if model_wrapper_cfg is None:
        return dict(type='MMDistributedDataParallel', device_ids=None, broadcast_buffers=False,
                    find_unused_parameters=runner.cfg.get('find_unused_parameters', False))
    cfg = dict(model_wrapper_cfg)
    wrapper_cls = MODEL_WRAPPERS.get(cfg.get('type', 'MMDistributedDataParallel'))
    if wrapper_cls is not None and issubclass(wrapper_cls, DistributedDataParallel):
        cfg['device_ids'] = None
    return cfg


def _patched_wrap_model(original: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
    """``Runner.wrap_model`` that builds CPU DDP wrappers without an accelerator."""

    @functools.wraps(original)
    def wrap_model(self: Runner, model_wrapper_cfg: dict | None, model: nn.Module) -> nn.Module:
        if _without_accelerator() and self.distributed and not is_model_wrapper(model):
            model_wrapper_cfg = _cpu_wrapper_cfg(model_wrapper_cfg, self)
        return original(self, model_wrapper_cfg, model)

    setattr(wrap_model, _PATCHED, True)
    return wrap_model


def install() -> None:
    """Patch mmengine's distributed launch and model wrapping; idempotent."""
    if not getattr(dist_utils._init_dist_pytorch, _PATCHED, False):
        dist_utils._init_dist_pytorch = _patched_init_dist_pytorch(dist_utils._init_dist_pytorch)
    if not getattr(Runner.wrap_model, _PATCHED, False):
        Runner.wrap_model = _patched_wrap_model(Runner.wrap_model)
