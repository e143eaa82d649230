"""Atomic writes: a reader never sees a half-written artefact.

Every artefact is written to a temporary file in the target's folder and then
renamed into place (``os.replace`` is atomic on one file system), so an
interrupted job leaves either the old file or the new one, never a mix.
"""
from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Union

import torch

PathLike = Union[str, os.PathLike]
TEMPORARY_SUFFIX = '.tmp'


def _default_file_mode() -> int:
    """The mode ``open()`` would give a new file (mkstemp's are private: 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_FILE_MODE = _default_file_mode()


def temporary_name_of(name: str) -> bool:
    """Whether ``name`` is one of :func:`atomic_write`'s temporary files (left by a kill)."""
    return name.startswith('.') and name.endswith(TEMPORARY_SUFFIX)


@contextmanager
def atomic_write(path: PathLike, mode: str = 'w', encoding: str | None = 'utf-8'
                 ) -> Iterator[IO]:
    """Open a temporary file next to ``path``; rename it onto ``path`` on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    binary = 'b' in mode
    fd, tmp_name = tempfile.mkstemp(prefix=f'.{target.name}.', suffix=TEMPORARY_SUFFIX,
                                    dir=target.parent)
    try:
        os.fchmod(fd, _FILE_MODE)
        with os.fdopen(fd, mode, encoding=None if binary else encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException as error:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        if isinstance(error, OSError) and error.errno is not None:  # disk full, file too large
            raise OSError(error.errno, f'could not write {target} ({error.strerror}); nothing '
                                       'was written under that name') from error
        raise


def atomic_write_text(path: PathLike, text: str) -> None:
    with atomic_write(path, 'w') as handle:
        handle.write(text)


def atomic_write_json(path: PathLike, obj: Any, indent: int = 2) -> None:
    atomic_write_text(path, json.dumps(obj, indent=indent, sort_keys=False) + '\n')


def atomic_torch_save(path: PathLike, obj: Any) -> None:
    """``torch.save`` through a temporary file, so a checkpoint is whole or absent."""
    with atomic_write(path, 'wb') as handle:
        torch.save(obj, handle)
