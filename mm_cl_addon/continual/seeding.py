"""Reseeding every random source from (seed, global epoch).

Reseeding at each epoch boundary makes an epoch's randomness depend only on
the run's seed and the epoch's position, so a run resumed from a checkpoint
replays exactly the epochs that an uninterrupted run would have.
"""
from __future__ import annotations

import random

import numpy as np
import torch


def derive_seed(*parts: int) -> int:
    """A 32-bit seed mixed from integers (numpy's SeedSequence hashing)."""
    return int(np.random.SeedSequence([int(p) for p in parts]).generate_state(1)[0])


def reseed_everything(seed: int) -> None:
    """Seed Python's ``random``, numpy's global generator and torch (CPU and CUDA)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
