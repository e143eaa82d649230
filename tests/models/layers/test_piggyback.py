"""Piggyback masks: what a task sees, and the straight-through gradient of the mask."""
import torch

from mm_cl_addon.models.layers.piggyback import (
    binarize,
    earlier_weights,
    piggyback_weight,
    straight_through_mask_grad,
)

OWNER = torch.tensor([[1, 2, 3, 0], [2, 1, 3, 3]])  # task 3 trains; 1 and 2 are earlier
WEIGHT = torch.tensor([[0.5, -1.0, 2.0, 0.0], [3.0, -0.25, 1.5, -2.0]])
OWN, EARLIER = OWNER == 3, earlier_weights(OWNER, 3)


def test_a_mask_of_zeros_removes_every_earlier_weight():
    mask = torch.zeros_like(WEIGHT)
    expected = torch.where(OWNER == 3, WEIGHT, torch.zeros_like(WEIGHT))
    assert torch.equal(piggyback_weight(WEIGHT, OWN, EARLIER, mask, threshold=0.005), expected)


def test_the_mask_picks_earlier_weights_above_the_threshold_only():
    mask = torch.tensor([[0.01, 0.001, -5.0, 0.9], [0.006, 0.005, 0.0, 0.0]])
    picked = piggyback_weight(WEIGHT, OWN, EARLIER, mask, threshold=0.005)
    # earlier weights above threshold kept; own weights kept whatever the mask; free ones zero
    assert torch.equal(picked, torch.tensor([[0.5, 0.0, 2.0, 0.0], [3.0, 0.0, 1.5, -2.0]]))
    assert torch.equal(binarize(mask, 0.005), mask > 0.005)


def test_straight_through_gradient_matches_autograd_through_an_identity_binariser():
    torch.manual_seed(0)
    x = torch.randn(5, 4)
    upstream = torch.randn(5, 2)
    mask = torch.full_like(WEIGHT, 0.01).requires_grad_()
    hard = binarize(mask, 0.005).float()
    straight = mask + (hard - mask).detach()  # forward: hard mask; backward: identity
    earlier = ((OWNER >= 1) & (OWNER < 3)).float()
    own = (OWNER == 3).float()
    effective = WEIGHT * (own + earlier * straight)
    (x @ effective.t()).mul(upstream).sum().backward()

    weight_eff = piggyback_weight(WEIGHT, OWN, EARLIER, mask.detach(), 0.005).requires_grad_()
    (x @ weight_eff.t()).mul(upstream).sum().backward()
    ours = straight_through_mask_grad(weight_eff.grad, torch.where(EARLIER, WEIGHT, 0.0))
    torch.testing.assert_close(ours, mask.grad, rtol=0, atol=1e-6)
    assert ours[OWNER == 3].eq(0).all() and ours[OWNER == 0].eq(0).all()
    assert ours[(OWNER == 1) | (OWNER == 2)].ne(0).all()
