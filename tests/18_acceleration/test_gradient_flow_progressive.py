"""Module 18 with modules 01-07: a model whose forward uses the fused kernels gives the plain
model's outputs and gradients, and trains the same way with an optimizer."""
import copy

import numpy as np

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import check_gradient_flow, check_model_gradients
from tinytorch.core.activations import GELU, Tanh
from tinytorch.core.autograd import no_grad
from tinytorch.core.layers import Linear, Sequential
from tinytorch.core.losses import CrossEntropyLoss, MSELoss
from tinytorch.core.optimizers import Adam
from tinytorch.core.tensor import Tensor
from tinytorch.perf.acceleration import FusedLinearGELU, fuse_linear_gelu, linear_gelu


def plain_mlp(seed, dtype=np.float32):
    np.random.seed(seed)
    model = Sequential(Linear(5, 12), GELU(), Linear(12, 8), GELU(), Tanh(), Linear(8, 3))
    for p in model.parameters():
        p.data = p.data.astype(dtype)
    return model


def gradients(model, x, targets):
    for p in model.parameters():
        p.zero_grad()
    x.zero_grad()
    loss = CrossEntropyLoss()(model(x), targets)
    loss.backward()
    return loss.item(), [p.grad.copy() for p in model.parameters()], x.grad.copy()


def test_fused_model_has_the_plain_models_outputs_and_gradients():
    plain = plain_mlp(181)
    fused = fuse_linear_gelu(plain)
    assert [type(layer) for layer in fused.layers] == [FusedLinearGELU, FusedLinearGELU, Tanh, Linear]
    assert [id(p) for p in fused.parameters()] == [id(p) for p in plain.parameters()]
    rng = np.random.default_rng(181)
    x = Tensor(rng.standard_normal((9, 5)).astype(np.float32), requires_grad=True)
    targets = rng.integers(0, 3, size=9)
    plain_loss, plain_grads, plain_x_grad = gradients(plain, x, targets)
    fused_loss, fused_grads, fused_x_grad = gradients(fused, x, targets)
    np.testing.assert_allclose(fused_loss, plain_loss, rtol=1e-6)
    np.testing.assert_allclose(fused_x_grad, plain_x_grad, rtol=1e-4, atol=1e-6)
    for plain_grad, fused_grad in zip(plain_grads, fused_grads):
        assert np.any(fused_grad != 0)
        np.testing.assert_allclose(fused_grad, plain_grad, rtol=1e-4, atol=1e-6)


def test_fused_model_gradients_match_central_differences_in_float64():
    fused = fuse_linear_gelu(plain_mlp(182, np.float64))
    rng = np.random.default_rng(182)
    x = Tensor(rng.standard_normal((2, 4, 5)), requires_grad=True)
    target = Tensor(rng.standard_normal((2, 4, 3)))
    check_model_gradients(fused, lambda: MSELoss()(fused(x), target), inputs={"x": x}, max_entries=15)


def test_linear_gelu_without_bias_and_through_a_one_dimensional_input():
    rng = np.random.default_rng(183)
    weight = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    x = Tensor(rng.standard_normal(4), requires_grad=True)
    upstream = Tensor(rng.standard_normal(3))
    check_gradient_flow(lambda: (linear_gelu(x, weight) * upstream).sum(), {"x": x, "weight": weight})


def test_linear_gelu_records_no_graph_under_no_grad():
    layer = Linear(3, 2)
    with no_grad():
        out = linear_gelu(Tensor(np.ones((1, 3), dtype=np.float32)), layer.weight, layer.bias)
    assert out.grad_fn is None and not out.requires_grad


def test_fused_and_plain_models_train_identically_with_adam():
    plain = plain_mlp(184)
    twin = copy.deepcopy(plain)
    fused = fuse_linear_gelu(twin)
    rng = np.random.default_rng(184)
    x = Tensor(rng.standard_normal((64, 5)).astype(np.float32))
    targets = (x.data[:, 0] > 0).astype(int) + (x.data[:, 1] > 0).astype(int)
    losses = {}
    for name, model in (("plain", plain), ("fused", fused)):
        optimizer = Adam(model.parameters(), lr=0.02)
        history = []
        for _ in range(60):
            optimizer.zero_grad()
            loss = CrossEntropyLoss()(model(x), targets)
            loss.backward()
            optimizer.step()
            history.append(loss.item())
        losses[name] = history
    assert losses["plain"][-1] < 0.5 * losses["plain"][0], losses["plain"][::10]
    np.testing.assert_allclose(losses["fused"], losses["plain"], rtol=1e-3, atol=1e-4)
    for p_plain, p_fused in zip(plain.parameters(), fused.parameters()):
        np.testing.assert_allclose(p_fused.data, p_plain.data, rtol=1e-3, atol=1e-4)
