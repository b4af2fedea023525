# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Module 05 — Autograd
#
# Training a network means asking, for every parameter, "if I nudge you, how does the loss
# change?" — the gradient. For a model with a million parameters you cannot nudge each one
# and re-run the model; you need all million derivatives from **one** backward pass. This
# module builds the machine that does it: **automatic differentiation** in reverse mode, the
# engine inside PyTorch's `loss.backward()`.
#
# **What you build.** A `Function` for every Tensor operation of module 01 — the operation's
# local derivative, nothing more — and an engine that records which Function made each
# tensor, orders the recorded graph, and runs the chain rule backwards through it in one
# pass. Then `enable_autograd()` switches it on for the Tensor, activations and losses you
# already have, **without rewriting them**.
#
# **What you need.** Module 01's `Tensor`; the hand-written `backward` methods of the
# activations (02), `Linear` (03) and the losses (04). You have already derived most of the
# calculus: this module is about putting local derivatives together.
#
# **Where it lands.** `tinytorch/core/autograd.py`. Importing it switches gradients on, and
# everything from module 06 on relies on that.

# %%
#| default_exp core.autograd
#| export
import numpy as np

from tinytorch.core.activations import Activation
from tinytorch.core.losses import Loss
from tinytorch.core.tensor import Tensor

# %%
import time

import matplotlib.pyplot as plt

from tinytorch.core.activations import GELU, ReLU, Sigmoid, Softmax, Tanh
from tinytorch.core.layers import Linear, Sequential
from tinytorch.core.losses import BinaryCrossEntropyLoss, CrossEntropyLoss, MSELoss

from autograder.gradcheck import check_gradient_flow, check_model_gradients, check_vjp

# %% [markdown]
# ## The idea: a graph of local derivatives
#
# Take $L = \big(a \cdot b + a\big)$ summed, for tensors $a$ and $b$. Evaluating it builds
# a small graph, each box an operation that knows only its own inputs:
#
# ```
#   a ──┬──► [ * ] ── c ──► [ + ] ── d ──► [ sum ] ── L
#   b ──┘               a ──┘
# ```
#
# The **chain rule** says the gradient of $L$ with respect to any tensor is the sum, over
# every path from that tensor to $L$, of the product of local derivatives along the path.
# Reverse mode computes it by walking the graph **backwards once**: start with
# $\partial L/\partial L = 1$, and at each box turn the gradient of its output into
# gradients of its inputs:
#
# | box | forward | backward (given $g = \partial L / \partial \text{out}$) |
# |---|---|---|
# | `*` | $c = a \cdot b$ | $\partial L/\partial a \mathrel{+}= g \cdot b$, $\;\partial L/\partial b \mathrel{+}= g \cdot a$ |
# | `+` | $d = c + a$ | $\partial L/\partial c \mathrel{+}= g$, $\;\partial L/\partial a \mathrel{+}= g$ |
# | `sum` | $L = \sum d$ | $\partial L/\partial d = g \cdot \mathbf{1}$ |
#
# Two things in that table are the whole difficulty:
#
# 1. **Accumulation** (`+=`): $a$ is used twice, so its gradient is the *sum* of what both
#    uses send back: $\partial L/\partial a = b + 1$. Overwriting instead of adding is the
#    classic autograd bug.
# 2. **Order**: a box may only run its backward when the gradient of its output is
#    complete, i.e. after every box that uses its output. A **topological order** of the
#    graph, walked in reverse, guarantees it.
#
# Each box's backward is a **vector-Jacobian product**: given $g$ with the output's shape,
# return $g^\top \frac{\partial\,\text{out}}{\partial\,\text{in}}$ with the input's shape —
# never the Jacobian itself, which for a $1000 \times 1000$ matrix product would have $10^{12}$
# entries.

# %% [markdown]
# ## Step 1 — `Function`, and gradients of broadcast operations
#
# A `Function` is one box of the graph: it keeps the operation's inputs (the edges back
# into the graph) and turns the gradient of its output into one gradient per input. Inputs
# that are plain numbers are constants and get `None`.
#
# **Broadcasting in reverse.** In `x + bias` with `x` of shape `(3, 4)` and `bias` of shape
# `(4,)`, the bias is read three times, once per row. Its gradient must therefore add up the
# three rows of $g$: `g.sum(axis=0)`. In general a broadcast input's gradient is summed over
# every axis that broadcasting added (leading axes) or stretched (axes where the input has
# size 1). `unbroadcast(grad, shape)` does that; the engine applies it to every gradient, so
# each Function may return gradients of the *output's* shape.

# %% nbgrader={"grade": false, "grade_id": "function-base", "locked": false, "schema_version": 3, "solution": true}
#| export
class Function:
    """One node of the computation graph: the operation that made a tensor.

    `inputs` are the operation's arguments in order: Tensors (edges back into the graph)
    and plain values (constants). `backward(grad_output)` returns one gradient per input,
    a numpy array or None, in the shape of the operation's output or of that input:
    the engine sums broadcast gradients back to each input's shape.
    """

    def __init__(self, *inputs):
        self.inputs = inputs

    def backward(self, grad_output):
        raise NotImplementedError(f"{type(self).__name__}.backward")


def value_of(x):
    """The numpy data of a Tensor, or a constant unchanged."""
    return x.data if isinstance(x, Tensor) else x


