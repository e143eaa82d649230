import pytest
import torch

from mm_cl_addon.models import SmallConvNet


def test_output_shape_and_width_multiplier():
    net = SmallConvNet(in_channels=1, widths=(8, 16), width_multiplier=1.5)
    (features,) = net(torch.randn(2, 1, 8, 8))
    assert features.shape == (2, 24, 2, 2)
    assert net.out_channels == [12, 24]


def test_features_are_centred_by_batchnorm_after_relu():
    net = SmallConvNet(widths=(4,)).train()
    (features,) = net(torch.randn(16, 1, 8, 8))
    assert (features < 0).any()  # ReLU is not the last operation, so units cannot all die


def test_bad_widths_are_named():
    with pytest.raises(ValueError, match='width_multiplier=0'):
        SmallConvNet(width_multiplier=0)
