"""System-level gradient checks: a single layer and a deep network, end to end."""
import numpy as np

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import check_model_gradients
from tinytorch.core.activations import GELU, Tanh
from tinytorch.core.layers import Linear, Sequential
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.tensor import Tensor

RNG = np.random.default_rng(9)


def as_float64(model, scale=1.0):
    for p in model.parameters():
        p.data = p.data.astype(np.float64) * scale
    return model


def test_single_layer_softmax_regression():
    np.random.seed(4)
    model = as_float64(Linear(6, 4))
    x = Tensor(RNG.standard_normal((16, 6)))
    labels = RNG.integers(0, 4, size=16)
    errors = check_model_gradients(model, lambda: CrossEntropyLoss()(model(x), labels))
    assert max(errors.values()) < 1e-7


def test_deep_network_sampled_entries():
    np.random.seed(5)
    layers = [Linear(8, 16), GELU()]
    for _ in range(10):
        layers += [Linear(16, 16), Tanh()]
    model = as_float64(Sequential(*layers, Linear(16, 5)))
    x = Tensor(RNG.standard_normal((4, 8)), requires_grad=True)
    labels = np.array([0, 4, 2, 1])
    errors = check_model_gradients(model, lambda: CrossEntropyLoss()(model(x), labels),
                                   inputs={"x": x}, max_entries=6, seed=1)
    assert len(errors) == 1 + 2 * 12
