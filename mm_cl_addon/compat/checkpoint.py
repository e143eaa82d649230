"""Load mmengine checkpoints with torch's weights-only unpickler and an explicit allow-list.

torch >= 2.6 makes ``torch.load`` default to ``weights_only=True``, and mmengine 0.10.7's loaders
pass no allow-list, so ``resume``/``load_from`` fail on the globals mmengine writes itself
(``HistoryBuffer`` and numpy objects in ``message_hub``). Turning ``weights_only`` off would let a
checkpoint run arbitrary code, so we allow exactly the globals those checkpoints hold.
"""
from __future__ import annotations

import contextlib
import errno
import functools
import importlib
import os
import pickle
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader
from mmengine.runner import checkpoint as mmengine_checkpoint

from ..utils.files import ZIP_MAGIC, InputFileError

# numpy 2 renamed numpy.core to numpy._core; pickles name whichever module wrote them.
_MULTIARRAY_NAMES = ('numpy.core.multiarray', 'numpy._core.multiarray')
_HISTORY_BUFFER_METHODS = frozenset({'min', 'max', 'current', 'mean'})
_GUARDED = '_mm_cl_addon_guarded'
_LOCK = threading.RLock()


def _multiarray() -> Any:
    """The multiarray module of the installed numpy, under either name."""
    try:
        return importlib.import_module('numpy._core.multiarray')
    except ImportError:  # older numpy 1.x: only numpy.core
        return importlib.import_module('numpy.core.multiarray')


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """Stand-in for ``builtins.getattr``, limited to what HistoryBuffer pickles.

    ``HistoryBuffer.__getstate__`` stores its statistics methods, which pickle protocol 2 writes as
    ``getattr(HistoryBuffer, 'min')``. Allowing the real ``getattr`` would let a checkpoint reach
    any attribute of any allowed object (``__globals__``, ...), so only those lookups pass.
    """
    if obj is HistoryBuffer and name in _HISTORY_BUFFER_METHODS:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'GLOBAL builtins.getattr is only allowed for HistoryBuffer statistics methods, '
        f'not for {obj!r}.{name}')


def _numpy_globals() -> list[Any]:
    """numpy arrays, scalars and dtypes as they appear in ``message_hub`` state."""
    multiarray = _multiarray()
    entries: list[Any] = [
        (getattr(multiarray, func), f'{module}.{func}')
        for func in ('_reconstruct', 'scalar') for module in _MULTIARRAY_NAMES
    ]
    entries += [(np.ndarray, 'numpy.ndarray'), (np.dtype, 'numpy.dtype')]
    # A pickled dtype is rebuilt as numpy.dtype(...) and then BUILD, which checks the instance's
    # own class (numpy.dtypes.Float64DType, ...): never named in the file, yet it must be allowed.
    # Object arrays are left out: they are the one numpy payload holding arbitrary objects.
    dtype_classes = {type(np.dtype(code)) for code in np.typecodes['All'] if code != 'O'}
    entries += sorted(dtype_classes, key=lambda cls: cls.__name__)
    return entries


_ALLOW_LIST: list[Any] = [
    HistoryBuffer,
    (_history_buffer_getattr, 'builtins.getattr'),
    *_numpy_globals(),
]


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint needs a global outside the allow-list, so it was not loaded."""

    def __init__(self, filename: str, global_name: str) -> None:
        # Both fields live in ``args`` so the error survives pickling between processes.
        super().__init__(filename, global_name)
        self.filename = filename
        self.global_name = global_name

    def __str__(self) -> str:
        return (f'Refused to load checkpoint {self.filename}: it needs {self.global_name}, '
                'which is not on the allow-list of mm_cl_addon.compat; nothing it names outside '
                'that list was executed. If you trust the file and the global is harmless, allow '
                'it with mm_cl_addon.compat.register_allowed_globals().')


def register_allowed_globals(*objs: Any) -> None:
    """Allow more globals in every checkpoint loaded through mmengine.

    For parts of this package (or users) that store their own types in checkpoints, e.g. a
    dataclass a hook returns from ``state_dict``. Each item is an object or, as for
    ``torch.serialization.add_safe_globals``, an ``(obj, 'module.qualname')`` pair that matches
    a name the file was written under (a class that has since moved).
    """
    for obj in objs:
        if isinstance(obj, tuple) and not (len(obj) == 2 and isinstance(obj[1], str)):
            raise TypeError(f"expected an object or (obj, 'module.qualname'), got {obj!r}")
        if obj not in _ALLOW_LIST:
            _ALLOW_LIST.append(obj)


@contextlib.contextmanager
def _allow_listed() -> Iterator[None]:
    """Enable the allow-list for one load, so torch.load elsewhere keeps torch's defaults.

    ``safe_globals`` removes on exit everything it added, even entries someone had registered
    globally before, so only the missing ones are added. The lock keeps one thread's exit from
    pulling the list from under another thread's load.
    """
    with _LOCK:
        present = set(torch.serialization.get_safe_globals())
        with torch.serialization.safe_globals([g for g in _ALLOW_LIST if g not in present]):
            yield


_REFUSAL_PATTERNS = (r'GLOBAL (\S+)', r'reduce for unrecognized function (.+?)(?: which |$)',
                     r'but got (<class .+?>)')


def _is_refused_global(message: str) -> bool:
    """Whether torch refused a global (as opposed to bytes that are not a pickle at all)."""
    return any(re.search(pattern, message, flags=re.MULTILINE) for pattern in _REFUSAL_PATTERNS)


def _refused_global(message: str) -> str:
    """Name the global in torch's refusal (unknown, blocked module, or unknown reduce)."""
    for pattern in _REFUSAL_PATTERNS:
        match = re.search(pattern, message, flags=re.MULTILINE)
        if match:
            return match.group(1)
    return 'an object outside the allow-list'


