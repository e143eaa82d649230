"""``--resume`` that survives a damaged ``last_checkpoint`` and names the file it cannot use.

mmengine 0.10.7 resumes from whatever ``<work_dir>/last_checkpoint`` names: an empty file (left
by a kill while it was rewritten) gives ``Checkpoint file not found: ''``, a deleted or damaged
checkpoint a raw torch error. Here the named checkpoint is used when it is a whole file;
otherwise the newest whole checkpoint in the work dir is taken, and the log says so. Temporary
files that a killed save left behind are removed on the way. A checkpoint that loads but lacks
what resuming needs (``meta``, the loop's state, ...) is reported with its name.
"""
from __future__ import annotations

import functools
import logging
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

from mmengine.dist import is_main_process
from mmengine.logging import print_log
from mmengine.runner import Runner
from mmengine.runner import runner as runner_module

from ..utils.io import temporary_name_of
from .checkpoint import CheckpointFileError

POINTER = 'last_checkpoint'
CHECKPOINT_SUFFIX = '.pth'
_PATCHED = '_mm_cl_addon_resume'


def is_whole_checkpoint(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a complete torch zip archive whose members pass their CRC check."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.testzip() is None
    except (OSError, zipfile.BadZipFile, EOFError):
        return False


def _read_pointer(work_dir: Path) -> str:
    try:
        return (work_dir / POINTER).read_text(encoding='utf-8').strip()
    except (OSError, UnicodeDecodeError):
        return ''


def remove_partial_files(work_dir: str | os.PathLike) -> list[Path]:
    """Delete the temporary files that killed atomic writes left in ``work_dir`` (rank 0)."""
    folder = Path(work_dir)
    if not is_main_process() or not folder.is_dir():
        return []
    partial = [path for path in folder.iterdir() if temporary_name_of(path.name)]
    for path in partial:
        path.unlink(missing_ok=True)
    return partial


def find_resumable_checkpoint(work_dir: str | os.PathLike) -> str | None:
    """The checkpoint ``last_checkpoint`` names if it is whole, else the newest whole one."""
    folder = Path(work_dir)
    for path in remove_partial_files(folder):
        print_log(f'Removed {path}, a partial file left by an interrupted save.',
                  logger='current', level=logging.WARNING)
    named = _read_pointer(folder)
    if named and is_whole_checkpoint(named):
        return named
    candidates = sorted(folder.glob(f'*{CHECKPOINT_SUFFIX}'), key=lambda p: p.stat().st_mtime,
                        reverse=True)
    fallback = next((str(path) for path in candidates if is_whole_checkpoint(path)), None)
    if fallback is None:
        if named or candidates:
            print_log(f'No whole checkpoint to resume from in {folder} ({POINTER} names '
                      f'{named or "nothing"!r}); training starts from scratch.',
                      logger='current', level=logging.WARNING)
        return None
    reason = (f'{POINTER} is missing or empty' if not named
              else f'{POINTER} names {named}, which is missing or incomplete')
    print_log(f'{reason}; resuming from the newest whole checkpoint, {fallback}.',
              logger='current', level=logging.WARNING)
    return fallback


def _named_resume(original: Callable[..., None]) -> Callable[..., None]:
    """``Runner.resume`` whose content errors name the checkpoint."""

    @functools.wraps(original)
    def resume(self: Runner, filename: str, *args, **kwargs) -> None:
        try:
            original(self, filename, *args, **kwargs)
        except (KeyError, TypeError, AttributeError, IndexError) as error:
            raise CheckpointFileError(
                filename, f'cannot be resumed from: it lacks what this run needs '
                          f'({type(error).__name__}: {error}); was it written by another '
                          'config or by a tool other than tools/train.py?') from error

    setattr(resume, _PATCHED, True)
    return resume


def install() -> None:
    """Patch mmengine's latest-checkpoint lookup and ``Runner.resume``; idempotent."""
    runner_module.find_latest_checkpoint = find_resumable_checkpoint
    if not getattr(Runner.resume, _PATCHED, False):
        Runner.resume = _named_resume(Runner.resume)
