"""Module 04 with modules 01-03: a model, a loss, and the gradient into the first layer."""
import numpy as np

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import check_model_gradients
from tinytorch.core.activations import ReLU, Sigmoid, Tanh
from tinytorch.core.layers import Linear, Sequential
from tinytorch.core.losses import BinaryCrossEntropyLoss, CrossEntropyLoss, MSELoss
from tinytorch.core.tensor import Tensor

RNG = np.random.default_rng(40)
LABELS = np.array([0, 3, 1, 2, 2, 0])


def model64(*sizes, activation=Tanh):
    layers = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        layer = Linear(n_in, n_out)
        layer.weight = Tensor(RNG.standard_normal((n_in, n_out)) / np.sqrt(n_in), requires_grad=True)
        layer.bias = Tensor(RNG.standard_normal(n_out) * 0.1, requires_grad=True)
        layers += [layer, activation()]
    return Sequential(*layers[:-1])


def test_each_loss_sends_a_correct_gradient_to_every_parameter():
    x = Tensor(RNG.standard_normal((6, 3)))
    model = model64(3, 5, 4)
    check_model_gradients(model, lambda: CrossEntropyLoss()(model(x), LABELS))
    check_model_gradients(model, lambda: MSELoss()(model(x), np.ones((6, 4))))
    binary = model64(3, 5, 1)
    check_model_gradients(binary, lambda: BinaryCrossEntropyLoss()(Sigmoid()(binary(x)), np.array([[1.0], [0.0]] * 3)))



def test_relu_network_with_cross_entropy_reaches_the_first_layer():
    x = Tensor(RNG.standard_normal((6, 3)) + 0.05)
    model = model64(3, 8, 8, 4, activation=ReLU)
    check_model_gradients(model, lambda: CrossEntropyLoss()(model(x), LABELS))
    assert np.any(model.layers[0].weight.grad != 0)
