"""Installs mm_cl_addon; requirements come from requirements/*.txt."""
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).resolve().parent


def read_requirements(name: str) -> list[str]:
    """Return the requirement lines of ``requirements/<name>.txt``."""
    lines = (HERE / 'requirements' / f'{name}.txt').read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith('#')]


def read_version() -> str:
    namespace: dict = {}
    exec((HERE / 'mm_cl_addon' / 'version.py').read_text(), namespace)
    return namespace['__version__']


setup(
    name='mm_cl_addon',
    version=read_version(),
    description='Continual learning and model reuse for OpenMMLab (mmengine + mmpretrain)',
    long_description=(HERE / 'README.md').read_text(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['mm_cl_addon', 'mm_cl_addon.*']),
    python_requires='>=3.9',
    install_requires=read_requirements('runtime'),
    extras_require={
        'tests': read_requirements('tests'),
        'optional': read_requirements('optional'),
    },
    zip_safe=False,
)
