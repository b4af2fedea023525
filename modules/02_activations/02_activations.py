# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Module 02 — Activations
#
# A stack of matrix multiplications is still one matrix multiplication: $W_2(W_1 x) = (W_2 W_1)x$.
# However many layers you pile up, without something *non-linear* between them the network can
# only draw straight lines. **Activation functions** are that something: cheap elementwise (or,
# for softmax, row-wise) functions that bend the space between two layers.
#
# **What you build.** Five activations, each as a small class with a `forward` (the function)
# and a `backward` (its derivative, in the form backpropagation needs):
#
# | class | formula | where it is used |
# |---|---|---|
# | `Sigmoid` | $\sigma(x) = 1/(1+e^{-x})$ | binary probabilities, gates in LSTMs |
# | `ReLU` | $\max(0, x)$ | the default hidden activation of MLPs and CNNs |
# | `Tanh` | $\tanh x$ | zero-centred squashing, RNNs |
# | `GELU` | $x\,\Phi(x)$ (tanh approximation) | transformers: BERT, GPT-2 and most since |
# | `Softmax` | $e^{x_i}/\sum_j e^{x_j}$ | turning scores into a probability distribution; attention |
#
# **Why build them yourself.** Each formula fits on one line, and each has a trap: written the
# obvious way, sigmoid and softmax overflow for inputs that real networks do produce, and a
# wrong derivative silently trains a network badly instead of crashing it. You will write the
# stable forms and check every derivative numerically.
#
# **What you need.** Module 01's `Tensor` (imported from the reference package below) and the
# chain rule from calculus.
#
# **Where it lands.** Your classes are exported to `tinytorch/core/activations.py`:
# `from tinytorch.core.activations import ReLU, Softmax`.
#
# **How this notebook works.** As in module 01: fill in the places marked `# YOUR CODE HERE`
# (delete the `raise NotImplementedError()` line), run the cell, then run the test cell below it.

# %%
#| default_exp core.activations
#| export
import numpy as np

from tinytorch.core.tensor import Tensor

# %%
import time
import tracemalloc

import matplotlib.pyplot as plt

from autograder.gradcheck import check_vjp

# %% [markdown]
# ## Forward, backward, and how this module is graded before autograd exists
#
# Training needs, for every operation $y = f(x)$ in the network, the answer to one question:
# *given how the loss changes with the output, $\partial L/\partial y$, how does it change
# with the input, $\partial L/\partial x$?* By the chain rule,
# $$\frac{\partial L}{\partial x_j} = \sum_i \frac{\partial L}{\partial y_i}\,\frac{\partial y_i}{\partial x_j},
# \qquad\text{in matrix form}\qquad \frac{\partial L}{\partial x} = J^\top \frac{\partial L}{\partial y},$$
# where $J_{ij} = \partial y_i / \partial x_j$ is the Jacobian of $f$. This product is called a
# **vector-Jacobian product** (VJP), and it is exactly what each `backward` computes:
#
# ```
#   forward:   x ──f──▶ y            backward:  dL/dx ◀──backward(x, ·)── dL/dy   (same shapes)
# ```
#
# For an **elementwise** function ($y_i = f(x_i)$) the Jacobian is diagonal, so the VJP is just
# `grad_output * f'(x)`, entry by entry. Softmax is the one activation here where every output
# depends on every input of its row, so its Jacobian is full; Step 5 shows how to apply it
# without ever building it.
#
# **Graded now, wired in later.** Automatic differentiation arrives in module 05. Until then
# each activation writes its *local* derivative by hand, and this notebook checks it against
# **central differences** of your own forward:
# $$\frac{\partial L}{\partial x_j} \approx \frac{L(x + \varepsilon e_j) - L(x - \varepsilon e_j)}{2\varepsilon},
# \qquad L(x) = \textstyle\sum_i g_i\, f(x)_i,\ \ g \text{ random},\ \ \varepsilon = 10^{-6},$$
# in float64 (float32's seven digits cannot see a change of $10^{-6}$). The course's checker
# `check_vjp` does that and, when your backward is wrong, says where and by how much. In
# module 05, `enable_autograd()` wraps the call of every activation so that its result becomes
# one node of the computation graph, and that node's backward calls **your `backward`,
# unchanged**. So what you check here is what trains every network of the course.
#
# That contract fixes three rules for every activation:
#
# 1. `forward(x)` computes on the numpy array `x.data` and returns a **new** `Tensor` of
#    `x`'s dtype (float32 in, float32 out; float64 in, float64 out).
# 2. `backward(x, grad_output)` receives the *input* `x` of the forward (a Tensor) and
#    $\partial L/\partial y$ (a numpy array of `x`'s shape) and returns $\partial L/\partial x$
#    as a numpy array of the same shape. It recomputes what it needs from `x.data`, and does
#    not call the activation again: in module 05 calling it records graph nodes, and
#    backward runs while that graph is being walked.
# 3. Neither may change `x`.
#
# The base class below (given) holds what the five share. `__call__` runs `self.forward`;
# module 05 wraps this one `__call__`, so that `Sigmoid()(x)` records a graph node for every
# activation, even ones written after module 05, with no change here. `parameters()` returns an empty list, so an activation can sit in a `Sequential` next to
# the layers of module 03 (it has nothing to train).

# %%
#| export
class Activation:
    """Base class of the activations: `activation(x)` runs `forward(x)`.

    Subclasses implement `forward(x: Tensor) -> Tensor` on `x.data` with numpy, and
    `backward(x: Tensor, grad_output: np.ndarray) -> np.ndarray`, the vector-Jacobian
    product dL/dx given dL/dy for the input x of the forward.
    """

    def __call__(self, x):
        # Module 05 wraps this method, so calling any activation records one graph node
        # whose backward is the activation's own `backward`.
        return self.forward(x)

    def forward(self, x):
        raise NotImplementedError(f"{type(self).__name__} must implement forward(x)")

    def backward(self, x, grad_output):
        raise NotImplementedError(f"{type(self).__name__} must implement backward(x, grad_output)")

    def parameters(self):
        """Activations have no trainable tensors."""
        return []

    def __repr__(self):
        return f"{type(self).__name__}()"