class CheckpointFileError(InputFileError):
    """A checkpoint that cannot be read: empty, truncated, not a checkpoint, wrong content."""

    def __init__(self, path: str | os.PathLike, fault: str) -> None:
        super().__init__(path, 'checkpoint', fault)


def _unreadable(path: str, error: BaseException) -> str:
    """What is wrong with a file that torch could not read, in the user's terms."""
    size = os.path.getsize(path)
    if size == 0:
        return 'is empty (0 bytes)'
    with open(path, 'rb') as handle:
        head = handle.read(4)
    if head == ZIP_MAGIC:  # torch's format since 1.6 is a zip archive
        detail = str(error).split('.')[0].strip()
        return f'is truncated or damaged ({size} bytes; {detail})'
    return ('is not a PyTorch checkpoint (torch.save writes a zip archive; this file starts '
            f'with {head!r})')


def load_checkpoint(filename: str | os.PathLike, map_location: Any = 'cpu') -> Any:
    """Load a checkpoint with ``weights_only=True`` and the allow-list of this module.

    Raises:
        FileNotFoundError: ``filename`` is not a file.
        UnsafeCheckpointError: the file needs a global that is not allowed.
        CheckpointFileError: the file is empty, truncated, not a checkpoint, or holds something
            other than a mapping (a checkpoint or a state dict).
    """
    path = os.path.expanduser(os.fspath(filename))
    if not os.path.isfile(path):
        raise FileNotFoundError(errno.ENOENT, 'Checkpoint file not found', path)
    with _allow_listed():
        try:
            content = torch.load(path, map_location=map_location, weights_only=True)
        except pickle.UnpicklingError as err:
            if _is_refused_global(str(err)):
                raise UnsafeCheckpointError(path, _refused_global(str(err))) from err
            raise CheckpointFileError(path, _unreadable(path, err)) from err
        except (RuntimeError, EOFError, OSError, KeyError, ValueError, IndexError) as err:
            raise CheckpointFileError(path, _unreadable(path, err)) from err
    if not isinstance(content, Mapping):
        raise CheckpointFileError(path, f'unexpected content: {type(content).__name__} at the '
                                        "top level, expected a mapping (a checkpoint with "
                                        "'state_dict', or a state dict)")
    return content


def load_from_local(filename: str, map_location: Any = None) -> Any:
    """mmengine's loader for plain paths; mmengine logs the name after ``load_from_``."""
    return load_checkpoint(filename, map_location)


def _guarded(loader: Callable[[str, Any], Any]) -> Callable[[str, Any], Any]:
    """Run one of mmengine's remote loaders (http, openmmlab://, ...) with the allow-list."""

    @functools.wraps(loader)
    def guarded(filename: str, map_location: Any = None) -> Any:
        with _allow_listed():
            try:
                return loader(filename, map_location)
            except pickle.UnpicklingError as err:
                raise UnsafeCheckpointError(filename, _refused_global(str(err))) from err

    setattr(guarded, _GUARDED, True)
    return guarded


def install() -> None:
    """Route every mmengine checkpoint scheme through the allow-list; idempotent."""
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local, force=True)
    mmengine_checkpoint.load_from_local = load_from_local
    for prefix, loader in list(CheckpointLoader._schemes.items()):
        if prefix and not getattr(loader, _GUARDED, False):
            CheckpointLoader.register_scheme(prefixes=prefix, loader=_guarded(loader), force=True)
