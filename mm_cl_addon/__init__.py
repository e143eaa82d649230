"""mm_cl_addon: continual learning and model reuse on stock OpenMMLab runners.

Importing the package applies the fixes in :mod:`mm_cl_addon.compat` and
registers every model part, hook, loop, dataset and metric into mmpretrain's
registries, so that ``custom_imports = dict(imports=['mm_cl_addon'])`` is all a
config of any OpenMMLab project needs.
"""
from . import compat
from .version import __version__

compat.apply()

from . import continual, datasets, engine, evaluation, models  # noqa: E402  (after the fixes)

__all__ = ['__version__', 'compat', 'continual', 'datasets', 'engine', 'evaluation', 'models']
