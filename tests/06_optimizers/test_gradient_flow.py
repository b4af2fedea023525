"""Autograd gradients into optimizer steps: the loss falls, only parameters with gradients move."""
import numpy as np
import pytest

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from tinytorch.core.optimizers import SGD, Adam, AdamW
from tinytorch.core.tensor import Tensor

MAKERS = {
    "sgd": lambda ps: SGD(ps, lr=0.1),
    "momentum": lambda ps: SGD(ps, lr=0.05, momentum=0.9),
    "nesterov": lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
    "adam": lambda ps: Adam(ps, lr=0.05),
    "adamw": lambda ps: AdamW(ps, lr=0.05, weight_decay=0.01),
}


def linear_model(seed):
    rng = np.random.default_rng(seed)
    weight = Tensor(rng.standard_normal((4, 2)) * 0.1, requires_grad=True)
    bias = Tensor(np.zeros(2), requires_grad=True)
    x = Tensor(rng.standard_normal((32, 4)))
    y = Tensor(x.data @ rng.standard_normal((4, 2)) + 0.5)
    return weight, bias, x, y


@pytest.mark.parametrize("name", MAKERS)
def test_loss_falls_on_a_fixed_batch(name):
    weight, bias, x, y = linear_model(70)
    optimizer = MAKERS[name]([weight, bias])
    losses = []
    for _ in range(100):
        optimizer.zero_grad()
        loss = ((x @ weight + bias - y) ** 2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.05 * losses[0], (name, losses[0], losses[-1])
    assert max(losses) <= 1.5 * losses[0], "momentum may overshoot, but nothing should blow up"


@pytest.mark.parametrize("name", MAKERS)
def test_only_parameters_in_the_graph_move(name):
    weight, bias, x, y = linear_model(71)
    unused = Tensor(np.ones((3, 3)), requires_grad=True)
    optimizer = MAKERS[name]([weight, bias, unused])
    for _ in range(3):
        optimizer.zero_grad()
        ((x @ weight - y) ** 2).mean().backward()  # bias and unused are not in this graph
        assert bias.grad is None and unused.grad is None and weight.grad is not None
        optimizer.step()
    np.testing.assert_array_equal(bias.data, np.zeros(2))
    np.testing.assert_array_equal(unused.data, np.ones((3, 3)))
    assert set(optimizer.state) <= {0}


def test_without_zero_grad_gradients_accumulate_and_the_step_grows():
    weight = Tensor(np.array([1.0]), requires_grad=True)
    optimizer = SGD([weight], lr=0.1)
    (weight * 2.0).sum().backward()
    (weight * 2.0).sum().backward()
    np.testing.assert_allclose(weight.grad, [4.0])
    optimizer.step()
    np.testing.assert_allclose(weight.data, [0.6])
    optimizer.zero_grad()
    (weight * 2.0).sum().backward()
    np.testing.assert_allclose(weight.grad, [2.0])


def test_the_gradient_step_is_a_descent_direction():
    rng = np.random.default_rng(72)
    weight = Tensor(rng.standard_normal(5), requires_grad=True)

    def loss():
        return ((weight - Tensor(np.arange(5.0))) ** 2).sum()

    for make in MAKERS.values():
        weight.data[:] = rng.standard_normal(5)
        optimizer = make([weight])
        before = loss()
        before.backward()
        optimizer.step()
        optimizer.zero_grad()
        assert loss().item() < before.item()
