"""Vanishing gradients: deep stacks of saturating activations starve the first layers, and
diagnose_gradients says so (and what to try); healthy networks pass quietly."""
import numpy as np
import pytest

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from tinytorch.core.activations import GELU, ReLU, Sigmoid, Tanh
from tinytorch.core.layers import Linear, Sequential
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.tensor import Tensor
from tinytorch.core.training import diagnose_gradients


def stack(depth, width, activation, seed, init="xavier"):
    np.random.seed(seed)
    layers = []
    for _ in range(depth):
        layers += [Linear(width, width, init=init), activation()]
    return Sequential(*layers, Linear(width, 3))


def backward(model, width, seed):
    rng = np.random.default_rng(seed)
    x = Tensor(rng.standard_normal((32, width)).astype(np.float32))
    CrossEntropyLoss()(model(x), rng.integers(0, 3, size=32)).backward()
    return model


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("depth", [15, 20, 30])
def test_deep_sigmoid_stacks_are_flagged_as_vanishing(depth, seed):
    model = backward(stack(depth, 16, Sigmoid, seed), 16, seed)
    report = diagnose_gradients(model)
    assert not report.healthy
    vanishing = [p for p in report.problems if p.startswith("vanishing")]
    assert vanishing, str(report)
    assert "layers.0.weight" in vanishing[0] and "ReLU" in vanishing[0] and "residual" in vanishing[0]
    assert report.flags["layers.0.weight"] == "vanishing"
    assert f"layers.{2 * depth}.weight" not in report.flags, "the last layer learns: it is not flagged"


def test_the_collapse_is_geometric_with_depth():
    model = backward(stack(20, 16, Sigmoid, 0), 16, 0)
    norms = diagnose_gradients(model).norms
    weights = [norms[f"layers.{2 * i}.weight"] for i in range(21)]
    assert all(a < b for a, b in zip(weights[:-2], weights[1:-1])), "norms shrink layer by layer toward the input"
    assert weights[0] < 1e-9 * weights[-1]


@pytest.mark.parametrize("activation,init", [(ReLU, "he"), (GELU, "he"), (Tanh, "xavier")])
@pytest.mark.parametrize("seed", range(3))
def test_healthy_networks_are_left_alone(activation, init, seed):
    depth = 3 if activation is Tanh else 8
    report = diagnose_gradients(backward(stack(depth, 16, activation, seed, init=init), 16, seed))
    assert report.healthy, str(report)
    assert report.problems == [] and report.flags == {}


def test_the_threshold_is_the_callers_choice():
    model = backward(stack(20, 16, Sigmoid, 1), 16, 1)
    assert diagnose_gradients(model, vanishing=1e-30).healthy
    shallow = backward(stack(2, 16, Sigmoid, 1), 16, 1)
    assert diagnose_gradients(shallow).healthy
    assert not diagnose_gradients(shallow, vanishing=10.0).healthy