def unbroadcast(grad, shape):
    """Sum `grad` down to `shape`, undoing numpy broadcasting.

    Sum over the leading axes that broadcasting added (grad.ndim - len(shape) of them),
    then over every axis where `shape` has size 1 but grad does not (keepdims=True).
    Example: grad (2, 3, 4) to shape (3, 1) -> sum axis 0 -> (3, 4) -> sum axis 1 -> (3, 1).
    """
    ### BEGIN SOLUTION
    grad = np.asarray(grad)
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(axis for axis, size in enumerate(shape) if size == 1 and grad.shape[axis] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad.reshape(shape)
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "unbroadcast", "locked": true, "points": 2, "schema_version": 3, "solution": false}
g = np.ones((2, 3, 4))
assert unbroadcast(g, (2, 3, 4)).shape == (2, 3, 4), "no broadcasting: unchanged"
np.testing.assert_allclose(unbroadcast(g, (4,)), np.full(4, 6.0), err_msg="(2,3,4) -> (4,): sum the two leading axes")
np.testing.assert_allclose(unbroadcast(g, (3, 1)), np.full((3, 1), 8.0), err_msg="(2,3,4) -> (3,1)")
np.testing.assert_allclose(unbroadcast(g, ()), 24.0, err_msg="(2,3,4) -> (): a scalar that was broadcast everywhere")
print("Step 1 passed: broadcast gradients are summed back to each input's shape.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(5001)
for _ in range(10):
    shape = tuple(int(s) for s in rng.integers(1, 4, size=rng.integers(1, 4)))
    lead = tuple(int(s) for s in rng.integers(1, 4, size=rng.integers(0, 3)))
    small = tuple(1 if rng.random() < 0.5 else s for s in shape)
    x = rng.standard_normal(small)
    up = rng.standard_normal(lead + shape)
    # L = sum((x broadcast to lead+shape) * up): dL/dx is up summed back to x's shape
    check_vjp("unbroadcast", lambda x: np.broadcast_to(x, lead + shape) * 1.0,
              lambda u, x: unbroadcast(u, x.shape), [x], seed=int(rng.integers(1000)))
    got = unbroadcast(up, small)
    assert got.shape == small, f"unbroadcast to {small} gave shape {got.shape}"
### END HIDDEN TESTS

# %% [markdown]
# ## Step 2 — Arithmetic
#
# With $g = \partial L / \partial\,\text{out}$:
#
# | operation | $\partial L/\partial a$ | $\partial L/\partial b$ |
# |---|---|---|
# | $a + b$ | $g$ | $g$ |
# | $a - b$ | $g$ | $-g$ |
# | $a \cdot b$ | $g \cdot b$ | $g \cdot a$ |
# | $a / b$ | $g / b$ | $-g \cdot a / b^2$ |
# | $-a$ | $-g$ | |
# | $a^p$ ($p$ a number) | $g \cdot p\,a^{p-1}$ | |
#
# Return gradients in the output's shape; `unbroadcast` is the engine's job. Either input
# may be a plain number: `value_of` gives you its value either way, and the engine ignores
# gradients of constants, so you may return one for them too.

# %% nbgrader={"grade": false, "grade_id": "arithmetic-functions", "locked": false, "schema_version": 3, "solution": true}
#| export
class AddBackward(Function):
    def backward(self, grad_output):
        ### BEGIN SOLUTION
        return grad_output, grad_output
        ### END SOLUTION


class SubBackward(Function):
    def backward(self, grad_output):
        ### BEGIN SOLUTION
        return grad_output, -grad_output
        ### END SOLUTION


class MulBackward(Function):
    def backward(self, grad_output):
        a, b = (value_of(x) for x in self.inputs)
        ### BEGIN SOLUTION
        return grad_output * b, grad_output * a
        ### END SOLUTION


class DivBackward(Function):
    def backward(self, grad_output):
        a, b = (value_of(x) for x in self.inputs)
        ### BEGIN SOLUTION
        return grad_output / b, -grad_output * a / (b * b)
        ### END SOLUTION


class NegBackward(Function):
    def backward(self, grad_output):
        ### BEGIN SOLUTION
        return (-grad_output,)
        ### END SOLUTION


class PowBackward(Function):
    """a ** exponent, for a number `exponent` (the second input)."""

    def backward(self, grad_output):
        a, exponent = value_of(self.inputs[0]), self.inputs[1]
        ### BEGIN SOLUTION
        return grad_output * exponent * a ** (exponent - 1), None
        ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "arithmetic-gradients", "locked": true, "points": 3, "schema_version": 3, "solution": false}
a, b = Tensor(np.array([1.0, 2.0])), Tensor(np.array([3.0, 5.0]))
g = np.array([1.0, 10.0])
for function, want in [
    (AddBackward(a, b), ([1, 10], [1, 10])),
    (SubBackward(a, b), ([1, 10], [-1, -10])),
    (MulBackward(a, b), ([3, 50], [1, 20])),
    (DivBackward(a, b), ([1 / 3, 2.0], [-1 / 9, -10 * 2 / 25])),
]:
    got = function.backward(g)
    for position in (0, 1):
        np.testing.assert_allclose(got[position], want[position], err_msg=f"{type(function).__name__}, input {position}")
