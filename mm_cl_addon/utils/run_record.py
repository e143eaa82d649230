"""What reproduces a result, stored next to it, so that a table can be rebuilt from files alone."""
from __future__ import annotations

import hashlib
import json
import platform
import resource
import time
from collections.abc import Mapping
from importlib import metadata
from typing import Any

import torch

#: When this package was first imported: the start of the tool's work, near enough.
_STARTED = time.monotonic()
PACKAGES = ('mm_cl_addon', 'torch', 'mmengine', 'mmpretrain', 'numpy', 'timm')
#: Where a run is, not what it is: left out of the config hash (a resumed run keeps its hash).
RUN_LOCATION_KEYS = ('work_dir', 'experiment_name', 'launcher', 'resume')


def package_versions() -> dict[str, str]:
    versions = {'python': platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = 'not installed'
    return versions


def config_hash(cfg: Mapping[str, Any]) -> str:
    """SHA-256 of what a config trains (overrides included), without where it runs.

    With ``resume``, ``load_from`` names the checkpoint resumed from, not a starting point, and
    counts as None: a run resumed from scratch keeps the hash of the run it continues (one
    that started from a checkpoint does not: mmengine's config no longer says which).
    """
    settings = {key: value for key, value in cfg.items() if key not in RUN_LOCATION_KEYS}
    if cfg.get('resume'):
        settings['load_from'] = None
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()


def run_record(runner) -> dict:
    """The config (path and :func:`config_hash`), seed, threads, package versions, wall time
    so far and peak memory of the process."""
    return dict(
        config=runner.cfg.filename,
        config_sha256=config_hash(runner.cfg.to_dict()),
        seed=runner.seed,
        threads=torch.get_num_threads(),
        world_size=runner.world_size,
        versions=package_versions(),
        wall_time_s=round(time.monotonic() - _STARTED, 3),
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    )
