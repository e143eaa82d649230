import math

import pytest
import torch

from mm_cl_addon.models.losses import MASK_LOSSES, cosine_loss, kd_loss, l2_loss


def direct_kl(student: torch.Tensor, reference: torch.Tensor, temperature: float) -> float:
    """sum_c p_c (log p_c - log q_c), averaged over rows, written out in plain Python."""
    total = 0.0
    for s_row, r_row in zip(student.tolist(), reference.tolist()):
        s_norm = sum(math.exp(v / temperature) for v in s_row)
        r_norm = sum(math.exp(v / temperature) for v in r_row)
        for s, r in zip(s_row, r_row):
            p = math.exp(r / temperature) / r_norm
            q = math.exp(s / temperature) / s_norm
            total += p * (math.log(p) - math.log(q))
    return total / len(student)


def test_kd_loss_is_the_batch_mean_kl_times_t_squared():
    torch.manual_seed(0)
    student, reference = torch.randn(5, 7), torch.randn(5, 7)
    expected = direct_kl(student, reference, 3.0)
    assert kd_loss(student, reference, 3.0, scale_by_t2=False).item() == pytest.approx(
        expected, rel=1e-5)
    assert kd_loss(student, reference, 3.0).item() == pytest.approx(9 * expected, rel=1e-5)


def test_kd_loss_is_zero_for_identical_logits():
    logits = torch.randn(4, 6)
    assert kd_loss(logits, logits.clone(), 2.0).item() == pytest.approx(0.0, abs=1e-6)


def test_kd_loss_treats_the_reference_as_a_constant():
    student = torch.randn(3, 4, requires_grad=True)
    reference = torch.randn(3, 4, requires_grad=True)
    kd_loss(student, reference, 2.0).backward()
    assert reference.grad is None
    assert student.grad is not None and student.grad.abs().sum() > 0


def test_kd_loss_rejects_a_bad_temperature_and_shapes():
    with pytest.raises(ValueError, match='temperature=0'):
        kd_loss(torch.zeros(2, 3), torch.zeros(2, 3), 0)
    with pytest.raises(ValueError, match=r'\(2, 3\) and \(2, 4\)'):
        kd_loss(torch.zeros(2, 3), torch.zeros(2, 4), 1.0)


def test_cosine_loss_on_a_hand_example():
    pred = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    target = torch.tensor([[0.0, 1.0], [2.0, 2.0]])
    # orthogonal -> 1, parallel -> 0; mean 0.5
    assert cosine_loss(pred, target).item() == pytest.approx(0.5, abs=1e-6)


def test_l2_loss_is_the_mean_squared_error_over_entries():
    pred = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    target = torch.tensor([[3.0, 4.0], [1.0, 1.0]])
    # squared distances 25 and 0, each divided by D = 2, averaged over 2 samples
    assert l2_loss(pred, target).item() == pytest.approx(6.25)


def test_mask_losses_table_passes_the_temperature_to_kd_only():
    pred, target = torch.randn(3, 5), torch.randn(3, 5)
    assert torch.equal(MASK_LOSSES['kd'](pred, target, 4.0), kd_loss(pred, target, 4.0))
    assert torch.equal(MASK_LOSSES['cosine'](pred, target, 4.0), cosine_loss(pred, target))
    assert torch.equal(MASK_LOSSES['l2'](pred, target, 4.0), l2_loss(pred, target))