np.testing.assert_allclose(NegBackward(a).backward(g)[0], [-1, -10], err_msg="NegBackward")
np.testing.assert_allclose(PowBackward(a, 3).backward(g)[0], [3, 120], err_msg="PowBackward: 3 a^2 g")
np.testing.assert_allclose(MulBackward(a, 2.0).backward(g)[0], [2, 20], err_msg="MulBackward with a constant")
print("Step 2 passed: arithmetic gradients.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(5002)
x, y = rng.standard_normal((3, 4)), rng.uniform(0.5, 2.0, size=(3, 4))
pairs = [(AddBackward, lambda a, b: a + b), (SubBackward, lambda a, b: a - b),
         (MulBackward, lambda a, b: a * b), (DivBackward, lambda a, b: a / b)]
for cls, forward in pairs:
    check_vjp(cls.__name__, forward, lambda u, a, b, cls=cls: cls(Tensor(a), Tensor(b)).backward(u), [x, y], seed=7)
    check_vjp(cls.__name__ + " (constant right)", lambda a, f=forward: f(a, 1.7),
              lambda u, a, cls=cls: cls(Tensor(a), 1.7).backward(u)[0], [x], seed=8)
check_vjp("NegBackward", lambda a: -a, lambda u, a: NegBackward(Tensor(a)).backward(u)[0], [x])
for p in (2, 3, 0.5, -1.0):
    check_vjp(f"PowBackward (p={p})", lambda a, p=p: a ** p, lambda u, a, p=p: PowBackward(Tensor(a), p).backward(u)[0], [y])
### END HIDDEN TESTS

# %% [markdown]
# ## Step 3 — Matrix multiplication
#
# For $C = AB$ with $A$ of shape $(m, k)$ and $B$ of shape $(k, n)$, and $G = \partial L/\partial C$
# of shape $(m, n)$:
# $$\frac{\partial L}{\partial A} = G B^\top \;\; (m, n)(n, k) \to (m, k), \qquad
#   \frac{\partial L}{\partial B} = A^\top G \;\; (k, m)(m, n) \to (k, n).$$
# You can rebuild both from the shapes alone: there is only one way to multiply $G$ with
# the other factor and land on the right shape. Batched inputs work the same with the last
# two axes (`np.swapaxes(x, -1, -2)` transposes them); `unbroadcast` then sums a shared
# weight's gradient over the batch. 1-D inputs are the one special case: treat a vector
# on the left as a $(1, k)$ row and on the right as a $(k, 1)$ column, reshape $G$ to the
# matching 2-D shape, and drop the extra axis from that input's gradient at the end.

# %% nbgrader={"grade": false, "grade_id": "matmul-function", "locked": false, "schema_version": 3, "solution": true}
#| export
class MatmulBackward(Function):
    def backward(self, grad_output):
        a, b = (np.asarray(value_of(x)) for x in self.inputs)
        ### BEGIN SOLUTION
        a2 = a[np.newaxis, :] if a.ndim == 1 else a  # a row (1, k)
        b2 = b[:, np.newaxis] if b.ndim == 1 else b  # a column (k, 1)
        batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
        g = np.reshape(grad_output, batch + (a2.shape[-2], b2.shape[-1]))
        grad_a = g @ np.swapaxes(b2, -1, -2)
        grad_b = np.swapaxes(a2, -1, -2) @ g
        if a.ndim == 1:
            grad_a = grad_a[..., 0, :]
        if b.ndim == 1:
            grad_b = grad_b[..., 0]
        return grad_a, grad_b
        ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "matmul-gradient", "locked": true, "points": 3, "schema_version": 3, "solution": false}
A = Tensor(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
B = Tensor(np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 3.0]]))
G = np.ones((3, 3))
grad_a, grad_b = MatmulBackward(A, B).backward(G)
np.testing.assert_allclose(grad_a, G @ B.data.T, err_msg="dL/dA = G @ B.T")
np.testing.assert_allclose(grad_b, A.data.T @ G, err_msg="dL/dB = A.T @ G")
check_vjp("MatmulBackward", lambda a, b: a @ b, lambda u, a, b: MatmulBackward(Tensor(a), Tensor(b)).backward(u),
          [np.random.default_rng(1).standard_normal((4, 3)), np.random.default_rng(2).standard_normal((3, 5))])
