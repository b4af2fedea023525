"""Module 06 with modules 01-05: Sequential models of Linear layers, activations and losses,
trained end to end by every optimizer."""
import numpy as np
import pytest

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from tinytorch.core.activations import GELU, ReLU, Sigmoid, Tanh
from tinytorch.core.layers import Dropout, Linear, Sequential
from tinytorch.core.losses import BinaryCrossEntropyLoss, CrossEntropyLoss, MSELoss
from tinytorch.core.optimizers import SGD, Adam, AdamW
from tinytorch.core.tensor import Tensor

MAKERS = {
    "sgd": lambda ps: SGD(ps, lr=0.3),
    "momentum": lambda ps: SGD(ps, lr=0.05, momentum=0.9),
    "nesterov": lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
    "adam": lambda ps: Adam(ps, lr=0.01),
    "adamw": lambda ps: AdamW(ps, lr=0.01),
}


def train(model, optimizer, loss_fn, x, y, steps):
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(Tensor(x)), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("name", MAKERS)
def test_classifier_with_cross_entropy(name):
    np.random.seed(80)
    rng = np.random.default_rng(80)
    x = rng.standard_normal((96, 2)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(int) + (np.abs(x[:, 0]) > 1).astype(int)
    model = Sequential(Linear(2, 32, init="he"), ReLU(), Linear(32, 16), Tanh(), Linear(16, 3))
    losses = train(model, MAKERS[name](model.parameters()), CrossEntropyLoss(), x, y, 150)
    assert losses[-1] < 0.5 * losses[0], (name, losses[0], losses[-1])
    predictions = model(Tensor(x)).data.argmax(axis=1)
    assert (predictions == y).mean() > 0.8
    assert all(p.dtype == np.float32 for p in model.parameters())


@pytest.mark.parametrize("name", MAKERS)
def test_regression_with_mse_and_gelu(name):
    np.random.seed(81)
    rng = np.random.default_rng(81)
    x = rng.uniform(-1, 1, size=(64, 1)).astype(np.float32)
    y = np.sin(3 * x).astype(np.float32)
    model = Sequential(Linear(1, 32), GELU(), Linear(32, 1))
    losses = train(model, MAKERS[name](model.parameters()), MSELoss(), x, y, 200)
    assert losses[-1] < 0.3 * losses[0], (name, losses[0], losses[-1])


@pytest.mark.parametrize("name", MAKERS)
def test_binary_classifier_with_dropout_trains_and_every_layer_moves(name):
    np.random.seed(82)
    rng = np.random.default_rng(82)
    x = rng.standard_normal((80, 3)).astype(np.float32)
    y = (x.sum(axis=1, keepdims=True) > 0).astype(np.float32)
    model = Sequential(Linear(3, 16), Tanh(), Dropout(0.1), Linear(16, 1), Sigmoid())
    before = [p.data.copy() for p in model.parameters()]
    losses = train(model, MAKERS[name](model.parameters()), BinaryCrossEntropyLoss(), x, y, 120)
    assert losses[-1] < 0.6 * losses[0], (name, losses[0], losses[-1])
    for p, old in zip(model.parameters(), before):
        assert not np.array_equal(p.data, old), "every layer's parameters should have been updated"


def test_frozen_first_layer_stays_put_while_the_rest_trains():
    np.random.seed(83)
    rng = np.random.default_rng(83)
    x = rng.standard_normal((40, 4)).astype(np.float32)
    y = rng.integers(0, 2, size=40)
    frozen, head = Linear(4, 8), Linear(8, 2)
    frozen.weight.requires_grad = frozen.bias.requires_grad = False
    model = Sequential(frozen, ReLU(), head)
    frozen_before = frozen.weight.data.copy()
    optimizer = AdamW([frozen.weight, frozen.bias] + head.parameters(), lr=0.05)
    losses = train(model, optimizer, CrossEntropyLoss(), x, y, 60)
    assert losses[-1] < losses[0]
    np.testing.assert_array_equal(frozen.weight.data, frozen_before)
    assert frozen.weight.grad is None and set(optimizer.state) == {2, 3}
