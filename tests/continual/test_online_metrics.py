"""The online protocol's continual-confusion-matrix scores against hand-computed values."""
from __future__ import annotations

import numpy as np
import pytest

from mm_cl_addon.continual.metrics import average_forgetting, forward_transfer
from mm_cl_addon.continual.online_metrics import (
    ccm_average_accuracy,
    ccm_average_forgetting,
    ccm_backward_transfer,
    ccm_forward_transfer,
    ccm_from_json,
    ccm_history,
    ccm_scores,
    ccm_to_json,
    empty_ccm,
    filled_rows,
)

# rows: after training distribution z; columns: accuracy on distribution i
CCM = np.array([[0.9, 0.2, 0.1],
                [0.6, 0.8, 0.3],
                [0.5, 0.7, 0.9]])


def test_scores_at_the_last_boundary():
    assert ccm_average_accuracy(CCM, 2) == pytest.approx((0.5 + 0.7 + 0.9) / 3)
    # best of rows 0..1 per column 0..1: 0.9, 0.8; final 0.5, 0.7
    assert ccm_average_forgetting(CCM, 2) == pytest.approx(((0.9 - 0.5) + (0.8 - 0.7)) / 2)
    # lower-triangle pairs: 0.6 - 0.9, 0.5 - 0.9, 0.7 - 0.8 -> mean -0.2667, clipped at 0
    assert ccm_backward_transfer(CCM, 2) == 0.0
    # strict upper triangle: 0.2, 0.1, 0.3
    assert ccm_forward_transfer(CCM, 2) == pytest.approx(0.2)


def test_scores_use_only_the_leading_block():
    assert ccm_scores(CCM, 1) == pytest.approx(dict(
        avg_accuracy=0.7, avg_forgetting=0.3, backward_transfer=0.0, forward_transfer=0.2))
    assert ccm_scores(CCM, 0) == dict(avg_accuracy=0.9, avg_forgetting=0.0,
                                      backward_transfer=0.0, forward_transfer=0.0)


def test_positive_backward_transfer_and_negative_forgetting_are_kept():
    ccm = [[0.5, 0.0], [0.7, 0.9]]
    assert ccm_backward_transfer(ccm, 1) == pytest.approx(0.2)
    assert ccm_average_forgetting(ccm, 1) == pytest.approx(-0.2)
    assert ccm_average_accuracy(ccm, 1) == pytest.approx(0.8)


def test_differs_from_the_core_scores_on_pre_training_rows():
    """A distribution that was already right before it was trained counts as forgotten here."""
    ccm = np.array([[1.0, 0.95, 0.0],
                    [0.9, 0.8, 0.0],
                    [0.9, 0.7, 0.9]])
    untrained = [0.25, 0.25, 0.25]
    # online: column 1's best over rows 0..1 is 0.95 (before it was trained)
    assert ccm_average_forgetting(ccm, 2) == pytest.approx(((1.0 - 0.9) + (0.95 - 0.7)) / 2)
    core = np.vstack([untrained, ccm])
    # core: only rows after it was trained: 0.8
    assert average_forgetting(core) == pytest.approx(((1.0 - 0.9) + (0.8 - 0.7)) / 2)
    # online FWT: mean accuracy on untrained distributions; core: previous row minus row 0
    assert ccm_forward_transfer(ccm, 2) == pytest.approx((0.95 + 0.0 + 0.0) / 3)
    assert forward_transfer(core) == pytest.approx(((0.95 - 0.25) + (0.0 - 0.25)) / 2)


def test_history_and_json_of_a_partly_filled_matrix():
    ccm = empty_ccm(3)
    ccm[:2] = CCM[:2]
    assert filled_rows(ccm) == 2
    history = ccm_history(ccm)
    assert history['avg_accuracy'][:2] == pytest.approx([0.9, 0.7])
    assert history['avg_forgetting'][:2] == pytest.approx([0.0, 0.3])
    assert history['avg_accuracy'][2] is None
    rows = ccm_to_json(ccm)
    assert rows[2] == [None, None, None]
    np.testing.assert_array_equal(ccm_from_json(rows)[:2], CCM[:2])
    assert np.isnan(ccm_from_json(rows)[2]).all()


@pytest.mark.parametrize('ccm, z, message', [
    (np.zeros((2, 3)), 0, 'square'),
    (CCM, 3, 'outside'),
    (empty_ccm(2), 0, 'not all filled'),
    (CCM * 2, 1, 'fractions'),
])
def test_errors_name_the_problem(ccm, z, message):
    with pytest.raises(ValueError, match=message):
        ccm_scores(ccm, z)
