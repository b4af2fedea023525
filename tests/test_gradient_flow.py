"""Networks: gradients through a linear model and an MLP, and accumulation across passes."""
import numpy as np

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import check_model_gradients
from tinytorch.core.activations import ReLU, Tanh
from tinytorch.core.layers import Linear, Sequential
from tinytorch.core.losses import CrossEntropyLoss, MSELoss
from tinytorch.core.tensor import Tensor

RNG = np.random.default_rng(8)


def float64(model):
    for p in model.parameters():
        p.data = p.data.astype(np.float64) + RNG.standard_normal(p.data.shape) * 0.1
    return model


def test_linear_regression_network():
    np.random.seed(1)
    model = float64(Linear(3, 1))
    x = Tensor(RNG.standard_normal((10, 3)))
    y = RNG.standard_normal((10, 1))
    check_model_gradients(model, lambda: MSELoss()(model(x), y))


def test_mlp_classifier_network():
    np.random.seed(2)
    model = float64(Sequential(Linear(4, 8), Tanh(), Linear(8, 8), ReLU(), Linear(8, 3)))
    x = Tensor(RNG.standard_normal((12, 4)))
    check_model_gradients(model, lambda: CrossEntropyLoss()(model(x), np.arange(12) % 3))


def test_gradients_accumulate_across_two_batches_like_one_big_batch():
    np.random.seed(3)
    model = float64(Sequential(Linear(2, 4), Tanh(), Linear(4, 1)))
    x, y = RNG.standard_normal((8, 2)), RNG.standard_normal((8, 1))
    for p in model.parameters():
        p.zero_grad()
    (MSELoss()(model(Tensor(x[:4])), y[:4]) * 0.5).backward()
    (MSELoss()(model(Tensor(x[4:])), y[4:]) * 0.5).backward()
    accumulated = [p.grad.copy() for p in model.parameters()]
    for p in model.parameters():
        p.zero_grad()
    MSELoss()(model(Tensor(x)), y).backward()
    for got, want in zip(accumulated, (p.grad for p in model.parameters())):
        np.testing.assert_allclose(got, want, rtol=1e-10)
