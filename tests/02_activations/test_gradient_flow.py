"""Gradients through the five activations of module 02, by autograd (module 05)."""
import numpy as np
import pytest

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import check_gradient_flow
from tinytorch.core.activations import GELU, ReLU, Sigmoid, Softmax, Tanh
from tinytorch.core.tensor import Tensor

RNG = np.random.default_rng(2)
SMOOTH = [Sigmoid(), Tanh(), GELU(), Softmax(dim=-1), Softmax(dim=0)]


@pytest.mark.parametrize("activation", SMOOTH, ids=lambda a: f"{type(a).__name__}{getattr(a, 'dim', '')}")
def test_smooth_activation_gradients_match_central_differences(activation):
    x = Tensor(RNG.standard_normal((4, 5)) * 2, requires_grad=True)
    up = RNG.standard_normal((4, 5))
    errors = check_gradient_flow(lambda: (activation(x) * up).sum(), {"x": x})
    assert errors["x"] < 1e-6


def test_relu_gradient_away_from_the_kink():
    values = RNG.standard_normal((4, 5))
    x = Tensor(values + np.sign(values) * 0.1, requires_grad=True)
    up = RNG.standard_normal((4, 5))
    check_gradient_flow(lambda: (ReLU()(x) * up).sum(), {"x": x})
    x.grad = None
    ReLU()(x).sum().backward()
    np.testing.assert_array_equal(x.grad, (x.data > 0).astype(float), "ReLU passes the gradient where x > 0 only")


def test_softmax_gradient_sums_to_zero_along_its_axis():
    x = Tensor(RNG.standard_normal((3, 4)), requires_grad=True)
    (Softmax(dim=-1)(x) * Tensor(RNG.standard_normal((3, 4)))).sum().backward()
    np.testing.assert_allclose(x.grad.sum(axis=-1), 0.0, atol=1e-12)


@pytest.mark.parametrize("activation", [Sigmoid(), Tanh(), GELU(), ReLU(), Softmax()], ids=lambda a: type(a).__name__)
def test_gradients_stay_finite_at_extreme_inputs(activation):
    x = Tensor(np.array([[-1000.0, -30.0, -1e-8, 0.0, 1e-8, 30.0, 1000.0]]), requires_grad=True)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        activation(x).sum().backward()
    assert np.all(np.isfinite(x.grad)), f"{type(activation).__name__} gradient at extremes: {x.grad}"


def test_saturated_sigmoid_and_tanh_have_vanishing_gradients():
    for activation in (Sigmoid(), Tanh()):
        x = Tensor(np.array([-50.0, 50.0]), requires_grad=True)
        activation(x).sum().backward()
        assert np.all(np.abs(x.grad) < 1e-15), "saturated units pass (almost) no gradient: that is vanishing"


def test_nan_input_gives_nan_gradient_not_an_exception():
    x = Tensor(np.array([np.nan, 1.0]), requires_grad=True)
    Sigmoid()(x).sum().backward()
    assert np.isnan(x.grad[0]) and np.isfinite(x.grad[1])


def test_activations_compose_and_accumulate():
    x = Tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    check_gradient_flow(lambda: (Tanh()(x) * Sigmoid()(x) + GELU()(Tanh()(x))).sum(), {"x": x})