# %% [markdown]
# ### Two helpers for the tests
#
# Run this cell once. `check_activation_backward` holds an activation's `backward` to central
# differences of its `forward`; `run_without_float_errors` runs a computation with numpy set to
# **raise** on overflow, on invalid results (NaN from `inf - inf` or `0 * inf`) and on division
# by zero, instead of printing a warning and carrying on. Underflow stays allowed: $e^{-1000}$
# rounding to $0$ is the correct answer, not an error. `plot_activation` draws a function and
# its derivative from your code.

# %%
def check_activation_backward(activation, values, seed=0):
    """check_vjp of activation.backward against central differences of activation.forward."""
    return check_vjp(
        f"{activation!r}.backward",
        lambda x: activation.forward(Tensor(x)).data,
        lambda upstream, x: activation.backward(Tensor(x), upstream),
        [values],
        seed=seed,
    )


def run_without_float_errors(compute, what):
    """compute() with overflow, invalid and divide-by-zero raising; a readable failure."""
    with np.errstate(all="raise", under="ignore"):
        try:
            return compute()
        except FloatingPointError as error:
            raise AssertionError(
                f"{what}: numpy reported '{error}'. An intermediate value overflowed or became NaN; "
                "rewrite the formula so that exp only ever sees arguments <= 0."
            ) from error


def plot_activation(activation, axis, title):
    """Draw activation(x) and its derivative, backward(x, ones), on one axis."""
    x = np.linspace(-5.0, 5.0, 401)
    axis.plot(x, activation(Tensor(x)).data, label="f(x)")
    axis.plot(x, activation.backward(Tensor(x), np.ones_like(x)), "--", label="f'(x)")
    axis.axhline(0.0, color="grey", linewidth=0.5)
    axis.axvline(0.0, color="grey", linewidth=0.5)
    axis.set(title=title, xlabel="x")
    axis.legend()


# %% [markdown]
# ## Step 1 — Sigmoid
#
# $$\sigma(x) = \frac{1}{1 + e^{-x}} \in (0, 1)$$
#
# Sigmoid squashes any real number into a probability. Its derivative follows from the
# quotient rule, and comes out in terms of $\sigma$ itself:
# $$\sigma'(x) = \frac{e^{-x}}{(1+e^{-x})^2} = \frac{1}{1+e^{-x}}\cdot\frac{e^{-x}}{1+e^{-x}}
# = \sigma(x)\,\bigl(1 - \sigma(x)\bigr).$$
# It peaks at $\sigma'(0) = 1/4$ and vanishes in both tails: a unit that saturates stops
# learning (the *vanishing gradient*), which is why hidden layers moved on to ReLU. The
# backward is elementwise: `grad_output * s * (1 - s)`.
#
# **Stability.** For $x = -1000$ the textbook formula computes $e^{1000}$, which overflows to
# `inf` (float64 stops near $e^{709}$, float32 near $e^{88}$). The answer, $1/(1+\infty) = 0$,
# happens to come out right, but numpy warns, and the same `inf` inside a longer expression
# gives `inf / inf = NaN`. The cure is to only ever call `exp` on a non-positive number. With
# $d = e^{-|x|} \in (0, 1]$:
# $$\sigma(x) = \begin{cases} \dfrac{1}{1 + d} & x \ge 0 \\[2mm] \dfrac{d}{1 + d} & x < 0
# \quad\text{(multiply top and bottom of } \tfrac{1}{1+e^{-x}} \text{ by } e^{x}\text{)}\end{cases}$$
# Both branches are exact, neither can overflow. `np.where(condition, a, b)` picks between two
# arrays entry by entry (it computes both, which is fine here because both are safe).
#
# Write `stable_sigmoid` on numpy arrays, then use it in both methods of `Sigmoid`.

# %% nbgrader={"grade": false, "grade_id": "sigmoid-class", "locked": false, "schema_version": 3, "solution": true}
#| export
def stable_sigmoid(values):
    """1 / (1 + exp(-values)) for a numpy array, without overflow for any input.

    Use d = exp(-|values|), which lies in (0, 1], and np.where to choose 1 / (1 + d)
    where values >= 0 and d / (1 + d) elsewhere. Keep the dtype: combine arrays with
    Python numbers (1, not np.float64(1)).
    """
    ### BEGIN SOLUTION
    decay = np.exp(-np.abs(values))  # in (0, 1]: exp never sees a positive argument
    return np.where(values >= 0, 1 / (1 + decay), decay / (1 + decay))
    ### END SOLUTION


class Sigmoid(Activation):
    """sigma(x) = 1 / (1 + exp(-x)), elementwise."""

    def forward(self, x):
        """A new Tensor holding stable_sigmoid(x.data)."""
        ### BEGIN SOLUTION
        return Tensor(stable_sigmoid(x.data))
        ### END SOLUTION

    def backward(self, x, grad_output):
        """dL/dx = grad_output * s * (1 - s), with s = sigma(x) recomputed from x.data."""
        ### BEGIN SOLUTION
        s = stable_sigmoid(x.data)
        return grad_output * s * (1 - s)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "activation-sigmoid", "locked": true, "points": 2, "schema_version": 3, "solution": false}
sigmoid = Sigmoid()
x = Tensor([-2.0, 0.0, 2.0])
y = sigmoid(x)
assert isinstance(y, Tensor) and y is not x, "forward must return a new Tensor"
np.testing.assert_allclose(y.data, [0.11920292202211755, 0.5, 0.8807970779778823], rtol=1e-6, err_msg="sigmoid([-2, 0, 2])")
assert y.dtype == np.float32, f"float32 in, float32 out: got {y.dtype}"
np.testing.assert_array_equal(x.data, [-2.0, 0.0, 2.0], err_msg="forward must not change its input")
extreme = run_without_float_errors(lambda: sigmoid(Tensor([-1000.0, -100.0, 100.0, 1000.0])).data, "sigmoid at ±1000")
np.testing.assert_allclose(extreme, [0.0, 0.0, 1.0, 1.0], atol=1e-30, err_msg="sigmoid saturates to 0 and 1")
slopes = sigmoid.backward(Tensor([0.0, 2.0]), np.ones(2, dtype=np.float32))
np.testing.assert_allclose(slopes, [0.25, 0.8807970779778823 * 0.11920292202211755], rtol=1e-6, err_msg="sigmoid'(x) = s(x)(1 - s(x))")
np.testing.assert_allclose(sigmoid.backward(Tensor([0.0]), np.array([3.0])), [0.75], err_msg="backward multiplies by grad_output")
print("Step 1 passed: sigmoid is stable and its backward looks right (the hidden tests check it numerically).")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(2101)
for _ in range(5):
    shape = tuple(int(n) for n in rng.integers(1, 5, size=rng.integers(1, 4)))
    values = rng.standard_normal(shape) * 4
    np.testing.assert_allclose(sigmoid(Tensor(values)).data, 1 / (1 + np.exp(-values)), rtol=1e-12, err_msg=f"sigmoid, shape {shape}")
    assert sigmoid(Tensor(values.astype(np.float32))).dtype == np.float32, "float32 in, float32 out"
    check_activation_backward(sigmoid, values, seed=int(rng.integers(1000)))
