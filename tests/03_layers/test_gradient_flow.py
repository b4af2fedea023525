"""Gradients through Linear, Dropout and Sequential (module 03), by autograd (module 05)."""
import numpy as np

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import check_gradient_flow, check_model_gradients
from tinytorch.core.activations import ReLU, Tanh
from tinytorch.core.layers import Dropout, Linear, Sequential
from tinytorch.core.tensor import Tensor

RNG = np.random.default_rng(3)


def float64_linear(n_in, n_out, bias=True):
    layer = Linear(n_in, n_out, bias=bias)
    layer.weight = Tensor(RNG.standard_normal((n_in, n_out)), requires_grad=True)
    if bias:
        layer.bias = Tensor(RNG.standard_normal(n_out), requires_grad=True)
    return layer


def test_linear_gradients_match_central_differences_and_the_hand_derived_backward():
    layer = float64_linear(4, 3)
    x = Tensor(RNG.standard_normal((6, 4)), requires_grad=True)
    up = RNG.standard_normal((6, 3))
    check_model_gradients(layer, lambda: (layer(x) * up).sum(), inputs={"x": x})
    grad_x, grad_w, grad_b = layer.backward(x, up)
    np.testing.assert_allclose(x.grad, grad_x, rtol=1e-10)
    np.testing.assert_allclose(layer.weight.grad, grad_w, rtol=1e-10)
    np.testing.assert_allclose(layer.bias.grad, grad_b, rtol=1e-10)


def test_linear_on_a_batch_of_sequences_sums_weight_gradients_over_all_positions():
    layer = float64_linear(4, 2)
    x = Tensor(RNG.standard_normal((2, 5, 4)), requires_grad=True)
    check_model_gradients(layer, lambda: (layer(x) ** 2).sum(), inputs={"x": x})
    assert layer.weight.grad.shape == (4, 2) and layer.bias.grad.shape == (2,)


def test_linear_without_bias_has_one_parameter_with_a_gradient():
    layer = float64_linear(3, 2, bias=False)
    assert len(layer.parameters()) == 1
    x = Tensor(RNG.standard_normal((4, 3)))
    check_model_gradients(layer, lambda: (layer(x) ** 2).sum())


def test_dropout_gradient_is_the_mask_it_applied():
    np.random.seed(0)
    dropout = Dropout(0.5)
    x = Tensor(RNG.standard_normal((50, 40)), requires_grad=True)
    dropout(x).sum().backward()
    np.testing.assert_allclose(x.grad, dropout.mask)
    assert set(np.unique(x.grad)) <= {0.0, 2.0}


def test_dropout_in_eval_mode_passes_the_gradient_unchanged():
    dropout = Dropout(0.3).eval()
    x = Tensor(RNG.standard_normal((4, 4)), requires_grad=True)
    dropout(x).sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones((4, 4)))


def test_sequential_mlp_every_parameter_gets_a_correct_gradient():
    model = Sequential(float64_linear(3, 6), Tanh(), float64_linear(6, 5), ReLU(), float64_linear(5, 2))
    x = Tensor(RNG.standard_normal((7, 3)), requires_grad=True)
    up = RNG.standard_normal((7, 2))
    errors = check_model_gradients(model, lambda: (model(x) * up).sum(), inputs={"x": x})
    assert len(errors) == 7  # x and three (weight, bias) pairs


def test_gradient_flows_into_the_first_layer_of_a_deep_stack():
    layers = []
    for _ in range(8):
        layers += [float64_linear(4, 4), Tanh()]
    model = Sequential(*layers)
    x = Tensor(RNG.standard_normal((3, 4)))
    check_gradient_flow(lambda: model(x).sum(), {"first.weight": model.layers[0].weight}, max_entries=8)
