"""Gradient flow through fake quantization (module 16): the straight-through estimator.

The STE is a chosen gradient, not the derivative of the forward staircase, so it is checked
exactly (identity inside the grid, zero where the value was clipped), never by central
differences, which on a staircase give 0 or about s / 2h.
"""
import numpy as np

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import check_gradient_flow, check_parameter_coverage
from tinytorch.core.activations import ReLU
from tinytorch.core.layers import Linear, Sequential
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.optimizers import SGD
from tinytorch.core.tensor import Tensor
from tinytorch.perf.quantization import FakeQuantize, QATLinear, fake_quantize

RNG = np.random.default_rng(161)


def test_ste_is_the_identity_inside_the_grid_and_zero_outside():
    for bits in (2, 4, 8):
        q_max = 2 ** (bits - 1) - 1
        x = Tensor(RNG.standard_normal(40) * 2, requires_grad=True)
        upstream = RNG.standard_normal(40)
        scale = 1.5 / q_max  # the grid spans about [-1.5, 1.5]: some of the 40 values fall outside
        (fake_quantize(x, scale, bits) * Tensor(upstream)).sum().backward()
        inside = np.abs(np.round(x.data / scale)) <= q_max
        assert inside.any() and (~inside).any()
        np.testing.assert_array_equal(x.grad, np.where(inside, upstream, 0.0))


def test_central_differences_on_the_staircase_are_zero_or_huge():
    h = 1e-6
    on_step = (fake_quantize(Tensor(np.array([0.03 + h])), 0.1).data - fake_quantize(Tensor(np.array([0.03 - h])), 0.1).data)
    at_jump = (fake_quantize(Tensor(np.array([0.05 + h])), 0.1).data - fake_quantize(Tensor(np.array([0.05 - h])), 0.1).data)
    assert on_step[0] / (2 * h) == 0.0
    assert at_jump[0] / (2 * h) > 1e4


def fake_quantized_mlp(bits=4):
    np.random.seed(162)
    return Sequential(FakeQuantize(bits=bits), QATLinear(Linear(6, 8), bits=bits), ReLU(), FakeQuantize(bits=bits),
                      QATLinear(Linear(8, 3), bits=bits))


def test_every_parameter_and_the_input_get_a_gradient():
    model = fake_quantized_mlp()
    x = Tensor(RNG.standard_normal((10, 6)), requires_grad=True)
    targets = RNG.integers(0, 3, size=10)
    named = check_parameter_coverage(model)
    assert len(named) == 4
    check_gradient_flow(lambda: CrossEntropyLoss()(model(x), targets), {"x": x, **named}, check_values=False)


def test_qat_linear_weight_gradient_is_the_float_gradient_at_the_quantized_weight():
    layer = QATLinear(Linear(5, 4), bits=3)
    x = RNG.standard_normal((7, 5))
    upstream = RNG.standard_normal((7, 4))
    (layer(Tensor(x)) * Tensor(upstream)).sum().backward()
    np.testing.assert_allclose(layer.linear.weight.grad, x.T @ upstream, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.linear.bias.grad, upstream.sum(axis=0), rtol=1e-5, atol=1e-6)


def test_a_few_qat_steps_reduce_the_loss():
    model = fake_quantized_mlp(bits=3)
    x = Tensor(RNG.standard_normal((64, 6)))
    targets = (x.data[:, 0] > 0).astype(int) + (x.data[:, 1] > 0).astype(int)
    optimizer, loss_fn, losses = SGD(model.parameters(), lr=0.2), CrossEntropyLoss(), []
    for _ in range(40):
        optimizer.zero_grad()
        loss = loss_fn(model(x), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert np.mean(losses[-5:]) < 0.7 * losses[0], (losses[0], losses[-5:])
