# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Module 04 — Losses
#
# A network's output is only a guess. Training needs one number that says *how wrong* the
# guess is, and a direction in which to make it less wrong. That number is the **loss**, and
# the direction is its gradient with respect to the predictions. In this module you build the
# three losses nearly every model in this course trains with.
#
# **What you build.**
# - `log_softmax(x, dim=-1)`: log-probabilities from raw scores, without overflow;
# - `MSELoss`: mean squared error, for regression;
# - `CrossEntropyLoss`: for classification into $C$ classes, from raw scores ("logits") and
#   integer class ids;
# - `BinaryCrossEntropyLoss`: for yes/no outputs given as probabilities.
#
# Each loss has a `forward` that returns the loss as a 0-d Tensor and a `backward` that
# returns $\partial L / \partial \text{predictions}$, derived by hand below.
#
# **Why build them yourself.** Losses are where numerics bite: a softmax of a score of 1000
# is `nan`, a log of a probability of 0 is `inf`, and a single `nan` in the loss poisons every
# weight of a model in one step. Writing them teaches the two tricks (shift by the maximum,
# clamp away from 0 and 1) that keep real frameworks finite, and the cross-entropy gradient,
# which turns out to be the simplest formula in deep learning.
#
# **What you need.** Module 01's `Tensor` (`max`, `sum`, `exp`, `log` with `axis` and
# `keepdims`, `@`, indexing), and numpy.
#
# **Where it lands.** `tinytorch/core/losses.py`: `from tinytorch.core.losses import
# CrossEntropyLoss` in every training loop from module 07 on.
#
# **How this notebook works.** Fill in the places marked `# YOUR CODE HERE` (delete the
# `raise NotImplementedError()` line), run the cell, then run the test cell below it. Hidden
# tests in the same cells try random shapes, extreme values and numerical gradient checks
# when your notebook is graded.

# %%
#| default_exp core.losses
#| export
import numpy as np

from tinytorch.core.tensor import Tensor

# %%
import time
import tracemalloc

import matplotlib.pyplot as plt

# %% [markdown]
# ## Why stability is not optional
#
# Softmax turns a row of scores $z$ into probabilities,
# $\mathrm{softmax}(z)_k = e^{z_k} / \sum_j e^{z_j}$, and cross-entropy takes the log of the
# probability of the true class. Written exactly like that, it breaks on scores a real
# network produces in its first bad step. Float64 overflows above $e^{709}$ and float32 above
# $e^{88}$, so $e^{1000}$ is `inf`, and `inf / inf` is `nan`:

# %%
logits = np.array([1000.0, 0.0, -1000.0])
with np.errstate(all="ignore"):  # let the naive form fail quietly so we can look at it
    naive_probabilities = np.exp(logits) / np.exp(logits).sum()
    print("naive softmax:       ", naive_probabilities)
    print("naive log of softmax:", np.log(naive_probabilities))
    print("-log(probability 0): ", -np.log(0.0))

# %% [markdown]
# The true answer is perfectly representable: the first class has probability
# $1 - e^{-1000} - e^{-2000}$, whose log is $-e^{-1000} \approx 0$, and the other two have
# log-probabilities $-1000$ and $-2000$. Two facts recover it.
#
# **1. Softmax does not change when you add the same number to every score:**
# $\frac{e^{z_k - m}}{\sum_j e^{z_j - m}} = \frac{e^{-m} e^{z_k}}{e^{-m} \sum_j e^{z_j}}$.
# Choose $m = \max_j z_j$: the largest shifted score is 0, so no exponential exceeds 1 and
# the sum is at least 1 (the maximum's own term) — nothing overflows, and nothing divides by 0.
#
# **2. Never compute the probability and then take its log; compute the log directly:**
# $$\log \mathrm{softmax}(z)_k = (z_k - m) - \log \sum_j e^{z_j - m}.$$
# Small probabilities such as $e^{-2000}$ underflow to 0 (and $\log 0 = -\infty$), but their
# logs, $-2000$, are ordinary numbers. Underflow *inside* the sum is harmless: those terms are
# far below the maximum's 1 and could not change the sum anyway.

# %%
shifted = logits - logits.max()
with np.errstate(under="ignore"):  # exp(-2000) rounding to 0 inside the sum is expected
    stable_log_probabilities = shifted - np.log(np.exp(shifted).sum())
print("stable log-softmax:  ", stable_log_probabilities)

# %% [markdown]
# ## Step 1 — `log_softmax`
#
# Write the stable form with **Tensor operations**: `x.max(axis=dim, keepdims=True)`,
# subtraction, `.exp()`, `.sum(axis=dim, keepdims=True)` and `.log()`. `keepdims=True` is what
# makes each row subtract its *own* maximum and its own log-sum. Using Tensor operations,
# not numpy, has a payoff in module 05: once every Tensor operation knows its gradient,
# `log_softmax` is differentiable without a line of change.
#
# The max itself needs no gradient care: the result does not depend on $m$ (fact 1), so any
# $m$ would give the same value — the maximum is just the one that keeps the exponentials in
# range.

