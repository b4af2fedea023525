"""Exploding gradients: badly initialized stacks produce huge or non-finite gradient norms,
diagnose_gradients flags them with advice, and clip_grad_norm tames the update."""
import numpy as np
import pytest

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from tinytorch.core.activations import ReLU
from tinytorch.core.layers import Linear, Sequential
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.tensor import Tensor
from tinytorch.core.training import clip_grad_norm, diagnose_gradients


def relu_stack(depth, width, seed, weight_scale=1.0):
    np.random.seed(seed)
    layers = []
    for _ in range(depth):
        layer = Linear(width, width, init="he")
        layer.weight.data *= weight_scale
        layers += [layer, ReLU()]
    return Sequential(*layers, Linear(width, 3))


def backward(model, width, seed):
    rng = np.random.default_rng(seed)
    x = Tensor(rng.standard_normal((32, width)).astype(np.float32))
    CrossEntropyLoss()(model(x), rng.integers(0, 3, size=32)).backward()
    return model


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("scale", [4.0, 6.0])
def test_badly_initialized_stacks_are_flagged_as_exploding(scale, seed):
    report = diagnose_gradients(backward(relu_stack(8, 16, seed, scale), 16, seed))
    exploding = [p for p in report.problems if p.startswith("exploding")]
    assert exploding and not report.healthy, str(report)
    assert "clip_grad_norm" in exploding[0] and "learning rate" in exploding[0]
    assert "exploding" in report.flags.values()


@pytest.mark.parametrize("seed", range(4))
def test_the_same_stack_with_he_init_is_healthy(seed):
    assert diagnose_gradients(backward(relu_stack(8, 16, seed), 16, seed)).healthy


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_gradients_are_exploding(bad):
    model = backward(relu_stack(3, 8, 0), 8, 0)
    model.layers[4].bias.grad[1] = bad
    report = diagnose_gradients(model)
    assert report.flags["layers.4.bias"] == "exploding"
    assert any(p.startswith("exploding") and "layers.4.bias" in p for p in report.problems)


def test_gradients_growing_toward_the_input_are_flagged_before_they_are_huge():
    # ReLU stacks scaled up grow activations forward and gradients backward at the same rate,
    # so weight gradients stay level; a recurrent-style growth puts the big norms at the input.
    model = backward(relu_stack(4, 8, 2), 8, 2)
    for i, layer in enumerate(model.layers[::2]):
        layer.weight.grad = np.full(layer.weight.shape, 10.0 ** (2 - i), dtype=np.float32)
    report = diagnose_gradients(model)   # norms 800 ... 0.02: none above 1e3, ratio 4e4
    assert any(p.startswith("exploding") and "toward the input" in p for p in report.problems), str(report)
    assert diagnose_gradients(model, vanishing=1e-6).healthy


def test_clipping_bounds_the_update_of_an_exploding_stack():
    model = backward(relu_stack(8, 16, 3, weight_scale=4.0), 16, 3)
    norm = clip_grad_norm(model.parameters(), max_norm=1.0)
    assert norm > 1e3
    after = np.sqrt(sum(np.sum(p.grad.astype(np.float64) ** 2) for p in model.parameters()))
    assert after == pytest.approx(1.0, rel=1e-6)
    assert not any("above" in p for p in diagnose_gradients(model).problems), "no norm is above the limit any more"
