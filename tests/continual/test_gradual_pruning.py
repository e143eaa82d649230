"""Zhu & Gupta's cubic sparsity schedule and where its pruning steps fall."""
import pytest

from mm_cl_addon.continual.gradual_pruning import cubic_sparsity, pruning_progress


def test_cubic_schedule_closed_form():
    assert cubic_sparsity(0.0, 0.2, 0.6) == pytest.approx(0.2)
    assert cubic_sparsity(1.0, 0.2, 0.6) == pytest.approx(0.6)
    assert cubic_sparsity(0.5, 0.0, 0.8) == pytest.approx(0.8 - 0.8 * 0.125)
    assert cubic_sparsity(7.0, 0.1, 0.5) == pytest.approx(0.5)  # clipped
    values = [cubic_sparsity(p / 10, 0.0, 0.5) for p in range(11)]
    steps = [b - a for a, b in zip(values, values[1:])]
    assert all(s > 0 for s in steps) and steps == sorted(steps, reverse=True)  # fast, then slow
    with pytest.raises(ValueError, match='initial'):
        cubic_sparsity(0.5, 0.6, 0.2)


def test_pruning_steps_follow_interval_and_ramp():
    progress = [pruning_progress(step, 20, ramp=0.5, interval=2) for step in range(20)]
    assert progress[1] is None and progress[3] is None
    assert progress[0] == pytest.approx(0.1) and progress[8] == pytest.approx(0.9)
    assert progress[10:] == [1.0, None] * 5  # the second half fine-tunes at the final ratio
    with pytest.raises(ValueError, match='ramp'):
        pruning_progress(0, 10, ramp=0.0, interval=1)