for dtype in (np.float32, np.float64):
    wide = (rng.uniform(-1000, 1000, size=(4, 6)) * rng.choice([1.0, 1e-3], size=(4, 6))).astype(dtype)
    wide[0, :2] = [-1000.0, 1000.0]
    forward = run_without_float_errors(lambda: sigmoid(Tensor(wide)).data, f"sigmoid on {dtype.__name__} values up to ±1000")
    assert np.all(np.isfinite(forward)) and np.all((forward >= 0) & (forward <= 1))
    np.testing.assert_allclose(forward, 1 / (1 + np.exp(-np.clip(wide.astype(np.float64), -700, 700))), rtol=1e-5, atol=1e-30)
    backward = run_without_float_errors(lambda: sigmoid.backward(Tensor(wide), np.ones_like(wide)), "sigmoid backward at ±1000")
    assert np.all(np.isfinite(backward)), "sigmoid backward must stay finite at ±1000"
### END HIDDEN TESTS

# %% [markdown]
# Your sigmoid and its derivative (drawn from your `backward` with `grad_output = 1`, which for
# an elementwise function is the derivative itself):

# %%
figure, axis = plt.subplots(figsize=(5, 3.2))
plot_activation(Sigmoid(), axis, "Sigmoid: derivative at most 1/4")
figure.tight_layout()
plt.show()

# %% [markdown]
# ## Step 2 — ReLU
#
# $$\mathrm{ReLU}(x) = \max(0, x), \qquad \mathrm{ReLU}'(x) = \begin{cases} 1 & x > 0 \\ 0 & x < 0 \end{cases}$$
#
# The rectified linear unit passes positive inputs through and zeroes the rest. Its gradient
# is exactly $1$ wherever the unit is active, so stacking many ReLU layers does not shrink the
# gradient the way sigmoid's $\le 1/4$ does; that, and being nearly free to compute, is why it
# became the default. Its weakness is the other half: a unit whose input is negative for every
# sample gets zero gradient and never recovers (a "dead" ReLU).
#
# At exactly $x = 0$ there is no derivative (a kink). Frameworks pick $0$ there, and so do we:
# the backward is `grad_output` where $x > 0$ and $0$ elsewhere. Numerical checks stay away
# from the kink: central differences straddling $0$ would average the two slopes.
#
# ReLU cannot overflow. Keep the dtype: `np.maximum(values, 0)` with a Python `0` does.

# %% nbgrader={"grade": false, "grade_id": "relu-class", "locked": false, "schema_version": 3, "solution": true}
#| export
class ReLU(Activation):
    """max(0, x), elementwise."""

    def forward(self, x):
        """A new Tensor holding max(0, x) entry by entry (np.maximum)."""
        ### BEGIN SOLUTION
        return Tensor(np.maximum(x.data, 0))
        ### END SOLUTION

    def backward(self, x, grad_output):
        """dL/dx = grad_output where x > 0, and 0 where x <= 0."""
        ### BEGIN SOLUTION
        return grad_output * (x.data > 0)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "activation-relu", "locked": true, "points": 2, "schema_version": 3, "solution": false}
relu = ReLU()
x = Tensor([[-2.0, -0.5, 0.0], [0.5, 2.0, 3.0]])
y = relu(x)
assert isinstance(y, Tensor) and y is not x, "forward must return a new Tensor"
np.testing.assert_array_equal(y.data, [[0, 0, 0], [0.5, 2, 3]], err_msg="relu")
assert y.dtype == np.float32, f"float32 in, float32 out: got {y.dtype}"
np.testing.assert_array_equal(x.data[0], [-2.0, -0.5, 0.0], err_msg="forward must not change its input")
extreme = run_without_float_errors(lambda: relu(Tensor([-1000.0, 1000.0])).data, "relu at ±1000")
np.testing.assert_array_equal(extreme, [0.0, 1000.0], err_msg="relu at ±1000")
upstream = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32)
np.testing.assert_array_equal(relu.backward(x, upstream), [[0, 0, 0], [4, 5, 6]],
                              err_msg="ReLU passes grad_output where x > 0 and blocks it where x <= 0")
print("Step 2 passed: relu and its backward.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(2202)
for _ in range(5):
    shape = tuple(int(n) for n in rng.integers(1, 5, size=rng.integers(1, 4)))
    # |x| >= 0.1: far enough from the kink for central differences with step 1e-6
    values = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 5.0, size=shape)
    np.testing.assert_array_equal(relu(Tensor(values)).data, np.where(values > 0, values, 0.0), err_msg=f"relu, shape {shape}")
    assert relu(Tensor(values.astype(np.float32))).dtype == np.float32, "float32 in, float32 out"
    check_activation_backward(relu, values, seed=int(rng.integers(1000)))
wide = rng.uniform(-1000, 1000, size=(5, 7))
wide[0, :2] = [-1000.0, 1000.0]
np.testing.assert_array_equal(run_without_float_errors(lambda: relu(Tensor(wide)).data, "relu at ±1000"), np.maximum(wide, 0))
### END HIDDEN TESTS

# %%
figure, axis = plt.subplots(figsize=(5, 3.2))
plot_activation(ReLU(), axis, "ReLU: slope 1 or 0")
figure.tight_layout()
plt.show()