# %% nbgrader={"grade": false, "grade_id": "log-softmax-function", "locked": false, "schema_version": 3, "solution": true}
#| export
def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    """Log of the softmax of `x` along `dim`, computed without overflow.

    log_softmax(x)_k = (x_k - m) - log(sum_j exp(x_j - m)),   m = max_j x_j

    Build it from Tensor operations (max, -, exp, sum, log with axis=dim and
    keepdims=True) and return the Tensor they produce: same shape and dtype as x.
    A NaN anywhere in a slice makes that whole slice NaN (nothing hides it).
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    ### BEGIN SOLUTION
    shifted = x - x.max(axis=dim, keepdims=True)
    return shifted - shifted.exp().sum(axis=dim, keepdims=True).log()
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "log-softmax", "locked": true, "points": 2, "schema_version": 3, "solution": false}
result = log_softmax(Tensor([1.0, 2.0, 3.0]))
assert isinstance(result, Tensor), f"log_softmax should return a Tensor, got {type(result).__name__}"
np.testing.assert_allclose(result.data, [-2.40760596, -1.40760596, -0.40760596], rtol=1e-6,
                           err_msg="log_softmax([1, 2, 3])")
rows = Tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
np.testing.assert_allclose(np.exp(log_softmax(rows).data).sum(axis=-1), [1.0, 1.0], rtol=1e-6,
                           err_msg="each row's probabilities should sum to 1 (did you sum over dim, with keepdims?)")
np.testing.assert_allclose(log_softmax(rows, dim=0).data[:, 0], [-0.31326169, -1.31326169], rtol=1e-6,
                           err_msg="log_softmax(rows, dim=0) normalizes each column")
with np.errstate(all="raise", under="ignore"):
    extreme = log_softmax(Tensor(np.array([1000.0, 0.0, -1000.0])))
np.testing.assert_allclose(extreme.data, [0.0, -1000.0, -2000.0], err_msg="log_softmax([1000, 0, -1000]): shift by the max")
print("Step 1 passed: log_softmax is right and stays finite at 1000.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(4401)
for _ in range(6):
    shape = tuple(int(s) for s in rng.integers(1, 6, size=rng.integers(1, 4)))
    values = rng.standard_normal(shape) * 3
    for dim in range(-len(shape), len(shape)):
        got = log_softmax(Tensor(values), dim=dim)
        want = values - np.log(np.exp(values).sum(axis=dim, keepdims=True))
        assert got.shape == values.shape, f"log_softmax(dim={dim}) of {shape}: shape {got.shape}, expected {shape}"
        np.testing.assert_allclose(got.data, want, rtol=1e-10, atol=1e-12, err_msg=f"log_softmax of {shape}, dim={dim}")
        np.testing.assert_allclose(log_softmax(Tensor(values + 1e4), dim=dim).data, want, atol=1e-9,
                                   err_msg="log_softmax(x + 10000) must equal log_softmax(x)")
with np.errstate(all="raise", under="ignore"):
    huge = rng.choice([-1000.0, 1000.0], size=(4, 5)) + rng.standard_normal((4, 5))
    got = log_softmax(Tensor(huge)).data
    assert np.all(np.isfinite(got)) and np.all(got <= 0), "log_softmax of logits of +-1000 must be finite and <= 0"
    for dtype in (np.float32, np.float64):
        assert log_softmax(Tensor(huge.astype(dtype))).dtype == dtype, f"log_softmax should keep {dtype.__name__}"
### END HIDDEN TESTS

# %% [markdown]
# ## The `Loss` interface
#
# Every loss is called like a function, `loss = loss_fn(predictions, targets)`, and gives a
# 0-d Tensor. Underneath there are two methods:
#
# - `forward(predictions, targets) -> Tensor`: the loss, computed on the numpy arrays
#   (`predictions.data`) for speed and for control over every floating-point step, returned
#   as a *new* 0-d Tensor with the predictions' dtype.
# - `backward(predictions, targets) -> np.ndarray`: $\partial L/\partial\,\text{predictions}$,
#   an array of the predictions' shape.
#
# Why this split? Module 05 adds automatic differentiation. It wraps `Loss.__call__`, so that
# calling any loss records **one** node of the computation graph, whose backward calls *your*
# `backward` and multiplies by the gradient arriving from above. That is why `forward` must
# return a new Tensor, and why `backward` must be the exact derivative: autograd will trust it.
#
# The base class is given.

# %%
#| export
class Loss:
    """A loss: loss_fn(predictions, targets) -> 0-d Tensor, plus its gradient by hand."""

    def __call__(self, predictions, targets):
        # Module 05 wraps this method, so calling any loss records one graph node whose
        # backward is the loss's own `backward`.
        return self.forward(predictions, targets)

    def forward(self, predictions, targets):
        raise NotImplementedError(f"{type(self).__name__} must implement forward(predictions, targets)")

    def backward(self, predictions, targets):
        raise NotImplementedError(f"{type(self).__name__} must implement backward(predictions, targets)")


def _values_of(values) -> np.ndarray:
    """The numpy array behind targets given as a Tensor, a numpy array or a list."""
    return values.data if isinstance(values, Tensor) else np.asarray(values)


# %% [markdown]
# ## Step 2 — Mean squared error
#
# For predictions $p$ and targets $t$ with $n$ elements in all,
# $$L = \frac{1}{n}\sum_{i=1}^{n} (p_i - t_i)^2, \qquad
#   \frac{\partial L}{\partial p_i} = \frac{2}{n}(p_i - t_i).$$
# The derivative is the power rule on one term: only the $i$-th square depends on $p_i$. The
# $\frac{1}{n}$ of the mean stays in the gradient; forget it and the gradient grows with the
# batch size, so the same learning rate means something different for every batch size.
#
# **Check the shapes, don't broadcast.** A model that outputs `(N, 1)` compared with targets
# of shape `(N,)` broadcasts to an `(N, N)` matrix of every prediction against every target:
# a finite, plausible-looking, wrong loss, and a model that learns to predict the mean. It is
# one of the most common silent bugs in regression code. Raise a `ValueError` that names both
# shapes instead. `_matching_targets` below does that check for MSE and for binary
# cross-entropy; write it first.

# %% nbgrader={"grade": false, "grade_id": "mse-loss-class", "locked": false, "schema_version": 3, "solution": true}
#| export
def _matching_targets(predictions: Tensor, targets, loss_name: str) -> np.ndarray:
    """Targets as a numpy array of the predictions' dtype, checked to have their shape.

    `targets` may be a Tensor, a numpy array or a list (`_values_of` reads all three).
    Raise a ValueError naming both shapes (and `loss_name`) when the shapes differ,
    e.g. "MSELoss: predictions of shape (4, 1) and targets of shape (4,) must match".
    Hint: `array.astype(dtype, copy=False)`.
    """
    ### BEGIN SOLUTION
    values = _values_of(targets)
    if values.shape != predictions.shape:
        raise ValueError(
            f"{loss_name}: predictions of shape {predictions.shape} and targets of shape "
            f"{values.shape} must match (broadcasting them would compare every prediction "
            "with every target)"
        )
    return values.astype(predictions.dtype, copy=False)
    ### END SOLUTION


class MSELoss(Loss):
    """Mean squared error over all elements: mean((predictions - targets) ** 2)."""

    def forward(self, predictions: Tensor, targets) -> Tensor:
        """The loss as a 0-d Tensor with the predictions' dtype."""
        ### BEGIN SOLUTION
        difference = predictions.data - _matching_targets(predictions, targets, "MSELoss")
        return Tensor(np.mean(difference ** 2))
        ### END SOLUTION

    def backward(self, predictions: Tensor, targets) -> np.ndarray:
        """dL/d(predictions) = 2 (predictions - targets) / n, n = number of elements."""
        ### BEGIN SOLUTION
        difference = predictions.data - _matching_targets(predictions, targets, "MSELoss")
        return 2 * difference / difference.size
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "mse-loss", "locked": true, "points": 2, "schema_version": 3, "solution": false}
mse = MSELoss()
predictions, targets = Tensor([1.0, 2.0, 3.0]), Tensor([1.0, 0.0, 5.0])
loss = mse(predictions, targets)
assert isinstance(loss, Tensor) and loss.shape == (), f"the loss should be a 0-d Tensor, got {loss!r}"
np.testing.assert_allclose(loss.item(), 8 / 3, rtol=1e-6, err_msg="mean of (0, 4, 4)")
gradient = mse.backward(predictions, targets)
assert isinstance(gradient, np.ndarray) and gradient.shape == (3,), f"backward should return an array of shape (3,), got {gradient!r}"
np.testing.assert_allclose(gradient, [0.0, 4 / 3, -4 / 3], rtol=1e-6, err_msg="2 (p - t) / n")
np.testing.assert_allclose(mse(predictions, [1.0, 0.0, 5.0]).item(), 8 / 3, rtol=1e-6, err_msg="targets as a list")
try:
    mse(Tensor(np.zeros((4, 1))), np.zeros(4))
