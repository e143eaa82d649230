"""The gradual pruning schedule of Zhu & Gupta ("To prune, or not to prune", 2017).

Sparsity rises from ``initial`` to ``final`` as ``s = final + (initial - final)(1 - p)^3``
over the pruning progress ``p`` in [0, 1]: fast at first, while many weights are
redundant, and slowly near the end, so the network can recover between steps.
"""
from __future__ import annotations


def cubic_sparsity(progress: float, initial: float, final: float) -> float:
    """The target sparsity at ``progress`` (clipped to [0, 1]) of a ramp initial -> final."""
    if not 0.0 <= initial <= final < 1.0:
        raise ValueError(f'cubic_sparsity: need 0 <= initial ({initial}) <= final ({final}) < 1')
    p = min(max(progress, 0.0), 1.0)
    return final + (initial - final) * (1.0 - p) ** 3


def pruning_progress(step: int, total_steps: int, ramp: float, interval: int) -> float | None:
    """Progress of the ramp at iteration ``step`` of a stage, or None between pruning steps.

    The sparsity ramps over the first ``ramp`` fraction of the stage's
    ``total_steps`` iterations, pruning every ``interval`` iterations; the rest of
    the stage fine-tunes at the final sparsity.
    """
    if not 0.0 < ramp <= 1.0 or interval < 1:
        raise ValueError(f'pruning_progress: ramp={ramp!r} must be in (0, 1] and '
                         f'interval={interval!r} >= 1')
    if step % interval:
        return None
    ramp_steps = max(1, round(ramp * total_steps))
    return min(1.0, (step + 1) / ramp_steps)