# %% [markdown]
# ## Step 3 — Tanh
#
# $$\tanh x = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}} = 2\sigma(2x) - 1 \in (-1, 1)$$
#
# Tanh is a sigmoid stretched to $(-1, 1)$. Being centred on zero, its outputs do not push
# every weight of the next layer's gradient in the same direction, which made it the usual
# choice in recurrent networks. Differentiating with the quotient rule:
# $$\tanh'(x) = \frac{(e^{x}+e^{-x})^2 - (e^{x}-e^{-x})^2}{(e^{x}+e^{-x})^2} = 1 - \tanh^2 x.$$
# Like sigmoid's, the derivative is written with the function's own value $t = \tanh x$: the
# backward is `grad_output` times $1 - t^2$. It peaks at $1$ (four times sigmoid's peak) and
# still vanishes in the tails.
#
# Written from the definition, $e^{1000}/e^{1000}$ is `inf / inf = NaN`. `np.tanh` is computed
# carefully for the whole real line, so use it.

# %% nbgrader={"grade": false, "grade_id": "tanh-class", "locked": false, "schema_version": 3, "solution": true}
#| export
class Tanh(Activation):
    """tanh(x), elementwise."""

    def forward(self, x):
        """A new Tensor holding np.tanh(x.data)."""
        ### BEGIN SOLUTION
        return Tensor(np.tanh(x.data))
        ### END SOLUTION

    def backward(self, x, grad_output):
        """dL/dx = grad_output * (1 - t^2), with t = tanh(x) recomputed from x.data."""
        ### BEGIN SOLUTION
        t = np.tanh(x.data)
        return grad_output * (1 - t**2)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "activation-tanh", "locked": true, "points": 2, "schema_version": 3, "solution": false}
tanh = Tanh()
x = Tensor([-0.5, 0.0, 1.0])
y = tanh(x)
assert isinstance(y, Tensor) and y is not x, "forward must return a new Tensor"
np.testing.assert_allclose(y.data, [-0.46211715726000974, 0.0, 0.7615941559557649], rtol=1e-6, atol=1e-7, err_msg="tanh([-0.5, 0, 1])")
assert y.dtype == np.float32, f"float32 in, float32 out: got {y.dtype}"
extreme = run_without_float_errors(lambda: tanh(Tensor([-1000.0, 1000.0])).data, "tanh at ±1000")
np.testing.assert_array_equal(extreme, [-1.0, 1.0], err_msg="tanh saturates to -1 and 1")
slopes = tanh.backward(Tensor([0.0, 1.0]), np.ones(2, dtype=np.float32))
np.testing.assert_allclose(slopes, [1.0, 1 - 0.7615941559557649**2], rtol=1e-6, err_msg="tanh'(x) = 1 - tanh(x)^2")
print("Step 3 passed: tanh and its backward.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(2303)
for _ in range(5):
    shape = tuple(int(n) for n in rng.integers(1, 5, size=rng.integers(1, 4)))
    values = rng.standard_normal(shape) * 2
    reference = (np.exp(values) - np.exp(-values)) / (np.exp(values) + np.exp(-values))
    np.testing.assert_allclose(tanh(Tensor(values)).data, reference, rtol=1e-10, atol=1e-14, err_msg=f"tanh, shape {shape}")
    assert tanh(Tensor(values.astype(np.float32))).dtype == np.float32, "float32 in, float32 out"
    check_activation_backward(tanh, values, seed=int(rng.integers(1000)))
wide = rng.choice([-1.0, 1.0], size=(4, 6)) * rng.uniform(20, 1000, size=(4, 6))  # all saturated
wide[0, :2] = [-1000.0, 1000.0]
forward = run_without_float_errors(lambda: tanh(Tensor(wide)).data, "tanh at ±1000")
np.testing.assert_allclose(forward, np.sign(wide), atol=1e-12)
backward = run_without_float_errors(lambda: tanh.backward(Tensor(wide), np.ones_like(wide)), "tanh backward at ±1000")
assert np.all(np.isfinite(backward)) and np.all(np.abs(backward) < 1e-12), "tanh' vanishes at ±1000"
### END HIDDEN TESTS

# %%
figure, axis = plt.subplots(figsize=(5, 3.2))
plot_activation(Tanh(), axis, "Tanh: derivative peaks at 1")
figure.tight_layout()
plt.show()

# %% [markdown]
# ## Step 4 — GELU
#
# The Gaussian Error Linear Unit weighs its input by how likely a standard normal variable is
# to be smaller than it:
# $$\mathrm{GELU}(x) = x\,\Phi(x) = \frac{x}{2}\Bigl(1 + \operatorname{erf}\bigl(x/\sqrt{2}\bigr)\Bigr),$$
# where $\Phi$ is the normal CDF. For large positive $x$ it is $x$ (like ReLU), for large
# negative $x$ it is $0$, and in between it is smooth, with a small dip below zero around
# $x \approx -0.75$. Unlike ReLU it has a derivative everywhere, which optimizers like.
#
# **The tanh approximation.** `erf` is not a numpy function, and in 2016 it was also slower
# than `tanh` on GPUs. The GELU paper therefore gave a close approximation, which the original
# BERT and GPT-2 code use, and which you implement:
# $$\mathrm{GELU}(x) \approx \tfrac12\, x\,\bigl(1 + \tanh u\bigr), \qquad u = \sqrt{2/\pi}\,\bigl(x + 0.044715\,x^3\bigr).$$
# It differs from the exact, erf-based GELU by less than $10^{-3}$ everywhere (PyTorch offers
# both, as `GELU(approximate="tanh")` and the default `GELU()`). A model must run with the
# variant it was trained with; GPT-2's weights expect this one.
#
# **Derivative.** With the product rule, and $\frac{d}{dx}\tanh u = (1 - \tanh^2 u)\,u'$:
# $$\mathrm{GELU}'(x) = \tfrac12\bigl(1 + \tanh u\bigr) + \tfrac12\, x\,\bigl(1 - \tanh^2 u\bigr)\,u',
# \qquad u' = \sqrt{2/\pi}\,\bigl(1 + 3 \cdot 0.044715\, x^2\bigr).$$
# The first term alone is a smoothed step; forgetting the second (the derivative of the
# $\tanh$ factor) is the classic mistake here, and the gradient check catches it.
#
# **Stability.** At $|x| = 1000$, $x^3 = 10^9$: large, far from float32's limit of $3 \cdot
# 10^{38}$. `tanh` saturates to $\pm 1$ and the formula gives exactly $x$ or $0$.
#
# **Dtype.** The constants are Python floats on purpose. Under numpy's promotion rules a
# Python float adapts to the array it meets, but a `np.float64` scalar does not: multiplying a
# float32 array by `np.sqrt(2 / np.pi)` would silently give a float64 result.

# %% nbgrader={"grade": false, "grade_id": "gelu-class", "locked": false, "schema_version": 3, "solution": true}
#| export
class GELU(Activation):
    """GELU with the tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""

    SQRT_2_OVER_PI = float(np.sqrt(2.0 / np.pi))  # a Python float keeps float32 arrays float32
    CUBIC = 0.044715

    def forward(self, x):
        """A new Tensor holding 0.5 x (1 + tanh(u)), u = SQRT_2_OVER_PI (x + CUBIC x^3)."""
        ### BEGIN SOLUTION
        values = x.data
        # values * values * values, not values**3: the systems view shows why
        inner = self.SQRT_2_OVER_PI * (values + self.CUBIC * (values * values * values))
        return Tensor(0.5 * values * (1 + np.tanh(inner)))
        ### END SOLUTION

    def backward(self, x, grad_output):
        """dL/dx = grad_output * (0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) u'),
        u' = SQRT_2_OVER_PI (1 + 3 CUBIC x^2)."""
        ### BEGIN SOLUTION
        values = x.data
        square = values * values
        t = np.tanh(self.SQRT_2_OVER_PI * (values + self.CUBIC * square * values))
        inner_slope = self.SQRT_2_OVER_PI * (1 + 3 * self.CUBIC * square)
        return grad_output * (0.5 * (1 + t) + 0.5 * values * (1 - t * t) * inner_slope)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "activation-gelu", "locked": true, "points": 3, "schema_version": 3, "solution": false}
