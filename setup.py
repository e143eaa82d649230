"""Installs mm_cl_addon; requirements come from requirements/*.txt.

Like mmpretrain, the package carries its configs and tools under ``mm_cl_addon/.mim``, so that
``mm_cl_addon::<path>`` config paths resolve from an installed wheel: a wheel build copies them
in, an editable install links them.
"""
import importlib.util
import os
import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
MIM_CONTENT = ('configs', 'tools', 'model-index.yml')
MMCV_LITE = 'mmcv-lite>=2.0,<2.3'
MMCV_FULL = 'mmcv>=2.0,<2.3'


def read_requirements(name: str) -> list[str]:
    """Return the requirement lines of ``requirements/<name>.txt``."""
    lines = (HERE / 'requirements' / f'{name}.txt').read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith('#')]


def read_version() -> str:
    namespace: dict = {}
    exec((HERE / 'mm_cl_addon' / 'version.py').read_text(), namespace)
    return namespace['__version__']


def mmcv_requirement() -> str:
    """mmcv-lite (pure Python: everything this package uses), unless a full mmcv with compiled
    ops is already importable. Both install the ``mmcv`` module, so adding the lite one would
    overwrite a full one; an isolated build cannot see it, hence ``--no-build-isolation``."""
    has_ops = importlib.util.find_spec('mmcv') is not None and (
        importlib.util.find_spec('mmcv._ext') is not None)
    return MMCV_FULL if has_ops else MMCV_LITE


class BuildWithMimFiles(build_py):
    """``build_py`` that ships configs/ and tools/ inside the package (``.mim``)."""

    def run(self) -> None:
        super().run()
        if getattr(self, 'editable_mode', False):
            self._link(HERE / 'mm_cl_addon' / '.mim')
        else:
            self._copy(Path(self.build_lib) / 'mm_cl_addon' / '.mim')

    @staticmethod
    def _link(mim: Path) -> None:
        mim.mkdir(exist_ok=True)
        for name in MIM_CONTENT:
            source, link = HERE / name, mim / name
            if source.exists() and not link.is_symlink():
                link.symlink_to(os.path.relpath(source, mim))

    @staticmethod
    def _copy(mim: Path) -> None:
        for name in MIM_CONTENT:
            source, target = HERE / name, mim / name
            if source.is_dir():
                shutil.copytree(source, target, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
            elif source.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)


optional = read_requirements('optional')
tests = read_requirements('tests')
setup(
    name='mm_cl_addon',
    version=read_version(),
    description='Continual learning and model reuse for OpenMMLab (mmengine + mmpretrain)',
    long_description=(HERE / 'README.md').read_text(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['mm_cl_addon', 'mm_cl_addon.*']),
    python_requires='>=3.9',
    install_requires=[*read_requirements('runtime'), mmcv_requirement()],
    extras_require={'tests': tests, 'optional': optional, 'all': optional + tests},
    cmdclass={'build_py': BuildWithMimFiles},
    zip_safe=False,
)
