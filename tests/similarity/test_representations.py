"""The similarity measures' input checks: shapes, sample counts, errors naming the layer."""
import numpy as np
import pytest
import torch

from mm_cl_addon.similarity.representations import as_layers, as_matrix, check_layers, check_samples


def test_numpy_layers_become_float64_tensors():
    matrix = as_matrix(np.ones((5, 3), dtype=np.float32), 'x')
    assert matrix.dtype == torch.float64 and matrix.shape == (5, 3)


def test_a_layer_that_is_not_a_matrix_is_named():
    with pytest.raises(ValueError, match=r'xs\[1\] must be 2-D .*got shape \(5,\)'):
        as_layers([torch.ones(5, 2), torch.ones(5)], 'xs')


def test_layers_of_other_samples_are_named():
    with pytest.raises(ValueError, match=r'ys\[0\] has 4 samples, xs\[0\] has 5'):
        check_layers([torch.ones(5, 2)], [torch.ones(4, 2)], debiased=False)


def test_shared_sample_count_is_returned():
    assert check_layers([torch.ones(6, 2)] * 2, [torch.ones(6, 3)], debiased=True) == 6


def test_debiased_needs_four_samples():
    with pytest.raises(ValueError, match='n >= 4 samples, got n=3'):
        check_samples(torch.ones(3, 2), torch.ones(3, 2), debiased=True)
    check_samples(torch.ones(3, 2), torch.ones(3, 2), debiased=False)
