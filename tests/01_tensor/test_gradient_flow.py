"""Gradients of every Tensor operation of module 01, once module 05's autograd is on."""
import numpy as np
import pytest

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import check_gradient_flow
from tinytorch.core.tensor import Tensor

RNG = np.random.default_rng(1)


def leaf(*shape, low=None, high=None):
    values = RNG.uniform(low, high, size=shape) if low is not None else RNG.standard_normal(shape)
    return Tensor(values, requires_grad=True)


@pytest.mark.parametrize("uses,build", [
    ("av", lambda a, b, v: a + v),
    ("abv", lambda a, b, v: a - b - v),
    ("abv", lambda a, b, v: a * v * b),
    ("av", lambda a, b, v: a / v),
    ("ab", lambda a, b, v: -a * b),
    ("abv", lambda a, b, v: (1.5 + a) * (2.0 - b) + 3.0 * a + 1.0 / v),
    ("av", lambda a, b, v: v ** 3 + (v ** 0.5) * a),
    ("av", lambda a, b, v: a.exp() * v.log()),
], ids=["add-broadcast", "sub", "mul-broadcast", "div", "neg", "reflected", "pow", "exp-log"])
def test_elementwise_operations(uses, build):
    tensors = {"a": leaf(3, 4), "b": leaf(3, 4), "v": leaf(4, low=0.5, high=2.0)}
    up = RNG.standard_normal((3, 4))
    check_gradient_flow(lambda: (build(**tensors) * up).sum(), {name: tensors[name] for name in uses})


@pytest.mark.parametrize("left,right", [((3, 4), (4, 2)), ((2, 3, 4), (4, 5)), ((4,), (4, 3)), ((3, 4), (4,)), ((5, 2, 3), (5, 3, 2))])
def test_matmul_in_every_shape(left, right):
    a, b = leaf(*left), leaf(*right)
    check_gradient_flow(lambda: ((a @ b) * 1.0).sum() + (a @ b).mean(), {"a": a, "b": b})


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions(axis, keepdims):
    x = leaf(2, 3, 4)
    weights = RNG.standard_normal(np.sum(x.data, axis=axis, keepdims=keepdims).shape)
    check_gradient_flow(
        lambda: (x.sum(axis=axis, keepdims=keepdims) * weights).sum()
        + (x.mean(axis=axis, keepdims=keepdims) * weights).sum()
        + (x.max(axis=axis, keepdims=keepdims) * weights).sum(),
        {"x": x},
    )


def test_shape_operations_and_indexing():
    x = leaf(2, 3, 4)
    up = RNG.standard_normal((4, 6))
    check_gradient_flow(lambda: (x.reshape(6, -1).T * up).sum() + x.transpose(0, 2).sum(axis=0).max(), {"x": x})
    ids = np.array([1, 0, 1, 1])
    check_gradient_flow(lambda: (x[:, ids] * 2.0).sum() + x[0, 1:].exp().sum() + x[x.data > 0].sum(), {"x": x})
    check_gradient_flow(lambda: x[Tensor(np.array([1.0, 1.0]))].sum(), {"x": x})


def test_max_shares_the_gradient_between_ties():
    x = Tensor(np.array([1.0, 3.0, 3.0]), requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad, [0.0, 0.5, 0.5])


def test_a_tensor_used_many_times_accumulates():
    x = leaf(3)
    check_gradient_flow(lambda: (x * x * x + x @ x + x[0] * x[np.array([0, 0])].sum()).sum(), {"x": x})


def test_gradients_have_the_dtype_of_their_tensor():
    w = Tensor(np.ones((2, 2), dtype=np.float32), requires_grad=True)
    (w * 0.1 + w @ w).sum().backward()
    assert w.grad.dtype == np.float32 and w.grad.shape == (2, 2)
