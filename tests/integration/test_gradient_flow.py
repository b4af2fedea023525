"""The whole training stack, end to end: must pass before anything merges.

Basic operations, Linear, the five activations, the three losses, a manual SGD loop that
reduces the loss, and the edge cases that break naive implementations.
"""
import numpy as np
import pytest

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import check_gradient_flow, check_model_gradients
from tinytorch.core.activations import GELU, ReLU, Sigmoid, Softmax, Tanh
from tinytorch.core.autograd import no_grad
from tinytorch.core.layers import Linear, Sequential
from tinytorch.core.losses import BinaryCrossEntropyLoss, CrossEntropyLoss, MSELoss
from tinytorch.core.tensor import Tensor

RNG = np.random.default_rng(7)


def leaf(*shape):
    return Tensor(RNG.standard_normal(shape), requires_grad=True)


def linear64(n_in, n_out):
    layer = Linear(n_in, n_out)
    layer.weight = Tensor(RNG.standard_normal((n_in, n_out)) / np.sqrt(n_in), requires_grad=True)
    layer.bias = Tensor(RNG.standard_normal(n_out) * 0.1, requires_grad=True)
    return layer


def test_basic_operations():
    a, b = leaf(3, 4), leaf(4)
    check_gradient_flow(lambda: ((a + b) * (a - b) / (b * b + 1.0) + (-a) ** 2).mean(), {"a": a, "b": b})
    check_gradient_flow(lambda: (a @ b.reshape(4, 1)).exp().log().sum() + a.T.max(), {"a": a, "b": b})


def test_linear_layer():
    layer = linear64(5, 3)
    x = leaf(4, 5)
    check_model_gradients(layer, lambda: (layer(x) ** 2).sum(), inputs={"x": x})


@pytest.mark.parametrize("activation", [Sigmoid(), Tanh(), GELU(), Softmax()], ids=lambda a: type(a).__name__)
def test_smooth_activations(activation):
    x = leaf(3, 4)
    weights = RNG.standard_normal((3, 4))
    check_gradient_flow(lambda: (activation(x) * weights).sum(), {"x": x})


def test_relu():
    x = Tensor(np.array([[-2.0, -0.5, 0.5, 2.0]]), requires_grad=True)
    check_gradient_flow(lambda: (ReLU()(x) * np.array([1.0, 2.0, 3.0, 4.0])).sum(), {"x": x})


def test_losses():
    pred = leaf(4, 3)
    check_gradient_flow(lambda: MSELoss()(pred, np.zeros((4, 3))), {"pred": pred})
    check_gradient_flow(lambda: CrossEntropyLoss()(pred, [2, 0, 1, 1]), {"pred": pred})
    probs = Tensor(RNG.uniform(0.1, 0.9, size=(4,)), requires_grad=True)
    check_gradient_flow(lambda: BinaryCrossEntropyLoss()(probs, np.array([1.0, 0.0, 0.0, 1.0])), {"probs": probs})


def test_manual_sgd_loop_reduces_the_loss():
    np.random.seed(0)
    centers = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.5]])
    labels = np.repeat(np.arange(3), 30)
    points = (centers[labels] + RNG.standard_normal((90, 2)) * 0.7).astype(np.float32)
    model = Sequential(Linear(2, 16), ReLU(), Linear(16, 3))
    first = None
    for _ in range(100):
        for p in model.parameters():
            p.grad = None
        loss = CrossEntropyLoss()(model(Tensor(points)), labels)
        loss.backward()
        with no_grad():
            for p in model.parameters():
                p.data -= 0.2 * p.grad
        first = first if first is not None else loss.item()
    accuracy = (model(Tensor(points)).data.argmax(axis=1) == labels).mean()
    assert loss.item() < 0.3 * first and accuracy > 0.9, (first, loss.item(), accuracy)


def test_edge_cases():
    # a scalar parameter broadcast over a batch
    scale = Tensor(np.array(1.5), requires_grad=True)
    x = leaf(3, 2)
    check_gradient_flow(lambda: ((x * scale) ** 2).sum(), {"scale": scale, "x": x})
    # a one-element batch and a single feature
    layer = linear64(1, 1)
    check_model_gradients(layer, lambda: MSELoss()(layer(Tensor(np.array([[2.0]]))), np.array([[1.0]])))
    # gradient of exactly zero loss is zero, not missing
    w = Tensor(np.zeros(3), requires_grad=True)
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad, np.zeros(3))
    # a tensor that does not require grad stays without one
    frozen = Tensor(np.ones(3))
    (frozen * w + w).sum().backward()
    assert frozen.grad is None
