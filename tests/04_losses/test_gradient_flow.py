"""Gradients of the losses of module 04, by autograd (module 05)."""
import numpy as np
import pytest

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import check_gradient_flow
from tinytorch.core.losses import BinaryCrossEntropyLoss, CrossEntropyLoss, MSELoss, log_softmax
from tinytorch.core.tensor import Tensor

RNG = np.random.default_rng(4)


def test_mse_gradient():
    pred = Tensor(RNG.standard_normal((5, 3)), requires_grad=True)
    target = RNG.standard_normal((5, 3))
    check_gradient_flow(lambda: MSELoss()(pred, target), {"pred": pred})
    pred.grad = None
    MSELoss()(pred, target).backward()
    np.testing.assert_allclose(pred.grad, 2 * (pred.data - target) / pred.data.size)


@pytest.mark.parametrize("targets", [np.array([0, 2, 1, 1]), [0, 2, 1, 1], Tensor([0, 2, 1, 1])], ids=["ndarray", "list", "tensor"])
def test_cross_entropy_gradient_is_softmax_minus_one_hot(targets):
    logits = Tensor(RNG.standard_normal((4, 3)), requires_grad=True)
    check_gradient_flow(lambda: CrossEntropyLoss()(logits, targets), {"logits": logits})
    logits.grad = None
    CrossEntropyLoss()(logits, targets).backward()
    softmax = np.exp(logits.data) / np.exp(logits.data).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(logits.grad, (softmax - np.eye(3)[[0, 2, 1, 1]]) / 4, rtol=1e-10)


def test_bce_gradient_inside_the_clamp():
    probs = Tensor(RNG.uniform(0.05, 0.95, size=(8,)), requires_grad=True)
    targets = (RNG.random(8) > 0.5).astype(np.float64)
    check_gradient_flow(lambda: BinaryCrossEntropyLoss()(probs, targets), {"probs": probs})


def test_log_softmax_is_differentiable_through_tensor_operations():
    x = Tensor(RNG.standard_normal((3, 5)), requires_grad=True)
    up = RNG.standard_normal((3, 5))
    check_gradient_flow(lambda: (log_softmax(x, dim=-1) * up).sum(), {"x": x})
    check_gradient_flow(lambda: (log_softmax(x, dim=0) * up).sum(), {"x": x})


def test_extreme_logits_give_finite_losses_and_gradients():
    logits = Tensor(np.array([[1000.0, -1000.0, 0.0], [-1e4, 1e4, 1e4]]), requires_grad=True)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss = CrossEntropyLoss()(logits, np.array([1, 0]))
        loss.backward()
    assert np.isfinite(loss.item()) and loss.item() > 1000
    assert np.all(np.isfinite(logits.grad))


def test_bce_at_probabilities_zero_and_one_is_finite():
    probs = Tensor(np.array([0.0, 1.0, 0.5]), requires_grad=True)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss = BinaryCrossEntropyLoss()(probs, np.array([1.0, 0.0, 1.0]))
        loss.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(probs.grad))


def test_a_loss_scaled_and_summed_with_another_accumulates():
    logits = Tensor(RNG.standard_normal((4, 3)), requires_grad=True)
    check_gradient_flow(
        lambda: CrossEntropyLoss()(logits, [0, 1, 2, 0]) * 0.5 + MSELoss()(logits, np.zeros((4, 3))),
        {"logits": logits},
    )
