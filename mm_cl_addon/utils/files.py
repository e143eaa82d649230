"""Reading user-supplied files safely, with errors that name the file and the fault.

Every reader here is safe by construction: JSON, YAML through ``yaml.safe_load`` (no tag that
builds a Python object), ``.npy``/``.npz`` with ``allow_pickle=False`` and safetensors. Nothing
is ever unpickled, so a crafted file is refused before any of its content can run. Each failure
is one :class:`InputFileError` (a ``ValueError``) whose message says which file, what kind of
file it should have been, and what is wrong with it (missing, empty, truncated, wrong format,
unexpected content).
"""
from __future__ import annotations

import csv
import json
import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Union

import numpy as np

PathLike = Union[str, os.PathLike]
STRUCTURED_SUFFIXES = ('.json', '.yaml', '.yml')
NPY_MAGIC = b'\x93NUMPY'
ZIP_MAGIC = b'PK\x03\x04'


class InputFileError(ValueError):
    """A file given to the package cannot be used: it says which file and why."""

    def __init__(self, path: PathLike, what: str, fault: str) -> None:
        super().__init__(path, what, fault)
        self.path = os.fspath(path)
        self.what = what
        self.fault = fault

    def __str__(self) -> str:
        return f'{self.what} {self.path}: {self.fault}'


def require_file(path: PathLike, what: str, hint: str = '') -> Path:
    """``path`` as a Path if it is an existing, non-empty file; else a named error.

    ``hint`` (e.g. "write it with tools/...") is added to the missing-file message.
    """
    file = Path(os.path.expanduser(os.fspath(path)))
    if not file.exists():
        raise FileNotFoundError(f'{what} {file} does not exist' + (f'; {hint}' if hint else ''))
    if not file.is_file():
        raise InputFileError(file, what, 'is a folder or special file, not a regular file')
    if file.stat().st_size == 0:
        raise InputFileError(file, what, 'is empty (0 bytes)')
    return file


def read_text(path: PathLike, what: str, hint: str = '') -> str:
    """The file's UTF-8 text."""
    file = require_file(path, what, hint)
    try:
        return file.read_text(encoding='utf-8')
    except UnicodeDecodeError as error:
        raise InputFileError(file, what, f'is not UTF-8 text (byte {error.start} is '
                                         f'{error.object[error.start:error.start + 1]!r})'
                             ) from error


def _expect(data: Any, expected: type | tuple[type, ...] | None, file: Path, what: str) -> Any:
    if expected is not None and not isinstance(data, expected):
        names = (expected,) if isinstance(expected, type) else expected
        wanted = ' or '.join(_kind(cls) for cls in names)
        raise InputFileError(file, what, f'expected {wanted} at the top level, got '
                                         f'{_kind(type(data))}')
    return data


def _kind(cls: type) -> str:
    return {dict: 'a mapping', list: 'a list', str: 'a string'}.get(cls, cls.__name__)


def read_json(path: PathLike, what: str, expected: type | tuple[type, ...] | None = None,
              hint: str = '') -> Any:
    """The JSON value of the file, optionally checked to be of type ``expected``."""
    file = require_file(path, what, hint)
    text = read_text(file, what)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputFileError(file, what, f'is not valid JSON (line {error.lineno}, column '
                                         f'{error.colno}: {error.msg}); truncated or not JSON?'
                             ) from error
    return _expect(data, expected, file, what)


