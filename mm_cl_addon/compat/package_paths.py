"""``mm_cl_addon::`` config paths in an editable install, and for the tools.

mmengine 0.10.7 looks for an installed package's files in ``<distribution location>/<package>``.
An editable install (PEP 660, what ``pip install -e`` does today) keeps the distribution's
metadata in site-packages and the package in the source tree, so that guess names a folder that
does not exist and ``_base_ = ['mm_cl_addon::...']`` fails. Where the guess is missing, the
folder the import system loads the package from is used instead.

mmengine 0.10.7 resolves ``package::path`` only for the packages of its fixed list
(``MODULE2PACKAGE``), and only inside ``_base_`` lists; importing this package adds it to that
list (so a config must be read after ``import mm_cl_addon``, as the tools do), and
:func:`resolve_config_path` resolves such a path given to a tool.
"""
from __future__ import annotations

import functools
import importlib.util
import os
from collections.abc import Callable

from mmengine.config import config as mmengine_config
from mmengine.config.utils import MODULE2PACKAGE

PACKAGE = 'mm_cl_addon'

_PATCHED = '_mm_cl_addon_editable'


def _importable_path(original: Callable[[str], str]) -> Callable[[str], str]:
    @functools.wraps(original)
    def get_installed_path(package: str) -> str:
        path = original(package)
        if os.path.isdir(path):
            return path
        spec = importlib.util.find_spec(package.replace('-', '_'))
        if spec is not None and spec.origin is not None:
            return os.path.dirname(spec.origin)
        return path

    setattr(get_installed_path, _PATCHED, True)
    return get_installed_path


def resolve_config_path(path: str) -> str:
    """``path``, or for ``package::relative.py`` the file in the installed package's configs
    (``<package>/.mim/configs/relative.py``, as mmengine finds ``_base_`` entries)."""
    if '::' not in path:
        return path
    package, relative = path.split('::', 1)
    return os.path.join(mmengine_config.get_installed_path(package), '.mim', 'configs', relative)


def install() -> None:
    """Register the package for ``package::`` paths and patch the lookup; idempotent."""
    MODULE2PACKAGE.setdefault(PACKAGE, PACKAGE)
    if not getattr(mmengine_config.get_installed_path, _PATCHED, False):
        mmengine_config.get_installed_path = _importable_path(mmengine_config.get_installed_path)