gelu = GELU()
x = Tensor([-3.0, -1.0, 0.0, 0.5, 1.0, 3.0])
y = gelu(x)
assert isinstance(y, Tensor) and y is not x, "forward must return a new Tensor"
expected = [-0.0036373920817729943, -0.1588080093917233, 0.0, 0.34571400982514394, 0.8411919906082768, 2.996362607918227]
np.testing.assert_allclose(y.data, expected, rtol=1e-5, atol=1e-7, err_msg="GELU (tanh approximation)")
assert y.dtype == np.float32, f"float32 in, float32 out: got {y.dtype} (is a constant a numpy float64?)"
extreme = run_without_float_errors(lambda: gelu(Tensor([-1000.0, 1000.0])).data, "GELU at ±1000")
np.testing.assert_array_equal(extreme, [0.0, 1000.0], err_msg="GELU(-1000) = 0, GELU(1000) = 1000")
slopes = gelu.backward(Tensor([0.0, 1000.0, -1000.0]), np.ones(3, dtype=np.float32))
np.testing.assert_allclose(slopes, [0.5, 1.0, 0.0], atol=1e-6, err_msg="GELU'(0) = 1/2, GELU'(±1000) = 1 and 0")
assert slopes.dtype == np.float32, f"float32 in, float32 out for backward too: got {slopes.dtype}"
print("Step 4 passed: GELU and its backward at a few points (the hidden tests check it numerically).")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(2404)
for _ in range(5):
    shape = tuple(int(n) for n in rng.integers(1, 5, size=rng.integers(1, 4)))
    values = rng.standard_normal(shape) * 2.5
    reference = 0.5 * values * (1 + np.tanh(np.sqrt(2 / np.pi) * (values + 0.044715 * values**3)))
    np.testing.assert_allclose(gelu(Tensor(values)).data, reference, rtol=1e-10, atol=1e-14, err_msg=f"GELU, shape {shape}")
    assert gelu(Tensor(values.astype(np.float32))).dtype == np.float32, "float32 in, float32 out"
    check_activation_backward(gelu, values, seed=int(rng.integers(1000)))
wide = rng.uniform(-1000, 1000, size=(4, 6)).astype(np.float32)
wide[0, :2] = [-1000.0, 1000.0]
forward = run_without_float_errors(lambda: gelu(Tensor(wide)).data, "GELU at ±1000")
np.testing.assert_allclose(forward, np.maximum(wide, 0), atol=1e-3)
backward = run_without_float_errors(lambda: gelu.backward(Tensor(wide), np.ones_like(wide)), "GELU backward at ±1000")
assert np.all(np.isfinite(backward)), "GELU backward must stay finite at ±1000"
### END HIDDEN TESTS

# %%
figure, axis = plt.subplots(figsize=(5, 3.2))
plot_activation(GELU(), axis, "GELU: a smooth ReLU with a dip")
x = np.linspace(-5.0, 5.0, 401)
axis.plot(x, np.maximum(x, 0), ":", color="grey", label="ReLU, for comparison")
axis.legend()
figure.tight_layout()
plt.show()

# %% [markdown]
# ## Step 5 — Softmax
#
# Softmax turns a vector of scores (logits) into probabilities, along one axis `dim`:
# $$y_i = \mathrm{softmax}(x)_i = \frac{e^{x_i}}{\sum_k e^{x_k}}, \qquad y_i > 0,\ \ \sum_i y_i = 1.$$
# For a batch of shape `(batch, classes)`, `dim=-1` normalizes each row: one distribution per
# sample. In attention (module 12) it normalizes each query's scores over the keys.
#
# **Stability.** Logits of a few hundred are ordinary late in training, and $e^{89}$ already
# overflows float32. But softmax does not change when the same constant is added to every
# score of a row:
# $$\frac{e^{x_i - c}}{\sum_k e^{x_k - c}} = \frac{e^{-c}\,e^{x_i}}{e^{-c}\sum_k e^{x_k}} = \frac{e^{x_i}}{\sum_k e^{x_k}}.$$
# Choosing $c = \max_k x_k$ makes every exponent $\le 0$, so nothing overflows, and the largest
# term is exactly $e^0 = 1$, so the sum is at least $1$ and the division is safe. Use
# `keepdims=True` on both the max and the sum so they broadcast back against the row.
#
# **Derivative.** Every output depends on every input of its row:
# $$\frac{\partial y_i}{\partial x_j} = y_i\,(\delta_{ij} - y_j), \qquad J = \operatorname{diag}(y) - y\,y^\top.$$
# Building $J$ costs $n^2$ numbers per row (for a vocabulary of 50,000 that is 10 GB per row
# in float32). The VJP never needs it. With $g = \partial L/\partial y$:
# $$\frac{\partial L}{\partial x_j} = \sum_i g_i\, y_i(\delta_{ij} - y_j) = y_j g_j - y_j \sum_i g_i y_i
# = y_j\Bigl(g_j - \sum_i g_i y_i\Bigr).$$
# In code: $y \odot (g - \text{sum of } g \odot y \text{ along dim})$, with the sum kept as a
# size-1 axis so it broadcasts. That is $O(n)$ per row. Note the consequence: if $g$ is the
# same for every entry of a row, the gradient is zero, because adding a constant to all the
# logits does not change the probabilities.