except ValueError as error:
    assert "(4, 1)" in str(error) and "(4,)" in str(error), f"name both shapes in the error, got: {error}"
else:
    raise AssertionError("predictions (4, 1) with targets (4,) must raise ValueError, not broadcast to (4, 4)")
print("Step 2 passed: MSE and its gradient.")
### BEGIN HIDDEN TESTS
from autograder.gradcheck import check_vjp

rng = np.random.default_rng(4402)
for _ in range(5):
    shape = tuple(int(s) for s in rng.integers(1, 6, size=rng.integers(1, 4)))
    p, t = rng.standard_normal(shape), rng.standard_normal(shape)
    np.testing.assert_allclose(mse(Tensor(p), Tensor(t)).item(), np.mean((p - t) ** 2), rtol=1e-12, err_msg=f"MSE of {shape}")
    np.testing.assert_allclose(mse.backward(Tensor(p), t), 2 * (p - t) / p.size, rtol=1e-12, err_msg=f"MSE backward of {shape}")
    check_vjp("MSELoss.backward",
              lambda x: np.asarray(mse.forward(Tensor(x), t).data),
              lambda upstream, x: upstream * mse.backward(Tensor(x), t), [p])
p32 = rng.standard_normal((3, 4)).astype(np.float32)
assert mse(Tensor(p32), np.zeros((3, 4))).dtype == np.float32, "float32 predictions give a float32 loss"
assert mse.backward(Tensor(p32), np.zeros((3, 4))).dtype == np.float32, "float32 predictions give a float32 gradient"
for bad in [(3, 1), (4, 3), (12,)]:
    try:
        mse.backward(Tensor(p32), np.zeros(bad))
    except ValueError as error:
        assert str(bad) in str(error), f"the error should name {bad}: {error}"
    else:
        raise AssertionError(f"backward with targets {bad} for predictions (3, 4) must raise ValueError")
### END HIDDEN TESTS

# %% [markdown]
# ## Step 3 — Cross-entropy
#
# A classifier outputs one score (**logit**) per class, a row $z \in \mathbb{R}^C$ for each of
# $N$ samples; $\mathrm{softmax}(z)$ reads them as probabilities. Cross-entropy is the average
# negative log-probability the model gives to the *true* class $y_i$:
# $$L = -\frac{1}{N}\sum_{i=1}^{N} \log \mathrm{softmax}(z_i)_{y_i}
#     = \frac{1}{N}\sum_{i=1}^{N} \Big(\log \sum_{j} e^{z_{ij}} - z_{i,y_i}\Big).$$
# Certain and right costs $-\log 1 = 0$; certain and wrong costs $-\log 0 = \infty$; a model
# that knows nothing (all logits equal) gives every class $\frac{1}{C}$ and costs exactly
# $\log C$ — about 2.30 for 10 classes. That number is worth remembering: a first loss far
# from $\log C$ means the initialization is off.
#
# With `log_probs = log_softmax(...)` of shape $(N, C)$, picking each row's true class is one
# indexing operation: `log_probs[np.arange(N), targets]` — row $i$, column `targets[i]`. (Not
# `log_probs[:, targets]`: that is an $(N, N)$ matrix, every sample at every sample's class.)
#
# ### The gradient, by hand
#
# Take one sample, drop the index $i$, and write $s = \mathrm{softmax}(z)$. Its loss is
# $\ell = \log\sum_j e^{z_j} - z_y$. Differentiate with respect to one logit $z_k$:
# $$\frac{\partial}{\partial z_k}\log\sum_j e^{z_j} = \frac{e^{z_k}}{\sum_j e^{z_j}} = s_k,
# \qquad \frac{\partial z_y}{\partial z_k} = \mathbb{1}[k = y].$$
# So
# $$\boxed{\;\frac{\partial \ell}{\partial z} = s - \mathrm{onehot}(y)\;}
# \qquad\text{and, for the mean over the batch,}\qquad
# \frac{\partial L}{\partial z_{i}} = \frac{1}{N}\big(\mathrm{softmax}(z_i) - \mathrm{onehot}(y_i)\big).$$
# Every exponential, every log, every quotient rule cancels: the gradient is *predicted
# probabilities minus true probabilities*. It is bounded (each entry lies in $[-1, 1]$), so
# cross-entropy never explodes a gradient by itself; it pushes the true class's logit up by
# $1 - s_y$ and every other logit down by its probability; and it is zero only when the
# model puts probability 1 on the right class. The rows of the gradient sum to zero, as they
# must: adding the same number to every logit changes nothing.
#
# **Targets** are class ids in $\{0, \dots, C-1\}$, one per row, given as a list, an integer
# numpy array, or a Tensor (whose values are floats: read them as ints). Check them, because
# numpy will not: a target of `-1` silently picks the *last* class, and a target of `C` is an
# `IndexError` with no word about classes. `_class_ids` does the checking for both `forward`
# and `backward`.

