"""Argument checks shared by data sets, hooks and loops, so a bad value fails when the part is
built, with a message that names the argument."""
from __future__ import annotations

import numbers
from collections.abc import Sequence

MAX_SEED = 2**32  # numpy's RandomState and scikit-learn take seeds in [0, 2**32)


def is_int(value: object) -> bool:
    """An integer that is not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_choice(name: str, value: object, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ValueError(f'{name} must be one of {tuple(choices)}, got {value!r}')
    return str(value)


def check_seed(name: str, value: object) -> int:
    if not is_int(value) or not 0 <= value < MAX_SEED:
        raise ValueError(f'{name} must be an int in [0, 2**32), got {value!r}')
    return int(value)


def check_ratio(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
        raise ValueError(f'{name} must be a number in [0, 1), got {value!r}')
    return float(value)


def is_count(value: object, minimum: int = 1) -> bool:
    """A whole number >= ``minimum`` (``2.0`` is; ``1.5``, ``True`` and ``'2'`` are not)."""
    whole = is_int(value) or (isinstance(value, float) and value.is_integer())
    return whole and value >= minimum


def check_count(name: str, value: object, minimum: int = 1) -> int:
    if not is_count(value, minimum):
        raise ValueError(f'{name}={value!r} must be a whole number >= {minimum}')
    return int(value)