# %% nbgrader={"grade": false, "grade_id": "softmax-class", "locked": false, "schema_version": 3, "solution": true}
#| export
def stable_softmax(values, axis=-1):
    """exp(values) / exp(values).sum(axis) for a numpy array, without overflow.

    Subtract the maximum along `axis` first (keepdims=True, so that it broadcasts), then
    exponentiate and divide by the sum along the same axis (keepdims=True again).
    """
    ### BEGIN SOLUTION
    shifted = values - values.max(axis=axis, keepdims=True)  # every exponent <= 0
    exponentials = np.exp(shifted)
    return exponentials / exponentials.sum(axis=axis, keepdims=True)
    ### END SOLUTION


class Softmax(Activation):
    """softmax along `dim`: each slice along dim becomes a probability distribution."""

    def __init__(self, dim=-1):
        self.dim = dim

    def forward(self, x):
        """A new Tensor holding stable_softmax(x.data) along self.dim."""
        ### BEGIN SOLUTION
        return Tensor(stable_softmax(x.data, axis=self.dim))
        ### END SOLUTION

    def backward(self, x, grad_output):
        """dL/dx = y * (grad_output - sum(grad_output * y) along self.dim), y = softmax(x).

        Keep the summed axis (keepdims=True) so it broadcasts against y.
        """
        ### BEGIN SOLUTION
        y = stable_softmax(x.data, axis=self.dim)
        return y * (grad_output - np.sum(grad_output * y, axis=self.dim, keepdims=True))
        ### END SOLUTION

    def __repr__(self):
        return f"Softmax(dim={self.dim})"


# %% nbgrader={"grade": true, "grade_id": "activation-softmax", "locked": true, "points": 3, "schema_version": 3, "solution": false}
softmax = Softmax()
x = Tensor([1.0, 2.0, 3.0])
y = softmax(x)
assert isinstance(y, Tensor) and y is not x, "forward must return a new Tensor"
np.testing.assert_allclose(y.data, [0.09003057317038046, 0.24472847105479767, 0.6652409557748219], rtol=1e-6, err_msg="softmax([1, 2, 3])")
assert y.dtype == np.float32, f"float32 in, float32 out: got {y.dtype}"
batch = Tensor([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])
np.testing.assert_allclose(softmax(batch).data.sum(axis=-1), [1.0, 1.0], rtol=1e-6, err_msg="each row sums to 1")
np.testing.assert_allclose(Softmax(dim=0)(batch).data.sum(axis=0), [1.0, 1.0, 1.0], rtol=1e-6, err_msg="Softmax(dim=0): each column sums to 1")
extreme = run_without_float_errors(lambda: softmax(Tensor([[1000.0, 0.0, -1000.0], [1000.0, 1000.0, 999.0]])).data, "softmax of logits ±1000")
np.testing.assert_allclose(extreme[0], [1.0, 0.0, 0.0], atol=1e-30, err_msg="softmax([1000, 0, -1000])")
np.testing.assert_allclose(extreme[1], softmax(Tensor([1.0, 1.0, 0.0])).data, rtol=1e-6, err_msg="softmax ignores a shift of the whole row")
probabilities = softmax(Tensor(np.array([1.0, 2.0, 3.0]))).data
upstream = np.array([1.0, -2.0, 0.5])
jacobian = np.diag(probabilities) - np.outer(probabilities, probabilities)
np.testing.assert_allclose(softmax.backward(Tensor(np.array([1.0, 2.0, 3.0])), upstream), jacobian.T @ upstream, rtol=1e-10,
                           err_msg="softmax backward should equal J^T g with J = diag(y) - y y^T")
np.testing.assert_allclose(softmax.backward(batch, np.ones((2, 3), dtype=np.float32)), np.zeros((2, 3)), atol=1e-7,
                           err_msg="the same gradient on every probability of a row gives a zero gradient")
