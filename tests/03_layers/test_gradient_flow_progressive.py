"""Module 03 with modules 01-02: layers and activations in one graph."""
import numpy as np

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import check_model_gradients
from tinytorch.core.activations import GELU, Sigmoid, Softmax
from tinytorch.core.layers import Linear, Sequential
from tinytorch.core.tensor import Tensor

RNG = np.random.default_rng(30)


def test_mlp_with_every_activation_kind_and_tensor_arithmetic():
    np.random.seed(1)
    model = Sequential(Linear(4, 6), GELU(), Linear(6, 6), Sigmoid(), Linear(6, 3))
    for layer in model.layers[::2]:
        layer.weight = Tensor(layer.weight.data.astype(np.float64), requires_grad=True)
        layer.bias = Tensor(RNG.standard_normal(layer.bias.shape), requires_grad=True)
    x = Tensor(RNG.standard_normal((5, 4)), requires_grad=True)
    check_model_gradients(model, lambda: (Softmax()(model(x) * 2.0) ** 2).sum() - model(x).mean(), inputs={"x": x})


def test_float32_model_trains_in_float32():
    np.random.seed(2)
    model = Sequential(Linear(3, 4), Sigmoid(), Linear(4, 1))
    model(Tensor(np.ones((2, 3)))).sum().backward()
    assert all(p.grad.dtype == np.float32 for p in model.parameters())
