"""Continual-learning scores on small matrices worked out by hand."""
from __future__ import annotations

import json

import numpy as np
import pytest

from mm_cl_addon.continual.metrics import (
    average_accuracy,
    average_forgetting,
    backward_transfer,
    forward_transfer,
    summarize,
)

# Rows: before training, after task 1, after task 2, after task 3; columns: tasks 1..3.
THREE_TASKS = [
    [0.10, 0.12, 0.08],
    [0.90, 0.30, 0.15],
    [0.70, 0.95, 0.20],
    [0.60, 0.80, 0.85],
]
# Rows: before, after task 1, after task 2; columns: tasks 1..2.
TWO_TASKS = [
    [0.50, 0.50],
    [1.00, 0.60],
    [0.80, 0.90],
]


def test_three_tasks_by_hand():
    # ACC = (0.60 + 0.80 + 0.85) / 3 = 0.75
    assert average_accuracy(THREE_TASKS) == pytest.approx(0.75)
    # task 1: max(0.90, 0.70) - 0.60 = 0.30; task 2: max(0.95) - 0.80 = 0.15; mean 0.225
    assert average_forgetting(THREE_TASKS) == pytest.approx(0.225)
    # ((0.60 - 0.90) + (0.80 - 0.95)) / 2 = -0.225
    assert backward_transfer(THREE_TASKS) == pytest.approx(-0.225)
    # task 2: R[1][2] - R[0][2] = 0.30 - 0.12 = 0.18; task 3: 0.20 - 0.08 = 0.12; mean 0.15
    assert forward_transfer(THREE_TASKS) == pytest.approx(0.15)


def test_two_tasks_by_hand():
    assert average_accuracy(TWO_TASKS) == pytest.approx(0.85)  # (0.80 + 0.90) / 2
    assert average_forgetting(TWO_TASKS) == pytest.approx(0.20)  # 1.00 - 0.80
    assert backward_transfer(TWO_TASKS) == pytest.approx(-0.20)  # 0.80 - 1.00
    assert forward_transfer(TWO_TASKS) == pytest.approx(0.10)  # 0.60 - 0.50


def test_forgetting_ignores_rows_before_the_task_was_trained():
    matrix = np.array(THREE_TASKS)
    matrix[1, 1] = 0.97  # task 2 before it is trained beats its trained peak of 0.95
    # Still task 1: 0.30, task 2: 0.95 - 0.80 = 0.15 (not 0.97 - 0.80); mean 0.225
    assert average_forgetting(matrix) == pytest.approx(0.225)


def test_forgetting_is_negative_when_tasks_improve_later():
    # Rows: before, after task 1, after task 2; task 1 goes 0.4 -> 0.7: f_1 = 0.4 - 0.7
    assert average_forgetting([[0.0, 0.0], [0.4, 0.1], [0.7, 0.9]]) == pytest.approx(-0.3)


def test_single_task():
    matrix = [[0.1], [0.9]]
    assert average_accuracy(matrix) == pytest.approx(0.9)
    assert average_forgetting(matrix) == 0.0
    assert backward_transfer(matrix) == 0.0
    assert forward_transfer(matrix) == 0.0


def test_summarize_is_json_ready():
    summary = summarize(np.array(THREE_TASKS, dtype=np.float32))
    assert set(summary) == {'average_accuracy', 'average_forgetting', 'backward_transfer',
                            'forward_transfer', 'accuracy_matrix', 'num_tasks'}
    assert summary['num_tasks'] == 3
    assert summary['accuracy_matrix'] == np.float32(THREE_TASKS).astype(np.float64).tolist()
    assert all(type(value) is float for row in summary['accuracy_matrix'] for value in row)
    assert summary['average_accuracy'] == pytest.approx(0.75)
    assert json.loads(json.dumps(summary)) == summary


@pytest.mark.parametrize('matrix, message', [
    ([0.1, 0.2], '2-D'),
    (np.zeros((2, 2, 2)), '2-D'),
    (np.zeros((3, 3)), r'\(T \+ 1, T\)'),
    (np.zeros((1, 0)), r'\(T \+ 1, T\)'),
    ([[0.1], [float('nan')]], 'finite'),
    ([[10.0], [90.0]], r'\[0, 1\]'),
])
def test_bad_matrices_raise(matrix, message):
    for score in (average_accuracy, average_forgetting, backward_transfer, forward_transfer,
                  summarize):
        with pytest.raises(ValueError, match=message):
            score(matrix)