# %% nbgrader={"grade": false, "grade_id": "cross-entropy-class", "locked": false, "schema_version": 3, "solution": true}
#| export
def _class_ids(targets, logits_shape: tuple) -> np.ndarray:
    """Targets as an int64 array of class ids, checked against logits of shape (N, C).

    Raise a ValueError with a message that says what is wrong when:
    - the logits are not 2-D (N, C);
    - the targets' shape is not (N,) (name both shapes);
    - a target is outside 0..C-1 (name the bad value and C).
    Hint: `_values_of(targets).astype(np.int64)`.
    """
    ### BEGIN SOLUTION
    if len(logits_shape) != 2:
        raise ValueError(f"CrossEntropyLoss: logits must have shape (N, C), got {logits_shape}")
    count, classes = logits_shape
    ids = _values_of(targets).astype(np.int64)
    if ids.shape != (count,):
        raise ValueError(
            f"CrossEntropyLoss: targets of shape {ids.shape} do not match logits of shape "
            f"{logits_shape}: expected one class id per row, shape ({count},)"
        )
    outside = (ids < 0) | (ids >= classes)
    if outside.any():
        raise ValueError(
            f"CrossEntropyLoss: target {ids[outside][0]} is out of range for {classes} classes "
            f"(class ids go from 0 to {classes - 1})"
        )
    return ids
    ### END SOLUTION


class CrossEntropyLoss(Loss):
    """Mean cross-entropy of logits (N, C) against integer class ids (N,)."""

    def forward(self, predictions: Tensor, targets) -> Tensor:
        """-mean over rows of log_softmax(predictions)[row, target of row], as a 0-d Tensor.

        Use your log_softmax on `Tensor(predictions.data)` (a fresh Tensor: the loss is one
        node of the graph in module 05, so nothing inside it should record a graph) and
        take its `.data`.
        """
        ### BEGIN SOLUTION
        ids = _class_ids(targets, predictions.shape)
        log_probs = log_softmax(Tensor(predictions.data), dim=-1).data
        return Tensor(-log_probs[np.arange(len(ids)), ids].mean())
        ### END SOLUTION

    def backward(self, predictions: Tensor, targets) -> np.ndarray:
        """dL/d(logits) = (softmax(logits) - onehot(targets)) / N, shape (N, C).

        Hint: softmax is exp of log_softmax; subtract 1 at [row, target of row].
        """
        ### BEGIN SOLUTION
        ids = _class_ids(targets, predictions.shape)
        probabilities = np.exp(log_softmax(Tensor(predictions.data), dim=-1).data)
        probabilities[np.arange(len(ids)), ids] -= 1
        return probabilities / len(ids)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "cross-entropy-forward", "locked": true, "points": 3, "schema_version": 3, "solution": false}
cross_entropy = CrossEntropyLoss()
logits = Tensor([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
loss = cross_entropy(logits, [2, 0])
assert isinstance(loss, Tensor) and loss.shape == (), f"the loss should be a 0-d Tensor, got {loss!r}"
np.testing.assert_allclose(loss.item(), (0.40760596 + 2.40760596) / 2, rtol=1e-6, err_msg="mean of -log p(true class)")
np.testing.assert_allclose(cross_entropy(Tensor(np.zeros((4, 10))), np.array([0, 3, 9, 9])).item(), np.log(10), rtol=1e-6,
                           err_msg="equal logits over 10 classes cost log(10)")
np.testing.assert_allclose(cross_entropy(logits, Tensor([2, 0])).item(), loss.item(), rtol=1e-6, err_msg="targets as a Tensor")
with np.errstate(all="raise", under="ignore"):
    confident = cross_entropy(Tensor([[1000.0, 0.0, -1000.0]]), [2]).item()
np.testing.assert_allclose(confident, 2000.0, rtol=1e-6, err_msg="logits (1000, 0, -1000), target 2: loss 2000, finite")
for bad_targets, words in [([2, 3], "3"), ([0, -1], "-1"), ([0, 1, 2], "(3,)")]:
    try:
        cross_entropy(logits, bad_targets)
    except ValueError as error:
        assert words in str(error), f"targets {bad_targets}: the error should mention {words}, got: {error}"
    else:
        raise AssertionError(f"targets {bad_targets} for logits of shape (2, 3) must raise ValueError")
print("Step 3 passed: cross-entropy forward.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(4403)
for _ in range(6):
    n, c = (int(s) for s in rng.integers(1, 9, size=2))
    z = rng.standard_normal((n, c)) * 4
    y = rng.integers(0, c, size=n)
    reference = np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(n), y])
    for given in (y, y.tolist(), Tensor(y)):
        np.testing.assert_allclose(cross_entropy(Tensor(z), given).item(), reference, rtol=1e-10,
                                   err_msg=f"cross-entropy of ({n}, {c}) with targets as {type(given).__name__}")
    np.testing.assert_allclose(cross_entropy(Tensor(np.zeros((n, c))), y).item(), np.log(c), rtol=1e-10, atol=1e-12,
                               err_msg=f"uniform logits over {c} classes")
with np.errstate(all="raise", under="ignore"):
    z = rng.choice([-1000.0, 1000.0], size=(6, 5))
    z[np.arange(6), 0] = 1000.0
    y = rng.integers(0, 5, size=6)
    got = cross_entropy(Tensor(z), y).item()
    want = np.mean([np.log(np.sum(z[i] == 1000.0)) + 1000.0 - z[i, y[i]] for i in range(6)])
    np.testing.assert_allclose(got, want, rtol=1e-10, err_msg="cross-entropy at logits +-1000")
    assert cross_entropy(Tensor(z.astype(np.float32)), y).dtype == np.float32, "float32 logits give a float32 loss"
for logits_shape, bad in [((3, 4), [0, 1, 4]), ((3, 4), [0, -2, 1]), ((3, 4), [[0, 1, 2]]), ((3, 4), [0, 1]), ((12,), [0])]:
    try:
        cross_entropy(Tensor(np.zeros(logits_shape)), bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"logits {logits_shape} with targets {bad} must raise ValueError")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "cross-entropy-backward", "locked": true, "points": 3, "schema_version": 3, "solution": false}