print("Step 3 passed: matmul gradients.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(5003)
for left, right in [((2, 3), (3, 4)), ((5, 2, 3), (3, 4)), ((2, 5, 2, 3), (5, 3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((4,), (4,)), ((6, 2, 3), (3,))]:
    x, y = rng.standard_normal(left), rng.standard_normal(right)
    check_vjp(f"MatmulBackward {left} @ {right}", lambda a, b: np.matmul(a, b),
              lambda u, a, b: [unbroadcast(g, s.shape) for g, s in zip(MatmulBackward(Tensor(a), Tensor(b)).backward(u), (a, b))],
              [x, y], seed=int(rng.integers(1000)))
### END HIDDEN TESTS

# %% [markdown]
# ## Step 4 — Reductions, reshape, transpose, indexing
#
# **Sum** copies the gradient back to every element that was added: $\partial L/\partial a = g$
# broadcast to $a$'s shape. **Mean** does the same divided by the number of elements
# averaged. **Max** sends the gradient only to the element that won (if several tie, they
# share it equally). The given helper `expand_reduced` puts the reduced axes back into $g$
# (as size-1 axes) so that it broadcasts against $a$.
#
# **Reshape** and **transpose** only move numbers around, so their backward moves the
# gradient back: reshape $g$ to $a$'s shape; swap the same two axes again.
#
# **Indexing** `a[key]` picks elements; its backward puts $g$ into a zero array of $a$'s shape
# at the same places. When an index repeats (`a[[0, 0, 1]]`, an embedding lookup of a
# repeated token), the gradients must **add**: `grad[key] += g` does *not* do that in numpy
# (repeated places are written once); `np.add.at(grad, key, g)` does.

# %% nbgrader={"grade": false, "grade_id": "reduction-shape-functions", "locked": false, "schema_version": 3, "solution": true}
#| export
def expand_reduced(grad, axis, keepdims):
    """Give a reduction's gradient back the axes it reduced away (as size 1)."""
    grad = np.asarray(grad)
    if axis is None or keepdims:
        return grad
    return np.expand_dims(grad, axis)


class SumBackward(Function):
    def __init__(self, a, axis=None, keepdims=False):
        super().__init__(a)
        self.axis, self.keepdims = axis, keepdims

    def backward(self, grad_output):
        a = self.inputs[0].data
        ### BEGIN SOLUTION
        return (np.broadcast_to(expand_reduced(grad_output, self.axis, self.keepdims), a.shape),)
        ### END SOLUTION


class MeanBackward(Function):
    def __init__(self, a, axis=None, keepdims=False):
        super().__init__(a)
        self.axis, self.keepdims = axis, keepdims

    def backward(self, grad_output):
        a = self.inputs[0].data
        ### BEGIN SOLUTION
        count = a.size / np.size(grad_output)
        return (np.broadcast_to(expand_reduced(grad_output, self.axis, self.keepdims), a.shape) / count,)
        ### END SOLUTION


class MaxBackward(Function):
    def __init__(self, a, axis=None, keepdims=False):
        super().__init__(a)
        self.axis, self.keepdims = axis, keepdims

    def backward(self, grad_output):
        a = self.inputs[0].data
        ### BEGIN SOLUTION
        winners = a == a.max(axis=self.axis, keepdims=True)
        share = winners / winners.sum(axis=self.axis, keepdims=True)
        return (share * expand_reduced(grad_output, self.axis, self.keepdims),)
        ### END SOLUTION


class ReshapeBackward(Function):
    def backward(self, grad_output):
        a = self.inputs[0].data
        ### BEGIN SOLUTION
        return (np.reshape(grad_output, a.shape),)
        ### END SOLUTION


class TransposeBackward(Function):
    def __init__(self, a, dim0=-2, dim1=-1):
        super().__init__(a)
        self.dims = (dim0, dim1)

    def backward(self, grad_output):
        a = self.inputs[0].data
        ### BEGIN SOLUTION
        if a.ndim < 2:
            return (grad_output,)
        return (np.swapaxes(grad_output, *self.dims),)
        ### END SOLUTION


class GetitemBackward(Function):
    def __init__(self, a, key):
        super().__init__(a)
        self.key = key.data.astype(np.int64) if isinstance(key, Tensor) else key

    def backward(self, grad_output):
        a = self.inputs[0].data
        ### BEGIN SOLUTION
        grad = np.zeros(a.shape, dtype=np.result_type(a.dtype, np.asarray(grad_output).dtype))
        np.add.at(grad, self.key, grad_output)
        return (grad,)
        ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "reduction-shape-gradients", "locked": true, "points": 3, "schema_version": 3, "solution": false}
x = Tensor(np.array([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]]))
np.testing.assert_allclose(SumBackward(x, 1).backward(np.array([1.0, 2.0]))[0], [[1, 1, 1], [2, 2, 2]], err_msg="sum over axis 1")
np.testing.assert_allclose(MeanBackward(x).backward(np.array(6.0))[0], np.ones((2, 3)), err_msg="mean of 6 elements: g / 6")
np.testing.assert_allclose(MaxBackward(x, 1).backward(np.array([1.0, 1.0]))[0], [[0, 1, 0], [0, 0, 1]], err_msg="max routes to the winner")
np.testing.assert_allclose(ReshapeBackward(x, 6).backward(np.arange(6.0))[0], np.arange(6.0).reshape(2, 3), err_msg="reshape back")
np.testing.assert_allclose(TransposeBackward(x).backward(np.ones((3, 2)))[0], np.ones((2, 3)), err_msg="transpose back")
np.testing.assert_allclose(GetitemBackward(x, ([0, 0, 1], [1, 1, 2])).backward(np.ones(3))[0], [[0, 2, 0], [0, 0, 1]],
                           err_msg="a repeated index must accumulate (np.add.at)")
print("Step 4 passed: reductions and shape operations send gradients back.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(5004)
values = rng.standard_normal((3, 4, 5))
for axis in (None, 0, 2, -1, (0, 2)):
    for keepdims in (False, True):
        for cls, name in [(SumBackward, "sum"), (MeanBackward, "mean"), (MaxBackward, "max")]:
            check_vjp(f"{cls.__name__}(axis={axis}, keepdims={keepdims})",
                      lambda a, name=name, axis=axis, keepdims=keepdims: getattr(a, name)(axis=axis, keepdims=keepdims),
                      lambda u, a, cls=cls, axis=axis, keepdims=keepdims: cls(Tensor(a), axis, keepdims).backward(u)[0],
                      [values], seed=int(rng.integers(1000)))
tie = MaxBackward(Tensor(np.array([2.0, 7.0, 7.0])), None, False).backward(np.array(1.0))[0]
np.testing.assert_allclose(tie, [0, 0.5, 0.5], err_msg="tied maxima share the gradient")
check_vjp("ReshapeBackward", lambda a: a.reshape(5, -1), lambda u, a: ReshapeBackward(Tensor(a), 5, -1).backward(u)[0], [values])
for dims in [(0, 1), (1, 2), (-1, -2)]:
    check_vjp(f"TransposeBackward{dims}", lambda a, d=dims: np.swapaxes(a, *d),
              lambda u, a, d=dims: TransposeBackward(Tensor(a), *d).backward(u)[0], [values])
for key in [1, (slice(None), 2), (np.array([0, 2, 0, 0]),), (np.array([1, 1]), np.array([0, 0]), slice(1, 3))]:
    check_vjp(f"GetitemBackward[{key!r}]", lambda a, k=key: a[k], lambda u, a, k=key: GetitemBackward(Tensor(a), k).backward(u)[0], [values])
### END HIDDEN TESTS

# %% [markdown]
# ## Step 5 — `exp` and `log`
#
# $\frac{d}{da} e^a = e^a$ and $\frac{d}{da} \log a = 1/a$. Note that `exp`'s backward needs
# $e^a$ again: recomputing it costs a pass over memory, keeping the output costs memory.
# Real frameworks keep it; we recompute, to keep each Function independent of the output.

# %% nbgrader={"grade": false, "grade_id": "exp-log-functions", "locked": false, "schema_version": 3, "solution": true}
#| export
class ExpBackward(Function):
    def backward(self, grad_output):
        a = self.inputs[0].data
        ### BEGIN SOLUTION
        return (grad_output * np.exp(a),)
        ### END SOLUTION


class LogBackward(Function):
    def backward(self, grad_output):
        a = self.inputs[0].data
        ### BEGIN SOLUTION
        return (grad_output / a,)
        ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "exp-log-gradients", "locked": true, "points": 2, "schema_version": 3, "solution": false}
x = Tensor(np.array([0.0, 1.0, 2.0]))
np.testing.assert_allclose(ExpBackward(x).backward(np.ones(3))[0], np.exp([0, 1, 2]), err_msg="d/da exp(a) = exp(a)")
np.testing.assert_allclose(LogBackward(Tensor(np.array([1.0, 2.0, 4.0]))).backward(np.ones(3))[0], [1, 0.5, 0.25], err_msg="d/da log(a) = 1/a")
print("Step 5 passed: exp and log.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(5005)
values = rng.uniform(0.2, 3.0, size=(4, 3))
check_vjp("ExpBackward", np.exp, lambda u, a: ExpBackward(Tensor(a)).backward(u)[0], [values - 1.0], seed=3)
check_vjp("LogBackward", np.log, lambda u, a: LogBackward(Tensor(a)).backward(u)[0], [values], seed=4)
### END HIDDEN TESTS

# %% [markdown]
# ## Step 6 — The engine: one backward pass in topological order
#
# A tensor made by an operation carries `grad_fn`, the Function that made it; a tensor you
# created yourself (an input, a weight) is a **leaf** with `grad_fn = None`. Following
# `grad_fn.inputs` from the loss walks the whole graph backwards.
#
# `topological_order(root)` lists every tensor reachable from `root` so that each tensor
# comes **after** all of its inputs. Depth-first search gives it: a tensor is appended once
# all of its inputs have been. Write it **without recursion** — a deep network or a long
# sequence makes a graph thousands of levels deep, far past Python's recursion limit — by
# keeping your own stack of `(tensor, inputs_done)` pairs.
#
# `backward(root, gradient)` then walks that list in reverse, keeping a dictionary
# `id(tensor) -> gradient so far`:
#
# 1. start with `gradient` (ones for a one-element loss) for the root;
# 2. for each tensor, in reverse topological order, take its finished gradient;
#    if it is a leaf that requires grad, **add** it into `tensor.grad` (so two `backward`
#    calls accumulate, as in PyTorch — `zero_grad()` resets);
# 3. if it has a `grad_fn`, ask it for its inputs' gradients, `unbroadcast` each to its
#    input's shape, and **add** it to that input's entry in the dictionary.
#
# Every tensor is visited once and every edge once: the pass is linear in the size of the
# graph. Only leaves keep `.grad`: intermediate gradients are dropped as soon as they are
# used, which is what keeps the memory of a backward pass in check.

# %% nbgrader={"grade": false, "grade_id": "topological-backward", "locked": false, "schema_version": 3, "solution": true}
#| export
def topological_order(root):
    """Every tensor reachable from root through grad_fn.inputs, each after all its inputs."""
    ### BEGIN SOLUTION
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        tensor, inputs_done = stack.pop()
        if inputs_done:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        if tensor.grad_fn is not None:
            for parent in tensor.grad_fn.inputs:
                if isinstance(parent, Tensor) and id(parent) not in visited:
                    stack.append((parent, False))
    return order
    ### END SOLUTION


def backward(root, gradient=None):
    """Accumulate d(root)/d(leaf) into `.grad` of every leaf that requires grad."""
    if gradient is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backward() without a gradient needs a one-element tensor such as a loss, got shape "
                f"{root.shape}: reduce it first (.sum(), .mean()) or pass the gradient of the output"
            )
        gradient = np.ones_like(root.data)
    ### BEGIN SOLUTION
    grads = {id(root): np.asarray(gradient, dtype=root.dtype)}
    for tensor in reversed(topological_order(root)):
        grad = grads.pop(id(tensor), None)
        if grad is None:
            continue
        if tensor.grad_fn is None:
            if tensor.requires_grad:
                grad = np.asarray(grad, dtype=tensor.dtype)
                tensor.grad = grad.copy() if tensor.grad is None else tensor.grad + grad
            continue
        for parent, parent_grad in zip(tensor.grad_fn.inputs, tensor.grad_fn.backward(grad)):
            if parent_grad is None or not isinstance(parent, Tensor) or not parent.requires_grad:
                continue
            parent_grad = unbroadcast(parent_grad, parent.shape)
            key = id(parent)
            grads[key] = parent_grad if key not in grads else grads[key] + parent_grad
    ### END SOLUTION


def zero_grad(tensor):
    """Forget an accumulated gradient (before the next backward pass)."""
    tensor.grad = None


def record(result, function):
    """Attach `function` to `result` as its grad_fn: what enable_autograd will automate."""
    result.requires_grad = True
    result.grad_fn = function
    return result

# %% nbgrader={"grade": true, "grade_id": "backward-engine", "locked": true, "points": 4, "schema_version": 3, "solution": false}
# L = sum(a * b + a), built by hand with record(): dL/da = b + 1, dL/db = a
a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
b = Tensor(np.array([3.0, 4.0]), requires_grad=True)
c = record(Tensor(a.data * b.data), MulBackward(a, b))
d = record(Tensor(c.data + a.data), AddBackward(c, a))
loss = record(Tensor(d.data.sum()), SumBackward(d))
order = topological_order(loss)
assert len(order) == 5 and order[-1] is loss, f"5 tensors, the loss last; got {len(order)}"
assert order.index(a) < order.index(c) < order.index(d), "every tensor must come after its inputs"
backward(loss)
np.testing.assert_allclose(a.grad, [4.0, 5.0], err_msg="a is used twice: its gradient is b + 1 (accumulate, don't overwrite)")
np.testing.assert_allclose(b.grad, [1.0, 2.0], err_msg="dL/db = a")
assert c.grad is None, "only leaves keep .grad"
backward(loss)
np.testing.assert_allclose(a.grad, [8.0, 10.0], err_msg="a second backward adds to .grad")
print("Step 6 passed: one backward pass in topological order, with accumulation.")
### BEGIN HIDDEN TESTS
# A chain 3000 levels deep: iterative, not recursive, and linear in the graph size.
x = Tensor(np.array([0.5]), requires_grad=True)
node = x
for _ in range(3000):
    node = record(Tensor(node.data + x.data), AddBackward(node, x))
total = record(Tensor(node.data.sum()), SumBackward(node))
backward(total)
np.testing.assert_allclose(x.grad, [3001.0], err_msg="x feeds every level of a 3000-deep chain: gradient 3001")
# broadcasting through the engine: bias (3,) added to (4, 3)
w = Tensor(np.ones((4, 3)), requires_grad=True)
bias = Tensor(np.zeros(3), requires_grad=True)
s = record(Tensor(w.data + bias.data), AddBackward(w, bias))
out = record(Tensor(s.data.sum()), SumBackward(s))
backward(out)
assert bias.grad.shape == (3,), f"bias.grad should be summed back to (3,), got {bias.grad.shape}"
np.testing.assert_allclose(bias.grad, [4.0, 4.0, 4.0])
# a constant that does not require grad gets nothing
k = Tensor(np.array([2.0]))
y = Tensor(np.array([3.0]), requires_grad=True)
p = record(Tensor(k.data * y.data), MulBackward(k, y))
backward(record(Tensor(p.data.sum()), SumBackward(p)))
assert k.grad is None and y.grad is not None, "only tensors that require grad receive gradients"
try:
    backward(w)
except RuntimeError:
    pass
else:
    raise AssertionError("backward() on a non-scalar without a gradient must raise RuntimeError")
### END HIDDEN TESTS

# %% [markdown]
# ## Step 7 — Switching it on: `enable_autograd()`
#
# Module 01's Tensor methods compute values and nothing else. `enable_autograd()` replaces
# each of them with a **tracked** version built by `tracked(plain_method, function_class)`:
#
# ```python
# def method(self, *args, **kwargs):
#     result = plain_method(self, *args, **kwargs)      # module 01's code, unchanged
#     if gradients are enabled and self or a Tensor argument requires grad:
#         result.requires_grad = True
#         result.grad_fn = function_class(self, *args, **kwargs)
#     return result
# ```
#
# Every Function above takes exactly the arguments of its operation
# (`SumBackward(a, axis, keepdims)`), which is why one wrapper fits them all. The same
# wrapper fits the **activations and losses**, whose `__call__` runs a forward on raw numpy:
# `ActivationBackward(activation, x)` and `LossBackward(loss, predictions, targets)` are
# one-node Functions whose backward calls the `backward` you wrote by hand in modules 02
# and 04. Layers built from Tensor operations (`Linear`, `Dropout`) need nothing at all.
#
# Layers of later modules that need a Function of their own (a convolution computed by one
# big matrix product, an embedding lookup) use the given `attach(result, function)`: the same
# rule — record only when gradients are on and an input requires them — for one result.
#
# `no_grad()` switches recording off inside a `with` block: evaluation and optimizer
# updates need no graph, and a graph costs memory (every Function keeps its inputs alive).
#
# Calling `enable_autograd()` again must not wrap the wrappers: it keeps the plain methods
# the first time and always wraps those, so it is **idempotent** — and re-running it after
# you fix a Function picks up the fixed version.

# %% nbgrader={"grade": false, "grade_id": "enable-autograd", "locked": false, "schema_version": 3, "solution": true}
#| export
class ActivationBackward(Function):
    """An activation as one node: its hand-written backward (module 02) is the local derivative."""

    def __init__(self, activation, x):
        super().__init__(x)
        self.activation = activation

    def backward(self, grad_output):
        return (self.activation.backward(self.inputs[0], grad_output),)


class LossBackward(Function):
    """A loss as one node: dL/d(predictions) from its hand-written backward (module 04)."""

    def __init__(self, loss, predictions, targets):
        super().__init__(predictions, targets)
        self.loss = loss

    def backward(self, grad_output):
        predictions, targets = self.inputs
        return grad_output * self.loss.backward(predictions, targets), None


class GradMode:
    """Whether operations record the graph; `no_grad()` turns it off for a block."""

    enabled = True


class no_grad:
    """`with no_grad(): ...` runs without recording a graph (evaluation, optimizer steps)."""

    def __enter__(self):
        self.previous, GradMode.enabled = GradMode.enabled, False
        return self

    def __exit__(self, *exc_info):
        GradMode.enabled = self.previous
        return False


def attach(result, function):
    """Record `function` as result's grad_fn if gradients are on and one of its inputs
    requires grad; return result. Layers with a Function of their own (a convolution, an
    embedding lookup) finish their forward with `return attach(Tensor(out), MyBackward(...))`.
    """
    if GradMode.enabled and any(isinstance(x, Tensor) and x.requires_grad for x in function.inputs):
        result.requires_grad = True
        result.grad_fn = function
    return result


def tracked(plain_method, function_class):
    """Wrap a method so that its result records `function_class(self, *args, **kwargs)`.

    Return a new function `method(self, *args, **kwargs)` that calls `plain_method` with the
    same arguments and then, if GradMode.enabled and `self` or any Tensor among the
    arguments requires grad, sets the result's `requires_grad` to True and its `grad_fn`
    to `function_class(self, *args, **kwargs)`. Give it plain_method's __name__ and
    __doc__, so that help(Tensor.sum) still reads well.
    """
    ### BEGIN SOLUTION
    def method(self, *args, **kwargs):
        result = plain_method(self, *args, **kwargs)
        if GradMode.enabled and any(
            isinstance(x, Tensor) and x.requires_grad for x in (self, *args, *kwargs.values())
        ):
            result.requires_grad = True
            result.grad_fn = function_class(self, *args, **kwargs)
        return result

    method.__name__, method.__doc__ = plain_method.__name__, plain_method.__doc__
    method.__wrapped__ = plain_method
    return method
    ### END SOLUTION


def enable_autograd():
    """Make Tensor operations, activations and losses record the graph. Safe to call again."""
    tensor_functions = {
        "__add__": AddBackward, "__sub__": SubBackward, "__mul__": MulBackward,
        "__truediv__": DivBackward, "__neg__": NegBackward, "__pow__": PowBackward,
        "matmul": MatmulBackward, "sum": SumBackward, "mean": MeanBackward, "max": MaxBackward,
        "reshape": ReshapeBackward, "transpose": TransposeBackward, "__getitem__": GetitemBackward,
        "exp": ExpBackward, "log": LogBackward,
    }
    # Keep the plain methods once, on the class itself, and always wrap those.
    if "_plain_methods" not in Tensor.__dict__:
        Tensor._plain_methods = {name: Tensor.__dict__[name] for name in tensor_functions}
    wrapped = {name: tracked(Tensor._plain_methods[name], cls) for name, cls in tensor_functions.items()}
    for base, cls in ((Activation, ActivationBackward), (Loss, LossBackward)):
        if "_plain_call" not in base.__dict__:
            base._plain_call = base.__dict__["__call__"]
        wrapped_call = tracked(base._plain_call, cls)
        base.__call__ = wrapped_call
    for name, method in wrapped.items():
        setattr(Tensor, name, method)
    Tensor.backward = backward
    Tensor.zero_grad = zero_grad

# %% nbgrader={"grade": true, "grade_id": "tensor-autograd", "locked": true, "points": 4, "schema_version": 3, "solution": false}
enable_autograd()
enable_autograd()  # idempotent: a second call changes nothing
a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
b = Tensor(np.array([3.0, 4.0]), requires_grad=True)
loss = (a * b + a).sum()
assert isinstance(loss.grad_fn, SumBackward), f"loss.grad_fn should be a SumBackward, got {type(loss.grad_fn).__name__}"
loss.backward()
np.testing.assert_allclose(a.grad, [4.0, 5.0], err_msg="d/da sum(a*b + a) = b + 1")
np.testing.assert_allclose(b.grad, [1.0, 2.0], err_msg="d/db sum(a*b + a) = a")
plain = Tensor(np.array([1.0])) * 2
assert plain.grad_fn is None and not plain.requires_grad, "no input requires grad: nothing is recorded"
with no_grad():
    inside = a * 2
assert inside.grad_fn is None, "no_grad() must switch recording off"
assert (a * 2).grad_fn is not None, "recording is back on after the with block"
x = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
(1 - x).sum().backward()
np.testing.assert_allclose(x.grad, -np.ones((2, 2)), err_msg="reflected operations are differentiable too (1 - x)")
print("Step 7 passed: Tensor operations record the graph; loss.backward() works.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(5007)
w = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
v = Tensor(rng.uniform(0.5, 2.0, size=(4,)), requires_grad=True)
m = Tensor(rng.standard_normal((4, 2)), requires_grad=True)
check_gradient_flow(lambda: (((w * v - v / 2.0) ** 2).mean(axis=0, keepdims=True) @ m).sum(), {"w": w, "v": v, "m": m})
check_gradient_flow(lambda: ((w.reshape(2, 6).transpose() + 1.0).exp().log() * -1.0).max(axis=1).sum(), {"w": w})
check_gradient_flow(lambda: (w[np.array([0, 2, 0])] @ m).sum() + (2.0 / v).sum() - (3.0 - v).mean(), {"w": w, "v": v, "m": m})
check_gradient_flow(lambda: (w @ v).sum() + (v @ m).sum() + w.T.sum(axis=0).sum(), {"w": w, "v": v, "m": m})
# idempotent: a gradient computed after many calls is still right (no double recording)
for _ in range(3):
    enable_autograd()
check_gradient_flow(lambda: (w * w).sum(), {"w": w})
### END HIDDEN TESTS

# %% [markdown]
# ## Step 8 — Activations, losses and layers
#
# `enable_autograd()` also wrapped `Activation.__call__` and `Loss.__call__`, so calling an
# activation or a loss now records one node whose backward is the one you wrote in module
# 02 or 04. (Call them, `relu(x)`, as in PyTorch: `relu.forward(x)` skips the recording.)
# `Linear` needs nothing: its forward is `x @ weight + bias`, already made of tracked
# operations. The test below checks all of them against central differences — and checks
# that autograd agrees with the gradients you derived by hand for `Linear` in module 03.

# %% nbgrader={"grade": true, "grade_id": "autograd-components", "locked": true, "points": 4, "schema_version": 3, "solution": false}
enable_autograd()
x = Tensor(np.array([[-1.0, 0.5, 2.0]]), requires_grad=True)
out = Sigmoid()(x)
assert isinstance(out.grad_fn, ActivationBackward), "calling an activation must record an ActivationBackward"
out.sum().backward()
s = 1 / (1 + np.exp(-x.data))
np.testing.assert_allclose(x.grad, s * (1 - s), rtol=1e-6, err_msg="d/dx sum(sigmoid(x))")
logits = Tensor(np.array([[2.0, 1.0, 0.1]]), requires_grad=True)
CrossEntropyLoss()(logits, np.array([0])).backward()
p = np.exp(logits.data) / np.exp(logits.data).sum()
np.testing.assert_allclose(logits.grad, p - [[1, 0, 0]], rtol=1e-6, err_msg="cross-entropy gradient is softmax - one-hot")
print("Step 8 passed: activations and losses are differentiable.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(5008)
for activation in (Sigmoid(), Tanh(), GELU(), Softmax(dim=-1), Softmax(dim=0)):
    x = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    up = rng.standard_normal((3, 4))
    check_gradient_flow(lambda: (activation(x) * up).sum(), {"x": x})
x = Tensor(rng.standard_normal((3, 4)) + np.sign(rng.standard_normal((3, 4))) * 0.2, requires_grad=True)
check_gradient_flow(lambda: (ReLU()(x) * up).sum(), {"x": x})
pred = Tensor(rng.standard_normal((5, 3)), requires_grad=True)
target = rng.standard_normal((5, 3))
check_gradient_flow(lambda: MSELoss()(pred, target) * 3.0, {"pred": pred})
labels = np.array([0, 2, 1, 1, 0])
check_gradient_flow(lambda: CrossEntropyLoss()(pred, labels), {"pred": pred})
probs = Tensor(rng.uniform(0.1, 0.9, size=(6,)), requires_grad=True)
check_gradient_flow(lambda: BinaryCrossEntropyLoss()(probs, np.array([1.0, 0.0, 1.0, 1.0, 0.0, 0.0])), {"probs": probs})
# Linear: autograd agrees with module 03's hand-derived backward and with central differences
layer = Linear(4, 3)
layer.weight = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
layer.bias = Tensor(rng.standard_normal(3), requires_grad=True)
x = Tensor(rng.standard_normal((5, 4)), requires_grad=True)
up = rng.standard_normal((5, 3))
check_model_gradients(layer, lambda: (layer(x) * up).sum(), inputs={"x": x})
by_hand = layer.backward(x, up)
for name, auto, manual in [("x", x.grad, by_hand[0]), ("weight", layer.weight.grad, by_hand[1]), ("bias", layer.bias.grad, by_hand[2])]:
    np.testing.assert_allclose(auto, manual, rtol=1e-9, err_msg=f"autograd and Linear.backward disagree on {name}")
### END HIDDEN TESTS

# %% [markdown]
# ## Seeing the graph
#
# `graph_summary` prints the recorded graph in topological order: every tensor with the
# Function that made it and the tensors it came from. Try it on your own expressions.

# %%
#| export
def graph_summary(root):
    """The graph behind `root` as text, one tensor per line, inputs before outputs."""
    order = topological_order(root)
    names = {id(t): f"t{i}" for i, t in enumerate(order)}
    lines = []
    for tensor in order:
        made_by = "leaf" if tensor.grad_fn is None else (
            type(tensor.grad_fn).__name__ + "(" + ", ".join(
                names.get(id(x), repr(x)) if isinstance(x, Tensor) else repr(x) for x in tensor.grad_fn.inputs
            ) + ")")
        flag = " requires_grad" if tensor.requires_grad else ""
        lines.append(f"{names[id(tensor)]:>4s} {str(tensor.shape):10s} {made_by}{flag}")
    return "\n".join(lines)

# %%
enable_autograd()
w = Tensor(np.ones((2, 3)), requires_grad=True)
b = Tensor(np.zeros(3), requires_grad=True)
x = Tensor(np.ones((4, 2)))
print(graph_summary(ReLU()(x @ w + b).mean()))

# %% [markdown]
# ## Systems view: what a backward pass costs
#
# **Time.** Every Function's backward does about as much work as its forward — a matmul's
# backward is *two* matmuls — so a training step costs roughly three forward passes. And
# because the engine visits every node and edge once, time grows **linearly** with the
# graph. Measure it on chains that reuse one tensor at every level (the case where a naive
# recursive implementation, re-walking shared subgraphs, blows up):
#
# **Memory.** Every recorded Function holds its inputs, so the whole forward pass stays in
# memory until `backward` runs: that is the activation memory of training, and why
# `no_grad()` matters for inference.

# %%
enable_autograd()
depths, times = [10, 20, 40, 80, 160], []
for depth in depths:
    x = Tensor(np.random.default_rng(0).standard_normal((64, 64)), requires_grad=True)
    best = float("inf")
    for _ in range(5):
        h = x
        for _ in range(depth):
            h = (h + x) * 0.5
        loss = h.sum()
        x.grad = None
        start = time.perf_counter()
        loss.backward()
        best = min(best, time.perf_counter() - start)
    times.append(best)
    print(f"depth {depth:4d}: {len(topological_order(loss)):5d} tensors in the graph, backward {best * 1e3:7.2f} ms")

plt.figure(figsize=(5, 3.2))
plt.plot(depths, np.array(times) * 1e3, "o-")
plt.xlabel("chain depth (each level reuses x)")
plt.ylabel("backward time (ms)")
plt.title("One topological pass: time grows linearly")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Putting it together — a network that learns
#
# The module's integration test: a two-layer network from module 03, a ReLU from 02 and the
# cross-entropy of 04. Every parameter must receive a gradient that matches central
# differences, and plain gradient descent — `w.data -= lr * w.grad` for each parameter — must
# drive the loss down. After this cell, your framework learns.

# %% nbgrader={"grade": true, "grade_id": "autograd-integration", "locked": true, "points": 4, "schema_version": 3, "solution": false}
enable_autograd()
np.random.seed(0)
model = Sequential(Linear(2, 16), ReLU(), Linear(16, 3))
points = np.random.default_rng(0).standard_normal((60, 2)).astype(np.float32)
labels = (points[:, 0] > 0).astype(int) + (points[:, 1] > 0).astype(int)  # 3 classes
loss_fn = CrossEntropyLoss()
losses = []
for step in range(150):
    for p in model.parameters():
        p.grad = None
    loss = loss_fn(model(Tensor(points)), labels)
    loss.backward()
    assert all(p.grad is not None for p in model.parameters()), "every parameter needs a gradient after backward()"
    with no_grad():
        for p in model.parameters():
            p.data -= 0.5 * p.grad
    losses.append(loss.item())
assert losses[-1] < 0.5 * losses[0], f"the loss should at least halve in 150 steps: {losses[0]:.3f} -> {losses[-1]:.3f}"
print(f"Integration passed: loss {losses[0]:.3f} -> {losses[-1]:.3f} in 150 steps of gradient descent.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(5009)
np.random.seed(5)
net = Sequential(Linear(3, 5), Tanh(), Linear(5, 4), GELU(), Linear(4, 2))
for layer in (net.layers[0], net.layers[2], net.layers[4]):
    layer.weight = Tensor(rng.standard_normal(layer.weight.shape), requires_grad=True)
    layer.bias = Tensor(rng.standard_normal(layer.bias.shape), requires_grad=True)
inputs = Tensor(rng.standard_normal((6, 3)), requires_grad=True)
targets = rng.integers(0, 2, size=6)
check_model_gradients(net, lambda: CrossEntropyLoss()(net(inputs), targets), inputs={"input": inputs})
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# - A **Function** per operation holds its inputs and its local derivative; `unbroadcast`
#   sums gradients of broadcast inputs back to their shapes.
# - The **engine** orders the graph topologically without recursion and runs the chain rule
#   backwards in one pass, adding up the contributions of tensors used more than once.
# - **`enable_autograd()`** wraps module 01's methods and the activations' and losses'
#   `__call__` so that results remember their Function — without a line of the earlier
#   modules changing. `no_grad()` turns recording off.
# - You measured it: backward time grows linearly with the graph.
#
# **How modules 02–04 were graded before this one.** Each activation and loss wrote its
# local derivative as `backward`, and `Linear` its three gradients; those were checked
# against central differences of their own forward passes. This module plugs exactly those
# methods into the graph, and its tests hold autograd to them.
#
# **Next:** module 06 uses these gradients to update parameters — optimizers.

# %%
#| export
# Importing tinytorch.core.autograd switches gradients on for the whole framework.
enable_autograd()