def read_jsonl(path: PathLike, what: str, hint: str = '') -> list[dict]:
    """One JSON object per non-blank line."""
    file = require_file(path, what, hint)
    records = []
    for number, line in enumerate(read_text(file, what).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputFileError(file, what, f'line {number} is not valid JSON ({error.msg}); '
                                             'truncated?') from error
        if not isinstance(record, dict):
            raise InputFileError(file, what, f'line {number} is {_kind(type(record))}, '
                                             'expected a JSON object')
        records.append(record)
    return records


def read_yaml(path: PathLike, what: str, expected: type | tuple[type, ...] | None = None,
              hint: str = '') -> Any:
    """Plain YAML (mappings, lists, strings, numbers) through ``yaml.safe_load``.

    Tags that construct Python objects (``!!python/object/apply:...``) are refused before
    anything is built.
    """
    import yaml  # PyYAML comes with mmengine

    file = require_file(path, what, hint)
    text = read_text(file, what)
    try:
        data = yaml.safe_load(text)
    except yaml.constructor.ConstructorError as error:
        raise InputFileError(file, what, f'refused: {_yaml_problem(error)}; only plain YAML '
                                         '(mappings, lists, strings, numbers) is read, never '
                                         'tags that build Python objects') from error
    except yaml.YAMLError as error:
        raise InputFileError(file, what, f'is not valid YAML ({_yaml_problem(error)}); '
                                         'truncated or not YAML?') from error
    return _expect(data, expected, file, what)


def _yaml_problem(error: Exception) -> str:
    problem = getattr(error, 'problem', None) or str(error).splitlines()[0]
    mark = getattr(error, 'problem_mark', None)
    return f'{problem} at line {mark.line + 1}' if mark is not None else problem


def read_structured(path: PathLike, what: str, expected: type | tuple[type, ...] | None = None,
                    hint: str = '') -> Any:
    """A ``.json``, ``.yaml`` or ``.yml`` file by its suffix; any other suffix is refused
    (pickle files, which ``mmengine.load`` would read, can run code)."""
    suffix = Path(os.fspath(path)).suffix.lower()
    if suffix not in STRUCTURED_SUFFIXES:
        raise InputFileError(path, what, f'suffix {suffix or "(none)"!r} is not one of '
                                         f'{STRUCTURED_SUFFIXES}; pickle and other formats that '
                                         'can run code are not read')
    reader = read_json if suffix == '.json' else read_yaml
    return reader(path, what, expected, hint)


def read_csv_rows(path: PathLike, what: str, hint: str = '') -> list[dict[str, str]]:
    """The rows of a CSV file with a header line, as dicts."""
    file = require_file(path, what, hint)
    text = read_text(file, what)
    try:
        return list(csv.DictReader(text.splitlines()))
    except csv.Error as error:
        raise InputFileError(file, what, f'is not valid CSV ({error})') from error


def _require_magic(file: Path, what: str, magic: bytes, kind: str) -> None:
    """Refuse a file that does not start as ``kind`` does (numpy would try it as a pickle)."""
    with open(file, 'rb') as handle:
        head = handle.read(len(magic))
    if head != magic:
        raise InputFileError(file, what, f'is not {kind} (it starts with {head!r})')


def _numpy_fault(error: Exception, kind: str) -> str:
    if 'pickle' in str(error):  # an object array: numpy would unpickle it
        return 'refused: it holds Python objects (a pickle); only numeric arrays are read'
    return f'is not a readable {kind} ({error}); truncated?'


def read_npy(path: PathLike, what: str, hint: str = '') -> np.ndarray:
    """One ``.npy`` array; object arrays (pickles) are refused."""
    file = require_file(path, what, hint)
    _require_magic(file, what, NPY_MAGIC, 'a .npy array')
    try:
        return np.load(file, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise InputFileError(file, what, _numpy_fault(error, '.npy array')) from error


def read_npz(path: PathLike, what: str, hint: str = '') -> dict[str, np.ndarray]:
    """Every array of a ``.npz`` archive; object arrays (pickles) are refused."""
    file = require_file(path, what, hint)
    _require_magic(file, what, ZIP_MAGIC, 'a .npz archive')
    try:
        with np.load(file, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise InputFileError(file, what, _numpy_fault(error, '.npz archive')) from error


@contextmanager
def open_safetensors(path: PathLike, what: str, hint: str = '') -> Iterator[Any]:
    """A safetensors file opened for reading tensors and metadata."""
    from safetensors import SafetensorError, safe_open

    file = require_file(path, what, hint)
    try:
        opened = safe_open(os.fspath(file), framework='pt')
    except (SafetensorError, OSError) as error:
        raise InputFileError(file, what, f'is not a readable safetensors file ({error}); '
                                         'truncated?') from error
    with opened:
        try:
            yield opened
        except SafetensorError as error:
            raise InputFileError(file, what, f'is damaged ({error})') from error