print("Step 5 passed: softmax is stable, sums to 1, and its backward matches the Jacobian on one example.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(2505)
for _ in range(6):
    shape = tuple(int(n) for n in rng.integers(2, 5, size=rng.integers(1, 4)))
    dim = int(rng.integers(-len(shape), len(shape)))
    values = rng.standard_normal(shape) * 3
    activation = Softmax(dim=dim)
    exponentials = np.exp(values)
    reference = exponentials / exponentials.sum(axis=dim, keepdims=True)
    np.testing.assert_allclose(activation(Tensor(values)).data, reference, rtol=1e-10, err_msg=f"softmax of shape {shape} along dim={dim}")
    assert activation(Tensor(values.astype(np.float32))).dtype == np.float32, "float32 in, float32 out"
    check_activation_backward(activation, values, seed=int(rng.integers(1000)))
for dtype in (np.float32, np.float64):
    logits = (rng.standard_normal((4, 5)) * 1000).astype(dtype)
    logits[0] = [1000.0, -1000.0, 999.0, 0.0, 998.0]
    for dim in (0, 1):
        forward = run_without_float_errors(lambda: Softmax(dim=dim)(Tensor(logits)).data, f"softmax of {dtype.__name__} logits of about ±1000")
        shifted = logits.astype(np.float64) - logits.astype(np.float64).max(axis=dim, keepdims=True)
        np.testing.assert_allclose(forward, np.exp(shifted) / np.exp(shifted).sum(axis=dim, keepdims=True), rtol=1e-5, atol=1e-30)
        backward = run_without_float_errors(lambda: Softmax(dim=dim).backward(Tensor(logits), np.ones_like(logits)), "softmax backward at ±1000")
        assert np.all(np.isfinite(backward))
### END HIDDEN TESTS

# %% [markdown]
# To draw softmax as a curve, give it two logits, $(z, 0)$. The first probability is
# $e^z/(e^z + e^0) = \sigma(z)$: **a two-class softmax is a sigmoid**. Its derivative with
# respect to $z$ comes from your backward with $g = (1, 0)$ (the gradient of the first
# probability alone); with $g = (1, 1)$ it would be zero, as shown above.

# %%
z = np.linspace(-5.0, 5.0, 401)
two_logits = np.stack([z, np.zeros_like(z)], axis=1)  # 401 rows of (z, 0)
first_only = np.tile([1.0, 0.0], (len(z), 1))
figure, axis = plt.subplots(figsize=(5, 3.2))
axis.plot(z, Softmax()(Tensor(two_logits)).data[:, 0], label="softmax(z, 0)[0]")
axis.plot(z, Softmax().backward(Tensor(two_logits), first_only)[:, 0], "--", label="d/dz")
axis.plot(z, Sigmoid()(Tensor(z)).data, ":", color="black", label="sigmoid(z)")
axis.set(title="Softmax of two logits is a sigmoid", xlabel="z")
axis.legend()
figure.tight_layout()
plt.show()

# %% [markdown]
# ## Systems view: what an activation costs
#
# Every activation reads $n$ numbers and writes $n$; a matmul does $2mnk$ FLOPs on a similar
# amount of data. An activation does a handful of operations per number it moves, so it is
# **memory-bound**: its time goes mostly into reading and writing memory, not into
# arithmetic. On top of that come the cost of the building blocks (`exp`, `tanh`, ...) and of
# the temporary arrays a numpy expression allocates at every step.
#
# The cell below measures, on one million float32 numbers (4 MB), the time per element of each
# forward and backward, and the *peak extra memory* each call allocates (numpy reports its
# allocations to Python's `tracemalloc`).

# %%
def best_time(compute, repeats=5):
    """Fastest of a few runs, after a warm-up: the least noisy estimate."""
    compute()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        compute()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_extra_bytes(compute):
    """Largest amount of memory allocated at once while compute() runs."""
    tracemalloc.start()
    compute()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


inputs = Tensor(np.random.default_rng(0).standard_normal((1000, 1000)).astype(np.float32))
upstream = np.ones(inputs.shape, dtype=np.float32)
input_megabytes = inputs.data.nbytes / 1e6
rows = []
for activation in [ReLU(), Sigmoid(), Tanh(), GELU(), Softmax()]:
    forward_s = best_time(lambda: activation(inputs))
    backward_s = best_time(lambda: activation.backward(inputs, upstream))
    memory = peak_extra_bytes(lambda: activation(inputs)) / 1e6
    rows.append((repr(activation), forward_s, backward_s, memory))
relu_forward = rows[0][1]
print(f"input: {inputs.size:,} float32 numbers = {input_megabytes:.0f} MB; output of every forward: the same size\n")
print(f"{'activation':16s} {'forward ns/elem':>16s} {'x ReLU':>7s} {'backward ns/elem':>17s} {'forward peak MB':>16s}")
for name, forward_s, backward_s, memory in rows:
    print(f"{name:16s} {forward_s / inputs.size * 1e9:16.2f} {forward_s / relu_forward:7.1f} "
          f"{backward_s / inputs.size * 1e9:17.2f} {memory:16.1f}")
print(f"\nReLU forward moves {2 * input_megabytes:.0f} MB (read x, write y) at "
      f"{2 * inputs.data.nbytes / relu_forward / 1e9:.1f} GB/s: the speed of memory, not of arithmetic.")

figure, axis = plt.subplots(figsize=(6.5, 3.2))
positions = np.arange(len(rows))
axis.bar(positions - 0.2, [r[1] / inputs.size * 1e9 for r in rows], width=0.4, label="forward")
axis.bar(positions + 0.2, [r[2] / inputs.size * 1e9 for r in rows], width=0.4, label="backward")
axis.set_xticks(positions, [r[0] for r in rows])
axis.set(ylabel="ns per element", title="1M float32 elements")
axis.legend()
figure.tight_layout()
plt.show()

# %% [markdown]
# Where does the time go? Timing the numpy building blocks one by one on the same array
# answers it, and two of the answers are surprising:

# %%
values = inputs.data
decay = np.exp(-np.abs(values))
building_blocks = {
    "np.maximum(v, 0)": lambda: np.maximum(values, 0),
    "v * v": lambda: values * values,
    "np.exp(v)": lambda: np.exp(values),
    "np.tanh(v)": lambda: np.tanh(values),
    "v * v * v": lambda: values * values * values,
    "v ** 3": lambda: values**3,
    "np.where(v >= 0, a, b)": lambda: np.where(values >= 0, decay, decay),
    "branch-free sigmoid": lambda: np.exp(np.minimum(values, 0)) / (1 + decay),
}
for name, compute in building_blocks.items():
    print(f"{name:24s} {best_time(compute) / values.size * 1e9:7.2f} ns/element")

# %% [markdown]
# Read the two tables:
#
# - **ReLU is among the cheapest**: one comparison per element and one output array. It reads
#   4 MB and writes 4 MB, and that memory traffic, not arithmetic, is what it costs.
# - **`exp` and `tanh` are vectorized.** numpy evaluates them with SIMD instructions several
#   numbers at a time, so on many machines they cost not much more than a multiplication.
# - **`v ** 3` is a trap.** numpy turns `** 2` into a multiplication but sends `** 3` to the
#   general `pow` routine, which handles any real exponent and is many times slower than
#   `v * v * v`. That is why GELU's code spells the cube out.
# - **`np.where` with an unpredictable condition is slow.** Choosing between two arrays entry
#   by entry, when the sign of each entry is random, costs more than the exponentials
#   themselves. The same sigmoid can be written
#   without a branch: the numerator is $1$ for $x \ge 0$ and $e^{x}$ for $x < 0$, which is
#   $e^{\min(x, 0)}$, so $\sigma(x) = e^{\min(x,0)} / (1 + e^{-|x|})$, stable and faster. Clear
#   first, fast second: the branching form is the one to understand; module 18 comes back to
#   rewriting hot code like this.
# - **The output is the size of the input**, always (4 MB here). But the *peak* memory of a
#   forward is larger: each numpy operation in a formula like `0.5 * v * (1 + np.tanh(u))`
#   allocates a full-size temporary, and several are alive at once. Compare the first table
#   with the second: an activation whose peak is several times its input can take far longer
#   than the sum of its building blocks, because on many systems each fresh 4 MB temporary is
#   new memory that the operating system maps and zeroes before numpy may write to it.
#   Module 18 fuses such chains into one pass to remove the temporaries.
# - **What backward needs to keep.** Our `backward` receives the input `x`, so module 05 will
#   keep each activation's input alive until the backward pass, and backward recomputes the
#   rest (that is why a backward costs about as much as a forward). Other choices trade
#   memory for time: sigmoid, tanh and softmax could instead keep their *output* $y$ (their
#   derivatives are written in $y$); ReLU needs only the sign of $x$, one byte per element
#   instead of four (or one bit, packed). For a transformer with activations of shape
#   `(batch, tokens, 4 × width)` in every layer, these saved tensors, not the weights, are
#   most of the training memory.

# %% [markdown]
# ## Putting it together — a two-layer network, backward by hand
#
# A network is a chain of functions, so its backward pass is a chain of VJPs run in reverse.
# For a small classifier head
# $$h = \mathrm{GELU}(x W_1), \qquad p = \mathrm{softmax}(h W_2),$$
# the forward uses Tensor `@` from module 01 and your activations. The backward starts from
# $g = \partial L/\partial p$ and walks back, one local rule at a time:
#
# ```
# grad_logits = Softmax.backward(h @ W2, g)          through softmax
# grad_W2     = h.T @ grad_logits                    through the matmul, to its weight
# grad_h      = grad_logits @ W2.T                   ... and to its input
# grad_pre    = GELU.backward(x @ W1, grad_h)        through GELU
# grad_W1     = x.T @ grad_pre,   grad_x = grad_pre @ W1.T
# ```
#
# The test checks this whole composite against central differences, for the input and both
# weights. It is exactly the bookkeeping module 05 automates: there, each arrow becomes a graph
# node and `loss.backward()` walks them for you, calling the same `backward` methods.

# %% nbgrader={"grade": true, "grade_id": "activations-integration", "locked": true, "points": 3, "schema_version": 3, "solution": false}
def two_layer_forward(x, w1, w2, hidden_activation, output_activation):
    """output_activation(hidden_activation(x @ w1) @ w2) with Tensor matmul; numpy in, numpy out."""
    hidden = hidden_activation(Tensor(x) @ Tensor(w1))
    return output_activation(hidden @ Tensor(w2)).data


def two_layer_backward(upstream, x, w1, w2, hidden_activation, output_activation):
    """dL/dx, dL/dw1, dL/dw2 by the chain rule, one local backward at a time."""
    pre_hidden = Tensor(x) @ Tensor(w1)
    hidden = hidden_activation(pre_hidden)
    grad_logits = output_activation.backward(hidden @ Tensor(w2), upstream)
    grad_w2 = hidden.data.T @ grad_logits
    grad_pre_hidden = hidden_activation.backward(pre_hidden, grad_logits @ w2.T)
    return grad_pre_hidden @ w1.T, x.T @ grad_pre_hidden, grad_w2


def check_two_layer(hidden_activation, output_activation, x, w1, w2, seed):
    return check_vjp(
        f"{output_activation!r}({hidden_activation!r}(x @ W1) @ W2)",
        lambda x, w1, w2: two_layer_forward(x, w1, w2, hidden_activation, output_activation),
        lambda upstream, x, w1, w2: two_layer_backward(upstream, x, w1, w2, hidden_activation, output_activation),
        [x, w1, w2],
        seed=seed,
    )


rng = np.random.default_rng(0)
x, w1, w2 = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal((5, 2))
probabilities = two_layer_forward(x, w1, w2, GELU(), Softmax())
pre_hidden = x @ w1
hidden = 0.5 * pre_hidden * (1 + np.tanh(np.sqrt(2 / np.pi) * (pre_hidden + 0.044715 * pre_hidden**3)))
logits = hidden @ w2
expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
np.testing.assert_allclose(probabilities, expected, rtol=1e-10, err_msg="softmax(gelu(x @ W1) @ W2)")
assert GELU().parameters() == [] and Softmax().parameters() == [], "activations have no parameters"
errors = check_two_layer(GELU(), Softmax(), x, w1, w2, seed=1)
print(f"Integration passed: the chained backward matches central differences "
      f"(largest relative error {max(errors.values()):.1e}).")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(2606)
for hidden_activation, output_activation in [(Tanh(), Sigmoid()), (Sigmoid(), Softmax(dim=0)), (GELU(), Tanh())]:
    batch, width_in, width_hidden, width_out = (int(n) for n in rng.integers(2, 6, size=4))
    x = rng.standard_normal((batch, width_in))
    w1 = rng.standard_normal((width_in, width_hidden))
    w2 = rng.standard_normal((width_hidden, width_out))
    check_two_layer(hidden_activation, output_activation, x, w1, w2, seed=int(rng.integers(1000)))
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# You built the five activations of TinyTorch, each as a `forward` on numpy and a `backward`
# that is an exact vector-Jacobian product:
#
# | activation | derivative used in backward | stability trick |
# |---|---|---|
# | Sigmoid | $\sigma(1-\sigma)$ | `exp` only of $-\lvert x\rvert$, two branches |
# | ReLU | $1$ where $x > 0$, else $0$ | none needed |
# | Tanh | $1 - \tanh^2$ | `np.tanh` |
# | GELU | product rule through the tanh approximation | none needed at $\pm 1000$ |
# | Softmax | $y \odot (g - \textstyle\sum g \odot y)$, never the $n \times n$ Jacobian | subtract the row max |
#
# Every backward was held to central differences of your own forward, alone and chained
# through a two-layer network. You also measured what activations cost: memory traffic, a
# full-size temporary per numpy operation, and a few expensive building blocks (`** 3`,
# `np.where`) that matter more than `exp` itself.
#
# **Next:** module 03 puts `Linear` layers between these activations, and module 05 turns the
# hand-written backward calls of the last test into `loss.backward()`, reusing your `backward`
# methods as they are.
#
# **Export your work** into your own package: `python -m autograder export` with this
# notebook writes `tinytorch/core/activations.py`.