cross_entropy = CrossEntropyLoss()
logits = Tensor([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
gradient = cross_entropy.backward(logits, [2, 0])
softmax_row = np.array([0.09003057, 0.24472847, 0.66524096])
expected = np.array([softmax_row - [0, 0, 1], softmax_row - [1, 0, 0]]) / 2
assert isinstance(gradient, np.ndarray) and gradient.shape == (2, 3), f"backward should return an array of shape (2, 3), got {gradient!r}"
np.testing.assert_allclose(gradient, expected, rtol=1e-6, err_msg="(softmax - onehot) / N")
np.testing.assert_allclose(gradient.sum(axis=1), [0.0, 0.0], atol=1e-7, err_msg="each row of the gradient sums to 0")
print("Step 3 passed: cross-entropy backward is softmax minus one-hot, over N.")
### BEGIN HIDDEN TESTS
from autograder.gradcheck import check_vjp

rng = np.random.default_rng(4404)
for _ in range(5):
    n, c = (int(s) for s in rng.integers(1, 8, size=2))
    z = rng.standard_normal((n, c)) * 3
    y = rng.integers(0, c, size=n)
    check_vjp("CrossEntropyLoss.backward",
              lambda x: np.asarray(cross_entropy.forward(Tensor(x), y).data),
              lambda upstream, x: upstream * cross_entropy.backward(Tensor(x), y), [z])
    softmax = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(cross_entropy.backward(Tensor(z), Tensor(y)), (softmax - np.eye(c)[y]) / n, rtol=1e-10,
                               atol=1e-14, err_msg=f"backward of ({n}, {c}), targets as a Tensor")
with np.errstate(all="raise", under="ignore"):
    z = rng.choice([-1000.0, 1000.0], size=(4, 6))
    z[:, 1] = 1000.0
    y = rng.integers(0, 6, size=4)
    gradient = cross_entropy.backward(Tensor(z), y)
    top = (z == 1000.0) / (z == 1000.0).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(gradient, (top - np.eye(6)[y]) / 4, atol=1e-12, err_msg="backward at logits +-1000")
    assert cross_entropy.backward(Tensor(z.astype(np.float32)), y).dtype == np.float32, "float32 logits give a float32 gradient"
### END HIDDEN TESTS

# %% [markdown]
# ## Step 4 — Binary cross-entropy
#
# For a yes/no question the model outputs one probability $p \in (0, 1)$ per element
# (usually a sigmoid of a logit), and the target $t$ is 1 or 0 (or anything in between, for
# soft labels). The loss is cross-entropy with two classes:
# $$L = -\frac{1}{n}\sum_{i=1}^{n}\Big(t_i \log p_i + (1 - t_i)\log(1 - p_i)\Big),
# \qquad \frac{\partial L}{\partial p_i} = \frac{1}{n}\Big(-\frac{t_i}{p_i} + \frac{1 - t_i}{1 - p_i}\Big)
#   = \frac{1}{n}\,\frac{p_i - t_i}{p_i(1 - p_i)}.$$
# (Put both fractions over $p_i(1-p_i)$: the numerator is $-t_i(1-p_i) + (1-t_i)p_i = p_i - t_i$.)
# The denominator is no accident. If $p = \sigma(z)$ then $\frac{dp}{dz} = p(1-p)$, and the
# chain rule gives $\frac{\partial L}{\partial z_i} = \frac{1}{n}(p_i - t_i)$: the same
# "predicted minus true" as cross-entropy.
#
# **Clamping.** The inputs here are probabilities, and a sigmoid in float32 returns exactly
# 0.0 for logits below about $-104$ and exactly 1.0 above about 17. Then $\log 0 = -\infty$
# in the loss and $p(1-p) = 0$ in the gradient's denominator. So before anything else, clamp
# $p$ to $[\epsilon, 1-\epsilon]$ with $\epsilon = 10^{-7}$. The loss of one element is then at
# most $-\log 10^{-7} \approx 16.1$, and the gradient at most about $10^{7}/n$: large, but a
# number. The backward uses the same clamped $p$ as the forward.
#
# **Why $10^{-7}$ and not smaller — float32.** Near 1, float32 numbers are $2^{-24} \approx 6
# \times 10^{-8}$ apart. $1 - 10^{-7}$ is not representable; it rounds to $1 - 2^{-23} \approx
# 0.99999988$, which is still below 1, so $\log(1 - p) \approx -15.9$ stays finite. With
# $\epsilon = 10^{-8}$, $1 - \epsilon$ rounds to exactly 1.0 in float32 and $\log(1-p) =
# -\infty$ is back. The clamp must be wider than the number format's resolution, and
# $10^{-7}$ is about the smallest that works for float32 (float64 would allow $10^{-15}$). The
# price is that probabilities closer than that to 0 or 1 all look the same to the loss, and
# their gradient is the gradient at the clamp: a model cannot be told it is "more certain"
# than $1 - 10^{-7}$.

# %%
for eps in (1e-7, 1e-8):
    top = np.float32(1) - np.float32(eps)
    with np.errstate(divide="ignore"):
        print(f"eps={eps:g}: 1 - eps in float32 = {top:.9f}   log(1 - (1 - eps)) = {np.log(np.float32(1) - top):.3f}")

# %% nbgrader={"grade": false, "grade_id": "bce-loss-class", "locked": false, "schema_version": 3, "solution": true}
#| export
class BinaryCrossEntropyLoss(Loss):
    """Mean binary cross-entropy of probabilities against 0/1 targets of the same shape."""

    def __init__(self, eps: float = 1e-7):
        # 1e-7 is about the smallest clamp for which 1 - eps is still below 1 in float32.
        self.eps = eps

    def _clamped(self, predictions: Tensor) -> np.ndarray:
        """predictions.data clipped to [eps, 1 - eps] (np.clip keeps float32 as float32)."""
        ### BEGIN SOLUTION
        return np.clip(predictions.data, self.eps, 1 - self.eps)
        ### END SOLUTION

    def forward(self, predictions: Tensor, targets) -> Tensor:
        """-mean(t log p + (1 - t) log(1 - p)) on the clamped p, as a 0-d Tensor."""
        ### BEGIN SOLUTION
        t = _matching_targets(predictions, targets, "BinaryCrossEntropyLoss")
        p = self._clamped(predictions)
        return Tensor(-np.mean(t * np.log(p) + (1 - t) * np.log(1 - p)))
        ### END SOLUTION

    def backward(self, predictions: Tensor, targets) -> np.ndarray:
        """dL/d(predictions) = (p - t) / (p (1 - p)) / n on the clamped p."""
        ### BEGIN SOLUTION
        t = _matching_targets(predictions, targets, "BinaryCrossEntropyLoss")
        p = self._clamped(predictions)
        return (p - t) / (p * (1 - p)) / p.size
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "bce-loss", "locked": true, "points": 3, "schema_version": 3, "solution": false}
bce = BinaryCrossEntropyLoss()
probabilities, labels = Tensor([0.9, 0.2]), Tensor([1.0, 0.0])
loss = bce(probabilities, labels)
assert isinstance(loss, Tensor) and loss.shape == (), f"the loss should be a 0-d Tensor, got {loss!r}"
np.testing.assert_allclose(loss.item(), (0.10536052 + 0.22314355) / 2, rtol=1e-6, err_msg="-(log 0.9 + log 0.8) / 2")
np.testing.assert_allclose(bce.backward(probabilities, labels), [-0.1 / 0.09 / 2, 0.2 / 0.16 / 2], rtol=1e-5,
                           err_msg="(p - t) / (p (1 - p)) / n")
with np.errstate(all="raise"):
    certain_and_wrong = bce(Tensor(np.array([0.0, 1.0])), np.array([1.0, 0.0])).item()
    gradient_at_the_clamp = bce.backward(Tensor(np.array([0.0, 1.0])), np.array([1.0, 0.0]))
np.testing.assert_allclose(certain_and_wrong, -np.log(1e-7), rtol=1e-6, err_msg="p=0 with t=1 costs -log(eps), not inf: clamp p")
assert np.all(np.isfinite(gradient_at_the_clamp)), f"the gradient at p=0 and p=1 must be finite, got {gradient_at_the_clamp}"
print("Step 4 passed: binary cross-entropy, clamped.")
### BEGIN HIDDEN TESTS
from autograder.gradcheck import check_vjp

rng = np.random.default_rng(4405)
for _ in range(5):
    shape = tuple(int(s) for s in rng.integers(1, 6, size=rng.integers(1, 4)))
    p = rng.uniform(0.05, 0.95, size=shape)
    t = rng.integers(0, 2, size=shape).astype(np.float64)
    reference = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    np.testing.assert_allclose(bce(Tensor(p), Tensor(t)).item(), reference, rtol=1e-12, err_msg=f"BCE of {shape}")
    np.testing.assert_allclose(bce.backward(Tensor(p), t), (p - t) / (p * (1 - p)) / p.size, rtol=1e-12,
                               err_msg=f"BCE backward of {shape}")
    soft = rng.uniform(0, 1, size=shape)
    check_vjp("BinaryCrossEntropyLoss.backward",
              lambda x: np.asarray(bce.forward(Tensor(x), soft).data),
              lambda upstream, x: upstream * bce.backward(Tensor(x), soft), [p])
with np.errstate(all="raise"):
    for dtype in (np.float32, np.float64):
        p = np.array([0.0, 1.0, 0.0, 1.0, 0.5], dtype=dtype)
        t = np.array([0.0, 1.0, 1.0, 0.0, 1.0], dtype=dtype)
        loss, gradient = bce(Tensor(p), t), bce.backward(Tensor(p), t)
        assert np.isfinite(loss.item()) and np.all(np.isfinite(gradient)), f"{dtype.__name__}: BCE at p in (0, 1) must be finite"
        assert loss.dtype == dtype and gradient.dtype == dtype, f"{dtype.__name__} in, {dtype.__name__} out"
        assert gradient[2] < 0 < gradient[3], "certainly wrong at p=0 (t=1) pushes p up; at p=1 (t=0) pushes p down"
try:
    bce(Tensor(np.full((3, 1), 0.5)), np.ones(3))
except ValueError as error:
    assert "(3, 1)" in str(error) and "(3,)" in str(error), f"name both shapes: {error}"
else:
    raise AssertionError("BCE with predictions (3, 1) and targets (3,) must raise ValueError")
### END HIDDEN TESTS

# %% [markdown]
# ### Picture: why cross-entropy and not squared error for probabilities
#
# Left: the loss for one sample whose true class gets probability $p$. Cross-entropy
# ($-\log p$, your BCE with target 1) grows without bound as the model becomes confidently
# wrong; squared error $(1-p)^2$ never exceeds 1. Right: the gradient each loss sends to the
# *logit* $z$ when $p = \sigma(z)$, computed as your `backward` times the sigmoid's
# derivative $p(1-p)$. With cross-entropy it is $p - 1$: strongest exactly when the model is
# most wrong. With squared error it is $2(p-1)\,p(1-p)$, which *vanishes* as $p \to 0$: the
# worse the model, the less it learns. That is the practical reason classifiers train on
# cross-entropy.

# %%
bce, mse = BinaryCrossEntropyLoss(), MSELoss()
probabilities = np.linspace(0.001, 0.999, 300)
one = np.ones(1)
ce_curve = [bce(Tensor(np.array([p])), one).item() for p in probabilities]
mse_curve = [mse(Tensor(np.array([p])), one).item() for p in probabilities]

logits_z = np.linspace(-10, 10, 300)
sigmoid = 1 / (1 + np.exp(-logits_z))
ce_logit_gradient = [bce.backward(Tensor(np.array([s])), one)[0] * s * (1 - s) for s in sigmoid]
mse_logit_gradient = [mse.backward(Tensor(np.array([s])), one)[0] * s * (1 - s) for s in sigmoid]

figure, (left_axis, right_axis) = plt.subplots(1, 2, figsize=(10, 3.5))
left_axis.plot(probabilities, ce_curve, label=r"cross-entropy $-\log p$")
left_axis.plot(probabilities, mse_curve, label=r"squared error $(1-p)^2$")
left_axis.set(xlabel="predicted probability of the true class", ylabel="loss", title="Loss of one sample")
left_axis.legend()
right_axis.plot(logits_z, ce_logit_gradient, label="cross-entropy: $p - 1$")
right_axis.plot(logits_z, mse_logit_gradient, label="squared error: $2(p-1)p(1-p)$")
right_axis.axvspan(-10, -4, color="grey", alpha=0.15)
right_axis.text(-9.6, -0.55, "confidently\nwrong", fontsize=9)
right_axis.set(xlabel="logit z of the true class (p = sigmoid(z))", ylabel="dL/dz", title="Gradient reaching the logit")
right_axis.legend(loc="lower right")
figure.tight_layout()
plt.show()

# %% [markdown]
# ## Systems view: what cross-entropy costs
#
# Per sample, the forward pass reads $C$ logits and does about $5C$ operations (max,
# subtract, exp, sum, then subtract the log); the backward recomputes the softmax and writes
# $C$ gradients. So time should grow linearly in $N \times C$. Memory is the part that
# matters at scale: the backward needs the full $N \times C$ softmax, one number per sample
# *per class*. Measure both on your implementation.

# %%
def time_cross_entropy(count, classes, repeats=5):
    rng = np.random.default_rng(0)
    logits = Tensor(rng.standard_normal((count, classes)).astype(np.float32))
    targets = rng.integers(0, classes, size=count)
    loss_fn = CrossEntropyLoss()
    loss_fn(logits, targets), loss_fn.backward(logits, targets)  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        loss_fn(logits, targets)
        loss_fn.backward(logits, targets)
    return (time.perf_counter() - start) / repeats


batch_sizes, class_counts = [64, 256, 1024, 4096], [10, 100, 1000, 10000]
time_by_batch = [time_cross_entropy(n, 1000) for n in batch_sizes]
time_by_classes = [time_cross_entropy(256, c) for c in class_counts]
for n, seconds in zip(batch_sizes, time_by_batch):
    print(f"N={n:5d}, C= 1000: {seconds * 1e3:7.2f} ms   {seconds / (n * 1000) * 1e9:5.2f} ns per logit")
for c, seconds in zip(class_counts, time_by_classes):
    print(f"N=  256, C={c:5d}: {seconds * 1e3:7.2f} ms   {seconds / (256 * c) * 1e9:5.2f} ns per logit")

figure, axis = plt.subplots(figsize=(5.5, 3.5))
axis.loglog([n * 1000 for n in batch_sizes], time_by_batch, "o-", label="C = 1000, N varies")
axis.loglog([256 * c for c in class_counts], time_by_classes, "s-", label="N = 256, C varies")
axis.set(xlabel="N x C (logits)", ylabel="seconds, forward + backward", title="Cross-entropy time grows with N x C")
axis.legend()
figure.tight_layout()
plt.show()

# %% [markdown]
# Both lines fall on one: only the product $N \times C$ matters (for small inputs a fixed
# per-call overhead dominates, so the time per logit is higher there). Now the memory: peak
# bytes allocated while the backward runs, against the $4NC$ bytes of one float32 $N \times C$
# array.

# %%
for count, classes in [(256, 1000), (1024, 1000), (1024, 10000)]:
    logits = Tensor(np.random.default_rng(0).standard_normal((count, classes)).astype(np.float32))
    targets = np.zeros(count, dtype=np.int64)
    tracemalloc.start()
    CrossEntropyLoss().backward(logits, targets)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    one_array = 4 * count * classes
    print(f"N={count:5d}, C={classes:6d}: peak {peak / 2**20:7.1f} MiB = {peak / one_array:4.1f} x the N x C array "
          f"({one_array / 2**20:.1f} MiB)")

tokens, vocabulary = 8 * 1024, 50257
print(f"\nA GPT-2-sized batch, 8 sequences x 1024 tokens over a {vocabulary}-token vocabulary: "
      f"one float32 softmax is {4 * tokens * vocabulary / 2**30:.2f} GiB")

# %% [markdown]
# The peak is about two $N \times C$ arrays on top of the logits. Each step of the backward
# (shift by the max, exponentiate, take the log-softmax, exponentiate again, subtract the
# one-hot, divide) makes a new $N \times C$ array from the previous one, and numpy frees the
# previous one as soon as nothing refers to it, so only about two are alive at once. For image
# classification with ten classes this is nothing. For a language model, where every token
# is a sample and every vocabulary entry a class, the softmax is the largest array in the
# whole training step — which is why large-model libraries fuse the loss into one kernel that
# never stores it, or split the vocabulary into chunks.

# %% [markdown]
# ## Putting it together — training a linear classifier by hand
#
# A linear classifier computes `logits = x @ W + b`. Your loss gives
# $\partial L / \partial\,\text{logits}$; the chain rule through the matrix product gives
# the rest (module 05 will automate exactly this step):
# $$\frac{\partial L}{\partial W} = x^\top \frac{\partial L}{\partial\,\text{logits}}, \qquad
#   \frac{\partial L}{\partial b} = \sum_{\text{rows}} \frac{\partial L}{\partial\,\text{logits}}.$$
# The test below trains one with plain gradient descent on three separable clusters in the
# plane, using only Tensor matrix products and your `CrossEntropyLoss`. The first loss should
# be $\log 3$ (zero weights know nothing), and it should fall.

# %% nbgrader={"grade": true, "grade_id": "losses-integration", "locked": true, "points": 3, "schema_version": 3, "solution": false}
def make_clusters(seed, classes=3, per_class=50):
    """Points around `classes` centres on a circle of radius 3: linearly separable."""
    rng = np.random.default_rng(seed)
    angles = 2 * np.pi * np.arange(classes) / classes
    centres = 3 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    labels = np.repeat(np.arange(classes), per_class)
    points = centres[labels] + 0.5 * rng.standard_normal((len(labels), 2))
    return points.astype(np.float32), labels


def train_linear_classifier(points, labels, classes, steps=100, learning_rate=0.5):
    """Gradient descent on mean cross-entropy of points @ W + b; returns W, b, loss history."""
    loss_fn = CrossEntropyLoss()
    x = Tensor(points)
    weight = Tensor(np.zeros((points.shape[1], classes), dtype=np.float32))
    bias = Tensor(np.zeros(classes, dtype=np.float32))
    history = []
    for _ in range(steps):
        logits = x @ weight + bias
        history.append(loss_fn(logits, labels).item())
        logits_gradient = Tensor(loss_fn.backward(logits, labels))
        weight = weight - learning_rate * (x.T @ logits_gradient)
        bias = bias - learning_rate * logits_gradient.sum(axis=0)
    return weight, bias, history


points, labels = make_clusters(seed=0)
weight, bias, history = train_linear_classifier(points, labels, classes=3)
accuracy = np.mean((Tensor(points) @ weight + bias).data.argmax(axis=1) == labels)
np.testing.assert_allclose(history[0], np.log(3), rtol=1e-5, err_msg="zero weights: the first loss is log(3)")
assert history[-1] < 0.5 * history[0], f"the loss should at least halve in 100 steps: {history[0]:.3f} -> {history[-1]:.3f}"
assert accuracy > 0.95, f"separable clusters should be classified almost perfectly, accuracy {accuracy:.2f}"
print(f"Integration passed: loss {history[0]:.3f} -> {history[-1]:.3f}, accuracy {accuracy:.0%}.")
### BEGIN HIDDEN TESTS
from autograder.gradcheck import check_vjp

rng = np.random.default_rng(4406)
cross_entropy = CrossEntropyLoss()
for classes in (2, 5, 17):
    n = int(rng.integers(1, 9))
    np.testing.assert_allclose(cross_entropy(Tensor(np.full((n, classes), rng.standard_normal())), rng.integers(0, classes, n)).item(),
                               np.log(classes), rtol=1e-6, err_msg=f"uniform logits over {classes} classes cost log({classes})")
points4, labels4 = make_clusters(seed=4407, classes=4, per_class=30)
weight4, bias4, history4 = train_linear_classifier(points4, labels4, classes=4)
accuracy4 = np.mean((Tensor(points4) @ weight4 + bias4).data.argmax(axis=1) == labels4)
assert history4[-1] < 0.5 * history4[0] and accuracy4 > 0.9, f"4 clusters: loss {history4[0]:.3f} -> {history4[-1]:.3f}, accuracy {accuracy4:.2f}"
x64, y = points4[:12].astype(np.float64), labels4[:12]
bias64 = rng.standard_normal(4)
# Assigned, not left as the cell's last value: nbgrader reads a number shown as a cell's
# output as that cell's partial score.
chain_rule_error = check_vjp("dL/dW = x.T @ CrossEntropyLoss.backward(x @ W + b)",
                             lambda w: np.asarray(cross_entropy.forward(Tensor(x64) @ Tensor(w) + Tensor(bias64), y).data),
                             lambda upstream, w: upstream * (Tensor(x64).T @ Tensor(cross_entropy.backward(Tensor(x64) @ Tensor(w) + Tensor(bias64), y))).data,
                             [rng.standard_normal((2, 4))])
### END HIDDEN TESTS

# %% [markdown]
# Watch it learn: the loss from $\log 3$ down, and the regions the trained classifier gives to
# each class.

# %%
points, labels = make_clusters(seed=0)
weight, bias, history = train_linear_classifier(points, labels, classes=3)
figure, (left_axis, right_axis) = plt.subplots(1, 2, figsize=(10, 3.5))
left_axis.plot(history)
left_axis.axhline(np.log(3), color="grey", linestyle="--", label="log 3: knows nothing")
left_axis.set(xlabel="step", ylabel="cross-entropy", title="Training loss")
left_axis.legend()
grid_x, grid_y = np.meshgrid(np.linspace(-5, 5, 200), np.linspace(-5, 5, 200))
grid = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1).astype(np.float32)
regions = (Tensor(grid) @ weight + bias).data.argmax(axis=1).reshape(grid_x.shape)
right_axis.contourf(grid_x, grid_y, regions, alpha=0.25, levels=[-0.5, 0.5, 1.5, 2.5], colors=["C0", "C1", "C2"])
right_axis.scatter(points[:, 0], points[:, 1], c=[f"C{k}" for k in labels], s=10)
right_axis.set(xlabel="$x_1$", ylabel="$x_2$", title="Decision regions after 100 steps")
figure.tight_layout()
plt.show()

# %% [markdown]
# ## Summary
#
# You built the losses that turn a model's guess into one number and a gradient:
#
# - `log_softmax`, stable by shifting with the maximum and taking logs before they can
#   underflow, written in Tensor operations so autograd will differentiate it for free;
# - `MSELoss`, with gradient $2(p - t)/n$, and a shape check that stops silent broadcasting;
# - `CrossEntropyLoss`, from logits and class ids, with the gradient
#   $(\mathrm{softmax} - \mathrm{onehot})/N$, and targets checked for range;
# - `BinaryCrossEntropyLoss`, clamped to $[10^{-7}, 1 - 10^{-7}]$ because that is what float32
#   can tell apart from 0 and 1.
#
# You measured that cross-entropy costs time and memory in proportion to $N \times C$, which
# is small for ten classes and the largest array of the step for a language model, and you
# trained a classifier with nothing but a matrix product and your gradient.
#
# **Next:** module 05 builds autograd. Your `backward` methods become the backward of one
# graph node each, so `loss.backward()` will start from the formulas you derived here.
#
# **Export your work** into your own package: `python -m autograder export` with this
# notebook writes `tinytorch/core/losses.py`.
