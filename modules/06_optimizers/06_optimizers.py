# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Module 06 — Optimizers
#
# Module 05 gave every parameter a gradient: the direction in which the loss rises fastest.
# An **optimizer** decides what to do with it — how far to step, whether to remember past
# steps, how to treat parameters whose gradients are large or tiny. The choice decides
# whether a network trains in a hundred steps, in ten thousand, or not at all.
#
# **What you build.** An `Optimizer` base class (the parameter list, `zero_grad()`, the
# memory its state holds, saving and restoring that state) and the four optimizers nearly
# all of deep learning uses: `SGD` with momentum, Nesterov momentum and weight decay, `Adam`,
# and `AdamW`. Each follows PyTorch's `torch.optim` update rule exactly, so what you learn
# here carries over one to one.
#
# **Why build them yourself.** An optimizer is a few lines of arithmetic, yet each line
# hides a decision that matters: why momentum rescues a badly conditioned problem, why Adam
# without bias correction takes steps three times too large, why "weight decay" in Adam is
# not what the name says unless you write AdamW. And optimizer state is memory: Adam keeps
# two extra numbers per parameter, which for a large model costs more than the weights.
#
# **What you need.** Module 01's `Tensor` (`.data` is a numpy array you may update in
# place), module 05's autograd (`loss.backward()` fills every parameter's `.grad`), and for
# the tests modules 02–04 (activations, `Linear`, `Sequential`, losses).
#
# **Where it lands.** `tinytorch/core/optimizers.py`. Module 07's `Trainer` drives these
# optimizers, changes their `lr` with a schedule, and saves their `state_dict()` in
# checkpoints.
#
# **How this notebook works.** Fill in the places marked `# YOUR CODE HERE` (delete the
# `raise NotImplementedError()` line), run the cell, then run the test cell below it.
# Hidden tests in the same cells compare your updates with an independent float64
# implementation on random shapes when your notebook is graded.

# %%
#| default_exp core.optimizers
#| export
import numpy as np

import tinytorch.core.autograd  # noqa: F401  (gradients on)
from tinytorch.core.tensor import Tensor

# %%
import io
import time

import matplotlib.pyplot as plt

from tinytorch.core.activations import ReLU, Tanh
from tinytorch.core.autograd import no_grad
from tinytorch.core.layers import Linear, Sequential
from tinytorch.core.losses import CrossEntropyLoss, MSELoss

# %% [markdown]
# ## Gradient descent, and where it struggles
#
# Plain gradient descent moves every parameter $\theta$ a small step against its gradient
# $g = \nabla_\theta L$, scaled by the **learning rate** $\eta$:
#
# $$\theta \leftarrow \theta - \eta\, g.$$
#
# It works, but slowly on the kind of surface networks produce. Take the simplest bad case,
# a **ravine**: $L(x, y) = \tfrac12 (a x^2 + b y^2)$ with $b \gg a$, steep across the valley
# ($y$) and nearly flat along it ($x$). The gradient is $(a x,\; b y)$, so one step multiplies
# each coordinate by a factor:
#
# $$x \leftarrow (1 - \eta a)\, x, \qquad y \leftarrow (1 - \eta b)\, y .$$
#
# The steep direction decides the largest safe learning rate: $|1 - \eta b| < 1$ needs
# $\eta < 2/b$, and near that limit $y$ bounces from one wall of the valley to the other.
# With that $\eta$, the flat direction shrinks by only $1 - \eta a \approx 1 - 2a/b$ per step:
# it takes on the order of $\kappa = b/a$ steps (the **condition number**) to walk down the
# valley. Networks have condition numbers in the thousands and more.
#
# Every optimizer in this module is an answer to that problem. The figure near the end runs
# all of them — your implementations — on such a ravine.

# %% [markdown]
# ## Step 1 — The `Optimizer` base class
#
# Every optimizer shares the same outline, which is also PyTorch's:
#
# ```python
# optimizer = SGD(model.parameters(), lr=0.1)
# for batch in data:
#     optimizer.zero_grad()          # forget the previous batch's gradients
#     loss = loss_fn(model(x), y)
#     loss.backward()                # fill every parameter's .grad
#     optimizer.step()               # update every parameter in place
# ```
#
# - The constructor keeps the parameters as a **list** (`model.parameters()` might be a
#   generator, which could be walked only once). An empty list is almost always a bug — a
#   model whose layers were never registered — so it raises a `ValueError` that says so.
# - `zero_grad()` sets every `.grad` to `None`. Module 05's `backward()` *adds* into `.grad`
#   (that is how a tensor used twice gets both contributions), so without `zero_grad()` each
#   step would use the sum of all gradients so far. `None` rather than zeros is PyTorch's
#   default too: it frees the memory, and it lets `step()` tell "no gradient" from "a zero
#   gradient".
# - **A parameter whose `.grad` is `None` is skipped entirely**: not moved, not decayed, no
#   state created for it. That is PyTorch's rule, and it matters for frozen layers and for
#   parts of a model a batch did not use.
# - `self.state` holds what an optimizer remembers between steps (momentum buffers, Adam's
#   moments), keyed by the parameter's position in `self.params`, created the first time a
#   parameter is updated. `state_bytes()` measures it: the numpy arrays in the state (the
#   step counters are plain Python ints and are not counted).
# - `lr` is a plain attribute that `step()` reads every time, so a learning-rate schedule
#   (module 07) can change it between steps.
#
# `state_dict()` and `load_state_dict()` also live in this class; Step 6 explains them, fill
# them in then.

# %% nbgrader={"grade": false, "grade_id": "optimizer-base-class", "locked": false, "schema_version": 3, "solution": true}
#| export
class Optimizer:
    """Base class: holds the parameters and the state every optimizer keeps between steps.

    A subclass sets its hyperparameters as attributes, lists their names in
    `hyperparameters` (what `state_dict()` saves besides the state), and defines `step()`.
    """

    hyperparameters = ("lr",)

    def __init__(self, params):
        """Keep `params` as a list in `self.params`.

        Raise ValueError when the list is empty (say what probably went wrong), and
        TypeError when an item is not a Tensor.
        """
        ### BEGIN SOLUTION
        self.params = list(params)
        if not self.params:
            raise ValueError(
                "the optimizer got an empty parameter list: did the model register its layers "
                "as attributes, and did you pass model.parameters()?"
            )
        for index, param in enumerate(self.params):
            if not isinstance(param, Tensor):
                raise TypeError(f"parameter {index} is a {type(param).__name__}, not a Tensor")
        ### END SOLUTION
        # parameter index -> {buffer name: numpy array, "step": int}, created at its first update
        self.state = {}

    def zero_grad(self):
        """Set every parameter's .grad to None."""
        ### BEGIN SOLUTION
        for param in self.params:
            param.grad = None
        ### END SOLUTION

    def step(self):
        """Update every parameter that has a gradient (each optimizer defines its own rule)."""
        raise NotImplementedError(f"{type(self).__name__} must define step()")

    def state_bytes(self):
        """Bytes held by the numpy arrays in self.state (all parameters, all buffers)."""
        ### BEGIN SOLUTION
        return sum(
            value.nbytes
            for buffers in self.state.values()
            for value in buffers.values()
            if isinstance(value, np.ndarray)
        )
        ### END SOLUTION

    def state_dict(self):
        """Everything needed to resume: {flat name: numpy array}, a snapshot that later steps do not change.

        - each name in `self.hyperparameters`: `np.asarray(getattr(self, name))`;
        - each buffer of each parameter: "state.<index>.<buffer name>", e.g.
          "state.0.momentum_buffer" or "state.3.step", as a COPY of the array (np.array(value)).
        """
        ### BEGIN SOLUTION
        saved = {name: np.asarray(getattr(self, name)) for name in self.hyperparameters}
        for index, buffers in self.state.items():
            for buffer_name, value in buffers.items():
                saved[f"state.{index}.{buffer_name}"] = np.array(value)
        return saved
        ### END SOLUTION

    def load_state_dict(self, state_dict):
        """Restore what state_dict() saved (possibly after a round trip through np.savez/np.load).

        - each hyperparameter: `restore_like(getattr(self, name), state_dict[name])` (helper
          below); a missing one raises KeyError naming it;
        - replace self.state by the saved buffers, each a COPY (np.array(value)); a "step"
          becomes an int. A buffer for a parameter index that does not exist, or whose shape
          differs from its parameter's, raises ValueError.
        """
        ### BEGIN SOLUTION
        for name in self.hyperparameters:
            if name not in state_dict:
                raise KeyError(f"state_dict has no {name!r}: was it saved by a {type(self).__name__}?")
            setattr(self, name, restore_like(getattr(self, name), state_dict[name]))
        state = {}
        for key, value in state_dict.items():
            if not key.startswith("state."):
                continue
            _, index, buffer_name = key.split(".", 2)
            index = int(index)
            if index >= len(self.params):
                raise ValueError(f"{key}: this optimizer has only {len(self.params)} parameters")
            if buffer_name == "step":
                value = int(value)
            else:
                value = np.array(value)
                if value.shape != self.params[index].shape:
                    raise ValueError(f"{key} has shape {value.shape}, its parameter {self.params[index].shape}")
            state.setdefault(index, {})[buffer_name] = value
        self.state = state
        ### END SOLUTION


def restore_like(current, saved):
    """A saved hyperparameter (a numpy array after .npz) in the type it has now: bool, tuple or float."""
    if isinstance(current, bool):
        return bool(saved)
    if isinstance(current, tuple):
        return tuple(float(item) for item in np.asarray(saved))
    return float(saved)


# %% nbgrader={"grade": true, "grade_id": "optimizer-base", "locked": true, "points": 2, "schema_version": 3, "solution": false}
weight = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
bias = Tensor(np.zeros(3, dtype=np.float32), requires_grad=True)
optimizer = Optimizer(p for p in [weight, bias])  # a generator works: it is kept as a list
assert optimizer.params == [weight, bias], "self.params should be the list of the parameters, in order"
assert optimizer.state == {} and optimizer.state_bytes() == 0, "a new optimizer holds no state"
weight.grad, bias.grad = np.ones((2, 3), dtype=np.float32), np.ones(3, dtype=np.float32)
optimizer.zero_grad()
assert weight.grad is None and bias.grad is None, "zero_grad() should set every .grad to None"
try:
    Optimizer([])
except ValueError as error:
    assert "empty" in str(error), f"say that the parameter list is empty, got: {error}"
else:
    raise AssertionError("Optimizer([]) must raise ValueError: there is nothing to optimize")
try:
    Optimizer([np.ones(3)])
except TypeError:
    pass
else:
    raise AssertionError("a numpy array is not a parameter: raise TypeError")
optimizer.state = {0: {"step": 3, "buffer": np.zeros((2, 3), dtype=np.float32)}, 1: {"buffer": np.zeros(3)}}
assert optimizer.state_bytes() == 6 * 4 + 3 * 8, f"24 + 24 bytes of arrays expected, got {optimizer.state_bytes()}"
print("Step 1 passed: the base class keeps the parameters, zeroes gradients and measures its state.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(601)
params = [Tensor(rng.standard_normal(tuple(rng.integers(1, 5, size=rng.integers(1, 4)))), requires_grad=True)
          for _ in range(5)]
optimizer = Optimizer(iter(params))
assert len(optimizer.params) == 5 and all(a is b for a, b in zip(optimizer.params, params))
for p in params:
    p.grad = rng.standard_normal(p.shape)
optimizer.zero_grad()
assert all(p.grad is None for p in params)
optimizer.state = {i: {"a": np.zeros(p.shape), "b": np.zeros(p.shape, dtype=np.float32)} for i, p in enumerate(params)}
assert optimizer.state_bytes() == sum(12 * p.data.size for p in params)
try:
    Optimizer(params + ["weights"])
except TypeError:
    pass
else:
    raise AssertionError("a string is not a parameter: raise TypeError")
### END HIDDEN TESTS

# %% [markdown]
# ## Step 2 — Stochastic gradient descent
#
# `SGD` is the rule above, applied to every parameter that has a gradient:
#
# $$\theta \leftarrow \theta - \eta\, g .$$
#
# ("Stochastic" because $g$ is computed on a mini-batch, a noisy estimate of the gradient
# over all the data.) The update is **in place** on `p.data`: `p.data -= lr * g` writes into
# the existing array, which keeps its dtype — a float32 parameter stays float32 — and never
# allocates a second copy of the weights. Nothing is remembered between steps, so plain SGD
# has no state at all.
#
# The `SGD` class below also has momentum, Nesterov momentum and weight decay, which Steps 3
# and 4 explain; for now fill in `__init__`'s checks and the `step()` path with
# `momentum == 0` and `weight_decay == 0`, and come back to the rest.
#
# Two details: read the gradient as `np.asarray(p.grad, dtype=p.data.dtype)` so that a
# gradient of another dtype cannot turn the update (or a buffer) into float64; and read
# `self.lr` inside `step()`, never a copy taken in `__init__`, so a schedule can change it.

# %% nbgrader={"grade": false, "grade_id": "sgd-class", "locked": false, "schema_version": 3, "solution": true}
#| export
class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay.

    Per parameter with a gradient (PyTorch's torch.optim.SGD with dampening=0):
        g = grad + weight_decay * p
        buf = g on the first step, then buf = momentum * buf + g    (only if momentum > 0)
        update = g + momentum * buf if nesterov else buf            (just g without momentum)
        p -= lr * update
    """

    hyperparameters = ("lr", "momentum", "weight_decay", "nesterov")

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0, nesterov=False):
        """Store the hyperparameters; raise ValueError for a negative lr, momentum or
        weight_decay, and for nesterov=True without momentum (Nesterov needs a buffer)."""
        super().__init__(params)
        self.lr, self.momentum, self.weight_decay, self.nesterov = lr, momentum, weight_decay, nesterov
        ### BEGIN SOLUTION
        for name, value in (("lr", lr), ("momentum", momentum), ("weight_decay", weight_decay)):
            if value < 0:
                raise ValueError(f"{name} must be >= 0, got {value}")
        if nesterov and momentum <= 0:
            raise ValueError("nesterov=True needs momentum > 0: Nesterov looks ahead along the momentum")
        ### END SOLUTION

    def step(self):
        """One SGD update of every parameter whose .grad is not None (see the class docstring).

        Skip a parameter whose .grad is None (no move, no decay, no state). Read the gradient
        as np.asarray(p.grad, dtype=p.data.dtype) and update p.data in place (p.data -= ...).
        The momentum buffer lives in self.state[index]["momentum_buffer"]; create it as a copy
        of g the first time, then update it in place (buf *= momentum; buf += g).
        """
        ### BEGIN SOLUTION
        for index, param in enumerate(self.params):
            if param.grad is None:
                continue  # PyTorch skips it: not moved, not decayed, no buffer
            grad = np.asarray(param.grad, dtype=param.data.dtype)
            if self.weight_decay:
                grad = grad + self.weight_decay * param.data
            update = grad
            if self.momentum:
                state = self.state.setdefault(index, {})
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = grad.copy()
                else:
                    state["momentum_buffer"] *= self.momentum
                    state["momentum_buffer"] += grad
                buffer = state["momentum_buffer"]
                update = grad + self.momentum * buffer if self.nesterov else buffer
            param.data -= self.lr * update
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "sgd", "locked": true, "points": 3, "schema_version": 3, "solution": false}
w = Tensor(np.array([1.0, -2.0, 3.0], dtype=np.float32), requires_grad=True)
frozen = Tensor(np.array([5.0, 6.0], dtype=np.float32), requires_grad=True)
optimizer = SGD([w, frozen], lr=0.1)
w.grad = np.array([1.0, 1.0, -2.0], dtype=np.float32)
data_before = w.data
optimizer.step()
np.testing.assert_allclose(w.data, [0.9, -2.1, 3.2], rtol=1e-6, err_msg="SGD: p -= lr * grad")
assert w.data is data_before, "update p.data in place (p.data -= ...), do not replace the array"
assert w.dtype == np.float32, f"a float32 parameter must stay float32, got {w.dtype}"
np.testing.assert_array_equal(frozen.data, [5.0, 6.0], err_msg="a parameter whose grad is None must not move")
assert optimizer.state_bytes() == 0, "plain SGD keeps no state"
optimizer.lr = 0.5  # a schedule changes lr between steps
optimizer.step()
np.testing.assert_allclose(w.data, [0.4, -2.6, 4.2], rtol=1e-6, err_msg="step() must read the current self.lr")
for bad in (dict(lr=-0.1), dict(lr=0.1, momentum=-0.5)):
    try:
        SGD([w], **bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"SGD({bad}) must raise ValueError")
print("Step 2 passed: SGD steps against the gradient, in place, and skips parameters without gradients.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(602)
for trial in range(4):
    shapes = [tuple(rng.integers(1, 6, size=rng.integers(1, 4))) for _ in range(4)]
    dtype = np.float32 if trial % 2 else np.float64
    params = [Tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in shapes]
    optimizer = SGD(params, lr=float(rng.uniform(0.01, 0.5)))
    has_grad = [True, False, True, bool(trial % 2)]
    expected = []
    for p, flag in zip(params, has_grad):
        p.grad = rng.standard_normal(p.shape).astype(dtype) if flag else None
        expected.append(p.data.astype(np.float64) - (optimizer.lr * p.grad.astype(np.float64) if flag else 0.0))
    before = [p.data.copy() for p in params]
    optimizer.step()
    for p, flag, old, want in zip(params, has_grad, before, expected):
        assert p.dtype == dtype, "the update must keep the parameter's dtype"
        if flag:
            np.testing.assert_allclose(p.data, want, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6)
            moved = p.data.astype(np.float64) - old
            assert np.all(moved * p.grad <= 0) and np.any(moved != 0), "SGD moves each parameter along -grad"
        else:
            assert np.array_equal(p.data, old), "a parameter without a gradient must stay bit-identical"
    assert optimizer.state_bytes() == 0
### END HIDDEN TESTS

# %% [markdown]
# ## Step 3 — Momentum and Nesterov momentum
#
# **Momentum** keeps a running sum of past gradients, the *buffer* (or velocity) $b$, and
# steps along it instead of along the latest gradient:
#
# $$b_t = \mu\, b_{t-1} + g_t \quad (b_1 = g_1), \qquad \theta_t = \theta_{t-1} - \eta\, b_t .$$
#
# Why that rescues the ravine: unroll the sum, $b_t = g_t + \mu g_{t-1} + \mu^2 g_{t-2} +
# \dots$. Across the valley, the gradient flips sign from one step to the next, so
# consecutive terms cancel and the bouncing is damped. Along the valley, the gradient keeps
# its sign, the terms add up, and the buffer grows towards $g / (1 - \mu)$: with
# $\mu = 0.9$, **ten times** the step along the direction where plain SGD crawled. The
# steep direction no longer dictates the speed in the flat one. (A ball rolling down the
# valley, gathering speed along the floor while friction, $1 - \mu$, damps its sideways
# rocking, is the usual picture.) The buffer is state: one number per parameter, kept
# between steps.
#
# **Nesterov momentum** fixes momentum's habit of overshooting by computing the gradient not
# where the parameters are, but where momentum is about to carry them — a *look-ahead*:
#
# $$b_t = \mu\, b_{t-1} + \nabla L(\theta_{t-1} - \eta\mu\, b_{t-1}), \qquad
#   \theta_t = \theta_{t-1} - \eta\, b_t .$$
#
# If momentum is about to run up the far wall, the gradient at the look-ahead point already
# points back, and the step is corrected one step early. Computing a gradient somewhere other
# than at the parameters would need a second forward pass, so PyTorch (and you) store the
# look-ahead point itself as the parameters: write $\phi_t = \theta_t - \eta\mu\, b_t$ and
# $g_t = \nabla L(\phi_{t-1})$, the gradient at the stored parameters. Substituting
# $\mu b_{t-1} = b_t - g_t$ gives
#
# $$\phi_t = \phi_{t-1} - \eta\,(g_t + \mu\, b_t),$$
#
# with $b_t = \mu b_{t-1} + g_t$ the buffer **after** this step's update. So Nesterov is one
# line different from momentum: step along $g + \mu b$ instead of $b$ — the current gradient
# plus the *new* buffer, which already holds where momentum is heading.
#
# Fill in the momentum branch of `SGD.step()` (above) and run the test.

# %% nbgrader={"grade": true, "grade_id": "sgd-momentum", "locked": true, "points": 3, "schema_version": 3, "solution": false}
w = Tensor(np.array([0.0, 0.0]), requires_grad=True)
optimizer = SGD([w], lr=0.1, momentum=0.9)
gradients = [np.array([1.0, -1.0]), np.array([1.0, 1.0]), np.array([1.0, -1.0])]
# buffers: [1, -1] -> [1.9, 0.1] -> [2.71, -0.91]; positions: -lr * running sum of buffers
expected_positions = [[-0.1, 0.1], [-0.29, 0.09], [-0.561, 0.181]]
for grad, want in zip(gradients, expected_positions):
    w.grad = grad
    optimizer.step()
    np.testing.assert_allclose(w.data, want, rtol=1e-12, err_msg="momentum: buf = 0.9 * buf + g, p -= lr * buf")
np.testing.assert_allclose(optimizer.state[0]["momentum_buffer"], [2.71, -0.91], rtol=1e-12,
                           err_msg="the buffer must persist across steps in state[0]['momentum_buffer']")
assert optimizer.state_bytes() == 2 * 8, "one float64 buffer of 2 numbers: 16 bytes"

w = Tensor(np.array([0.0, 0.0]), requires_grad=True)
optimizer = SGD([w], lr=0.1, momentum=0.9, nesterov=True)
# Nesterov steps along g + 0.9 * (new buffer): [1.9, -1.9], then [1 + 1.71, 1 + 0.09]
for grad, want in zip(gradients[:2], [[-0.19, 0.19], [-0.461, 0.081]]):
    w.grad = grad
    optimizer.step()
    np.testing.assert_allclose(w.data, want, rtol=1e-12, err_msg="nesterov: p -= lr * (g + momentum * new buffer)")
try:
    SGD([w], lr=0.1, nesterov=True)
except ValueError:
    pass
else:
    raise AssertionError("nesterov=True without momentum must raise ValueError")
print("Step 3 passed: momentum buffers accumulate across steps, Nesterov looks ahead.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(603)
for nesterov in (False, True):
    shapes = [tuple(rng.integers(1, 6, size=rng.integers(1, 4))) for _ in range(3)]
    params = [Tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    lr, mu = float(rng.uniform(0.01, 0.3)), float(rng.uniform(0.5, 0.95))
    optimizer = SGD(params, lr=lr, momentum=mu, nesterov=nesterov)
    reference = [p.data.copy() for p in params]
    buffers = [None] * len(params)
    for step in range(4):
        for i, p in enumerate(params):
            skip = (i == 2 and step == 1)  # one parameter has no gradient on one step
            p.grad = None if skip else rng.standard_normal(p.shape)
            if skip:
                continue
            buffers[i] = p.grad.copy() if buffers[i] is None else mu * buffers[i] + p.grad
            reference[i] = reference[i] - lr * (p.grad + mu * buffers[i] if nesterov else buffers[i])
        frozen_before = params[2].data.copy()
        optimizer.step()
        if step == 1:
            assert np.array_equal(params[2].data, frozen_before), "no gradient: the parameter must not move"
        for i, p in enumerate(params):
            np.testing.assert_allclose(p.data, reference[i], rtol=1e-10, atol=1e-12,
                                       err_msg=f"step {step + 1}, parameter {i}, nesterov={nesterov}")
    assert optimizer.state_bytes() == sum(8 * p.data.size for p in params)
f32 = Tensor(rng.standard_normal(7).astype(np.float32), requires_grad=True)
optimizer = SGD([f32], lr=0.1, momentum=0.9)
for _ in range(2):
    f32.grad = rng.standard_normal(7).astype(np.float32)
    optimizer.step()
assert f32.dtype == np.float32 and optimizer.state[0]["momentum_buffer"].dtype == np.float32
assert optimizer.state_bytes() == 7 * 4, "a float32 buffer costs 4 bytes per parameter"
### END HIDDEN TESTS

# %% [markdown]
# ## Step 4 — Weight decay
#
# Large weights make a network's output sensitive to small changes of its input, a common
# sign of overfitting. **L2 regularization** adds $\tfrac{\lambda}{2}\lVert\theta\rVert^2$ to
# the loss; its gradient is $\lambda\theta$, so the optimizer simply uses
#
# $$g = \nabla_\theta L + \lambda\, \theta .$$
#
# For plain SGD this is the same as **weight decay**, shrinking every weight by a constant
# factor each step before the gradient step:
#
# $$\theta - \eta(\nabla L + \lambda\theta) = (1 - \eta\lambda)\,\theta - \eta \nabla L .$$
#
# Hence the name `weight_decay` for $\lambda$ in PyTorch's SGD. The decay term enters
# *before* the momentum buffer, exactly like the data gradient. Remember the identity
# "L2 = weight decay": it holds for SGD and breaks for Adam (Step 6).
#
# Fill in the weight-decay line of `SGD.step()` if you have not yet, and run the test.

# %% nbgrader={"grade": true, "grade_id": "weight-decay", "locked": true, "points": 2, "schema_version": 3, "solution": false}
w = Tensor(np.array([2.0, -4.0]), requires_grad=True)
untouched = Tensor(np.array([2.0, -4.0]), requires_grad=True)
optimizer = SGD([w, untouched], lr=0.1, weight_decay=0.5)
w.grad = np.array([0.0, 1.0])
optimizer.step()
# g = grad + 0.5 * p = [1, -1]  ->  p = [2 - 0.1, -4 + 0.1]
np.testing.assert_allclose(w.data, [1.9, -3.9], rtol=1e-12, err_msg="weight decay: g = grad + weight_decay * p")
np.testing.assert_array_equal(untouched.data, [2.0, -4.0],
                              err_msg="weight decay must not touch a parameter whose grad is None")
w = Tensor(np.array([2.0, -4.0]), requires_grad=True)
optimizer = SGD([w], lr=0.1, momentum=0.5, weight_decay=0.5)
w.grad = np.array([0.0, 1.0])
optimizer.step()                      # buf = [1, -1], p = [1.9, -3.9]
w.grad = np.array([0.0, 1.0])
optimizer.step()                      # g = [0.95, -0.95], buf = [1.45, -1.45]
np.testing.assert_allclose(w.data, [1.755, -3.755], rtol=1e-12,
                           err_msg="with momentum, the decay term goes into the buffer like the gradient")
print("Step 4 passed: weight decay shrinks parameters with gradients, and only those.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(604)
for momentum in (0.0, 0.9):
    values = rng.standard_normal((3, 4))
    p = Tensor(values.copy(), requires_grad=True)
    idle = Tensor(values.copy(), requires_grad=True)
    lr, wd = 0.05, float(rng.uniform(0.01, 0.5))
    optimizer = SGD([p, idle], lr=lr, momentum=momentum, weight_decay=wd)
    reference, buffer = values.copy(), None
    for _ in range(3):
        p.grad = rng.standard_normal((3, 4))
        g = p.grad + wd * reference
        buffer = g if buffer is None else momentum * buffer + g
        reference = reference - lr * (buffer if momentum else g)
        optimizer.step()
    np.testing.assert_allclose(p.data, reference, rtol=1e-10, err_msg=f"weight decay with momentum={momentum}")
    assert np.array_equal(idle.data, values), "no gradient, no decay"
    assert 1 not in optimizer.state, "no state for a parameter that never had a gradient"
zero_grad_param = Tensor(np.full(5, 3.0), requires_grad=True)
optimizer = SGD([zero_grad_param], lr=0.1, weight_decay=0.2)
zero_grad_param.grad = np.zeros(5)
optimizer.step()
np.testing.assert_allclose(zero_grad_param.data, np.full(5, 3.0 * (1 - 0.1 * 0.2)), rtol=1e-12,
                           err_msg="a zero gradient is still a gradient: the parameter decays by (1 - lr * wd)")
try:
    SGD([zero_grad_param], lr=0.1, weight_decay=-1.0)
except ValueError:
    pass
else:
    raise AssertionError("a negative weight_decay must raise ValueError")
### END HIDDEN TESTS

# %% [markdown]
# ## Step 5 — Adam
#
# Momentum fixes the direction; it does nothing about **scale**. One learning rate must
# serve parameters whose gradients differ by orders of magnitude (an embedding row seen once
# in a thousand batches, a bias seen in every one). **Adam** (Kingma and Ba, 2015) gives
# every parameter its own step size by dividing by a running estimate of the gradient's
# magnitude. It keeps two exponential moving averages per parameter:
#
# $$m_t = \beta_1 m_{t-1} + (1 - \beta_1)\, g_t, \qquad
#   v_t = \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2, \qquad m_0 = v_0 = 0,$$
#
# the first moment (a momentum, $\beta_1 = 0.9$) and the second moment (the mean squared
# gradient, $\beta_2 = 0.999$), and steps by their ratio:
#
# $$\hat m_t = \frac{m_t}{1 - \beta_1^t}, \qquad \hat v_t = \frac{v_t}{1 - \beta_2^t}, \qquad
#   \theta_t = \theta_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}.$$
#
# $\hat m / \sqrt{\hat v}$ is about $\pm 1$ when the gradient is consistent and smaller when
# it is noisy (the average cancels, the squares do not): each parameter moves about $\eta$
# per step whatever its gradient's scale. That is why one `lr=1e-3` works for most models.
# $\epsilon$ only guards against dividing by zero; it sits **outside** the square root, as
# in PyTorch.
#
# **Why the bias correction.** Both averages start at 0, so early on they are averages of
# the gradients *and a lot of zeros*: $m_t = (1-\beta_1)\sum_{i \le t} \beta_1^{t-i} g_i$,
# whose weights sum to $1 - \beta_1^t$, not 1. For a steady gradient $g$, $m_t = (1 -
# \beta_1^t)\,g$ and $v_t = (1 - \beta_2^t)\,g^2$; dividing by those factors is exactly what
# makes $\hat m_t = g$ and $\hat v_t = g^2$. Without it, the very first step is
#
# $$m_1 = 0.1\, g, \quad v_1 = 0.001\, g^2, \quad
#   \frac{m_1}{\sqrt{v_1}} = \frac{0.1}{0.0316}\,\mathrm{sign}(g) \approx 3.16\,\mathrm{sign}(g),$$
#
# a step 3.16 times the learning rate — and it gets worse before it gets better, because $m$
# forgets its zeros in about $1/(1-\beta_1) = 10$ steps while $v$ needs about 1000:

# %%
steps = np.array([1, 2, 5, 10, 20, 50, 100, 300, 1000, 3000])
inflation = (1 - 0.9 ** steps) / np.sqrt(1 - 0.999 ** steps)  # uncorrected m/sqrt(v) for a steady g
for t, factor in zip(steps, inflation):
    print(f"step {t:5d}: without bias correction the step is {factor:5.2f} x lr")

# %% [markdown]
# Early steps 3 to 7 times too large, right when the parameters are random and the
# gradients large — the worst moment to be reckless. With the correction, the first step
# is exactly $\hat m_1 / \sqrt{\hat v_1} = g / |g| = \pm 1$: a step of $\eta$ per parameter.
#
# `weight_decay` in `Adam` is PyTorch's: the L2 term folded into the gradient,
# $g \leftarrow g + \lambda\theta$, before the moments — which Step 6 shows is *not* weight
# decay. The per-parameter state is `exp_avg` ($m$), `exp_avg_sq` ($v$) and `step` ($t$,
# an int, counted per parameter as PyTorch does: a parameter that had no gradient for a
# while still gets the right correction on its own first update).
#
# `Adam.step()` handles the gradient and then calls `adam_update(index, param, grad)`, which
# does the moments and the update; AdamW will reuse it.

# %% nbgrader={"grade": false, "grade_id": "adam-class", "locked": false, "schema_version": 3, "solution": true}
#| export
class Adam(Optimizer):
    """Adam (torch.optim.Adam, amsgrad=False): per-parameter steps from moment estimates.

    weight_decay is L2 regularization folded into the gradient: g = grad + weight_decay * p.
    """

    hyperparameters = ("lr", "betas", "eps", "weight_decay")

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        """Store the hyperparameters (betas as a tuple of two floats); raise ValueError for a
        negative lr, eps or weight_decay, and for a beta outside [0, 1)."""
        super().__init__(params)
        self.lr, self.betas, self.eps, self.weight_decay = lr, tuple(float(b) for b in betas), eps, weight_decay
        ### BEGIN SOLUTION
        for name, value in (("lr", lr), ("eps", eps), ("weight_decay", weight_decay)):
            if value < 0:
                raise ValueError(f"{name} must be >= 0, got {value}")
        if len(self.betas) != 2 or not all(0.0 <= beta < 1.0 for beta in self.betas):
            raise ValueError(f"betas must be two numbers in [0, 1), got {betas}")
        ### END SOLUTION

    def adam_update(self, index, param, grad):
        """Update the moments of parameter `index` with `grad`, then param.data in place.

        State in self.state[index] (created at the first update): "step" (int, starts at 0),
        "exp_avg" and "exp_avg_sq" (np.zeros_like(param.data)). Then:
            step += 1;  m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g*g     (in place)
            m_hat = m / (1 - b1**step);  v_hat = v / (1 - b2**step)
            p -= lr * m_hat / (sqrt(v_hat) + eps)
        """
        ### BEGIN SOLUTION
        beta1, beta2 = self.betas
        state = self.state.setdefault(index, {})
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param.data)
            state["exp_avg_sq"] = np.zeros_like(param.data)
        state["step"] += 1
        step = state["step"]
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg *= beta1
        exp_avg += (1 - beta1) * grad
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        m_hat = exp_avg / (1 - beta1 ** step)
        v_hat = exp_avg_sq / (1 - beta2 ** step)
        param.data -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
        ### END SOLUTION

    def step(self):
        """For every parameter whose .grad is not None: g = grad (+ weight_decay * p), then
        self.adam_update(index, param, g). Read the gradient as np.asarray(p.grad, dtype=p.data.dtype)."""
        ### BEGIN SOLUTION
        for index, param in enumerate(self.params):
            if param.grad is None:
                continue  # no gradient this step: Adam leaves the parameter and its moments alone
            grad = np.asarray(param.grad, dtype=param.data.dtype)
            if self.weight_decay:
                grad = grad + self.weight_decay * param.data
            self.adam_update(index, param, grad)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "adam", "locked": true, "points": 4, "schema_version": 3, "solution": false}
w = Tensor(np.array([1.0, 1.0, 1.0]), requires_grad=True)
resting = Tensor(np.array([1.0, 1.0]), requires_grad=True)
optimizer = Adam([w, resting], lr=0.1)
w.grad, resting.grad = np.array([100.0, -0.01, 3.0]), None
optimizer.step()
# bias-corrected first step: m_hat = g, v_hat = g^2, so every parameter moves by lr * sign(g)
np.testing.assert_allclose(w.data, [0.9, 1.1, 0.9], rtol=1e-6,
                           err_msg="Adam's first step moves each parameter by lr against sign(g): is bias correction in?")
state = optimizer.state[0]
assert state["step"] == 1, f"state[0]['step'] should count 1 update, got {state.get('step')}"
np.testing.assert_allclose(state["exp_avg"], [10.0, -0.001, 0.3], rtol=1e-12, err_msg="exp_avg = 0.1 * g after step 1")
np.testing.assert_allclose(state["exp_avg_sq"], [10.0, 1e-7, 0.009], rtol=1e-12, err_msg="exp_avg_sq = 0.001 * g^2")
assert optimizer.state_bytes() == 2 * 3 * 8, "two float64 moments of 3 numbers: 48 bytes (none for a parameter without gradient)"
w_after_one_step = w.data.copy()
w.grad = None
optimizer.step()
np.testing.assert_array_equal(w.data, w_after_one_step,
                              err_msg="no gradient this step: Adam must not move the parameter (not even by its momentum)")
np.testing.assert_array_equal(resting.data, [1.0, 1.0], err_msg="a parameter that never had a gradient must not move")
# eps belongs outside the square root: with g = 1e-4 and eps = 1e-8 the step is lr * 0.9999
tiny = Tensor(np.array([0.0]), requires_grad=True)
optimizer = Adam([tiny], lr=1.0)
tiny.grad = np.array([1e-4])
optimizer.step()
np.testing.assert_allclose(tiny.data, [-1e-4 / (1e-4 + 1e-8)], rtol=1e-9, err_msg="p -= lr * m_hat / (sqrt(v_hat) + eps)")
print("Step 5 passed: Adam's first step is lr per parameter, whatever the gradient's scale.")
### BEGIN HIDDEN TESTS
def reference_adam(values, grads_per_step, lr, betas, eps, weight_decay, decoupled):
    """Float64 Adam / AdamW, written from the paper's formulas."""
    beta1, beta2 = betas
    theta = values.astype(np.float64).copy()
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    for t, g in enumerate(grads_per_step, start=1):
        g = g.astype(np.float64)
        if decoupled:
            theta = theta - lr * weight_decay * theta
        else:
            g = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g ** 2
        theta = theta - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)
    return theta

rng = np.random.default_rng(605)
for weight_decay in (0.0, 0.1):
    shapes = [tuple(rng.integers(1, 6, size=rng.integers(1, 4))) for _ in range(3)]
    values = [rng.standard_normal(s) for s in shapes]
    grads = [[rng.standard_normal(s) * 10.0 ** rng.integers(-3, 3) for _ in range(3)] for s in shapes]
    lr, betas, eps = float(rng.uniform(1e-3, 0.1)), (float(rng.uniform(0.8, 0.95)), float(rng.uniform(0.9, 0.999))), 1e-6
    params = [Tensor(v.copy(), requires_grad=True) for v in values]
    idle = Tensor(rng.standard_normal(4), requires_grad=True)
    idle_before = idle.data.copy()
    optimizer = Adam(params + [idle], lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
    for step in range(3):
        for p, g in zip(params, grads):
            p.grad = g[step]
        idle.grad = None
        optimizer.step()
    for i, (p, v, g) in enumerate(zip(params, values, grads)):
        np.testing.assert_allclose(p.data, reference_adam(v, g, lr, betas, eps, weight_decay, decoupled=False),
                                   rtol=1e-9, atol=1e-12, err_msg=f"Adam, 3 steps, parameter {i}, weight_decay={weight_decay}")
    assert np.array_equal(idle.data, idle_before), "a parameter without a gradient must stay bit-identical"
    assert len(params) not in optimizer.state, "no moments for a parameter that never had a gradient"
    # a parameter that gets its first gradient late gets the step-1 correction on its own
    idle.grad = np.array([1.0, -2.0, 0.5, 3.0])
    optimizer.step()
    np.testing.assert_allclose(idle.data, idle_before - lr * np.sign(idle.grad), rtol=1e-6,
                               err_msg="a parameter's first update is lr * sign(g), even on the optimizer's 4th step")
    assert optimizer.state[len(params)]["step"] == 1
f32 = Tensor(rng.standard_normal((3, 2)).astype(np.float32), requires_grad=True)
optimizer = Adam([f32], lr=0.01)
f32.grad = rng.standard_normal((3, 2)).astype(np.float32)
optimizer.step()
assert f32.dtype == np.float32, "Adam must keep a float32 parameter float32"
assert optimizer.state_bytes() == 8 * 6, "Adam keeps 8 bytes per float32 parameter"
for bad in (dict(lr=-1.0), dict(betas=(0.9, 1.0)), dict(eps=-1e-8)):
    try:
        Adam([f32], **bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"Adam({bad}) must raise ValueError")
### END HIDDEN TESTS

# %% [markdown]
# ## Step 6 — AdamW: weight decay that decays
#
# With SGD, L2 regularization and weight decay were the same thing. Inside Adam they are
# not. Fold $\lambda\theta$ into the gradient and it goes through the moments, so the decay
# part of the step is divided by $\sqrt{\hat v}$ like everything else — roughly
#
# $$\Delta\theta \approx -\eta\, \frac{\nabla L + \lambda\theta}{\sqrt{\hat v} + \epsilon}.$$
#
# A weight with large gradients (large $\sqrt{\hat v}$) is barely decayed; a weight with tiny
# gradients is decayed enormously; and a weight whose data gradient is zero is pushed by a
# full $\eta$ per step whatever $\lambda$ is, because Adam normalizes $\lambda\theta$ to
# $\pm 1$. The regularization strength stops being one number you choose.
#
# **AdamW** (Loshchilov and Hutter, 2019) *decouples* the two: it shrinks the weights
# directly, by the same factor for every parameter, and runs Adam on the data gradient alone:
#
# $$\theta \leftarrow \theta - \eta\lambda\,\theta \quad\text{then}\quad
#   \theta \leftarrow \theta - \eta\, \frac{\hat m}{\sqrt{\hat v} + \epsilon}
#   \quad (m, v \text{ from } \nabla L \text{ only}).$$
#
# The cell after this step measures the difference. AdamW is the default optimizer for
# transformers; PyTorch's `AdamW` decays by `lr * weight_decay` with a default
# `weight_decay=0.01`, like yours.

# %% nbgrader={"grade": false, "grade_id": "adamw-class", "locked": false, "schema_version": 3, "solution": true}
#| export
class AdamW(Adam):
    """AdamW (torch.optim.AdamW): decoupled weight decay p -= lr * weight_decay * p, then Adam
    on the raw gradient (no L2 term)."""

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def step(self):
        """For every parameter with a gradient: decay it in place, then adam_update with its raw gradient."""
        ### BEGIN SOLUTION
        for index, param in enumerate(self.params):
            if param.grad is None:
                continue  # AdamW decays only what it updates, as PyTorch does
            grad = np.asarray(param.grad, dtype=param.data.dtype)
            param.data -= self.lr * self.weight_decay * param.data
            self.adam_update(index, param, grad)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "adamw", "locked": true, "points": 3, "schema_version": 3, "solution": false}
w = Tensor(np.array([2.0, -2.0]), requires_grad=True)
optimizer = AdamW([w], lr=0.1, weight_decay=0.5)
assert AdamW([w]).weight_decay == 0.01, "AdamW's default weight_decay is 0.01"
w.grad = np.array([3.0, 3.0])
optimizer.step()
# decay: p *= 1 - 0.1 * 0.5 -> [1.9, -1.9]; then Adam's first step: -0.1 * sign(g)
np.testing.assert_allclose(w.data, [1.8, -2.0], rtol=1e-6,
                           err_msg="AdamW: p -= lr * wd * p, then the Adam step on the raw gradient")
np.testing.assert_allclose(optimizer.state[0]["exp_avg"], [0.3, 0.3], rtol=1e-12,
                           err_msg="AdamW's moments see the raw gradient, not grad + wd * p")
idle = Tensor(np.array([2.0]), requires_grad=True)
optimizer = AdamW([idle], lr=0.1, weight_decay=0.5)
optimizer.step()
np.testing.assert_array_equal(idle.data, [2.0], err_msg="no gradient: AdamW must not decay the parameter either")
print("Step 6 passed: AdamW decays the weights directly and runs Adam on the gradient alone.")
### BEGIN HIDDEN TESTS
def reference_adam(values, grads_per_step, lr, betas, eps, weight_decay, decoupled):
    """Float64 Adam / AdamW from the papers' formulas (repeated here: this cell must stand alone)."""
    beta1, beta2 = betas
    theta = values.astype(np.float64).copy()
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    for t, g in enumerate(grads_per_step, start=1):
        g = g.astype(np.float64)
        if decoupled:
            theta = theta - lr * weight_decay * theta
        else:
            g = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g ** 2
        theta = theta - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)
    return theta

rng = np.random.default_rng(606)
for trial in range(3):
    shape = tuple(rng.integers(1, 6, size=rng.integers(1, 4)))
    values = rng.standard_normal(shape)
    grads = [rng.standard_normal(shape) * 10.0 ** rng.integers(-2, 2) for _ in range(3)]
    lr, wd = float(rng.uniform(1e-3, 0.1)), float(rng.uniform(0.01, 0.5))
    betas = (float(rng.uniform(0.8, 0.95)), float(rng.uniform(0.9, 0.999)))
    p = Tensor(values.copy(), requires_grad=True)
    idle = Tensor(values.copy(), requires_grad=True)
    optimizer = AdamW([idle, p], lr=lr, betas=betas, eps=1e-7, weight_decay=wd)
    for g in grads:
        p.grad = g
        optimizer.step()
    np.testing.assert_allclose(p.data, reference_adam(values, grads, lr, betas, 1e-7, wd, decoupled=True),
                               rtol=1e-9, atol=1e-12, err_msg=f"AdamW, 3 steps, shape {shape}")
    l2 = reference_adam(values, grads, lr, betas, 1e-7, wd, decoupled=False)
    assert not np.allclose(p.data, l2, rtol=1e-6, atol=0), "AdamW must differ from Adam with L2"
    assert np.array_equal(idle.data, values), "no gradient, no decay"
    assert set(optimizer.state) == {1}
f32 = Tensor(rng.standard_normal(5).astype(np.float32), requires_grad=True)
optimizer = AdamW([f32], lr=0.01)
f32.grad = rng.standard_normal(5).astype(np.float32)
optimizer.step()
assert f32.dtype == np.float32 and optimizer.state_bytes() == 40
### END HIDDEN TESTS

# %% [markdown]
# The difference, measured: five weights, all at 1.0, the same $\lambda = 0.1$, and data
# gradients that carry no information — they flip sign every step, so without decay the
# weights would stay near 1 — but differ in scale (the last one is zero, and a zero
# gradient is still a gradient, so both optimizers update that weight). What is left after
# 200 steps is the work of the decay alone.

# %%
scales = np.array([10.0, 1.0, 0.1, 0.01, 0.0])
print(f"{'gradient scale':26s}", "  ".join(f"{scale:6.2f}" for scale in scales))
for name, make_optimizer, decay in [("no decay", Adam, 0.0), ("Adam + L2", Adam, 0.1), ("AdamW", AdamW, 0.1)]:
    weights = Tensor(np.ones(5), requires_grad=True)
    optimizer = make_optimizer([weights], lr=0.01, weight_decay=decay)
    for step in range(200):
        weights.grad = scales * (-1.0) ** step  # an uninformative gradient that flips sign
        optimizer.step()
    print(f"{name + ' after 200 steps':26s}", "  ".join(f"{w:6.3f}" for w in weights.data))
print(f"{'(1 - lr * wd) ** 200':26s} {(1 - 0.01 * 0.1) ** 200:6.3f}")

# %% [markdown]
# ## Step 7 — Saving and resuming: `state_dict`
#
# Training runs are long, and machines fail. To resume a run *exactly*, a checkpoint needs
# the model's weights **and** the optimizer's state: restart Adam with fresh zero moments
# and it takes bias-corrected full-size steps from a trained model — a visible jump in the
# loss curve. `state_dict()` returns everything needed as a flat dictionary of numpy arrays,
# which `np.savez` writes to one `.npz` file (module 07's `Trainer` does exactly that):
#
# ```
# "lr": array(0.001)   "betas": array([0.9, 0.999])   "eps": ...   "weight_decay": ...
# "state.0.step": array(120)   "state.0.exp_avg": (784, 256)   "state.0.exp_avg_sq": (784, 256)
# "state.1.step": ...
# ```
#
# Two details decide whether resuming is exact. `state_dict()` must return **copies**: the
# buffers are updated in place, so a dictionary holding the live arrays would silently change
# with the next step. And `load_state_dict()` must copy too, for the same reason the other way
# round. After `np.load`, every value is a numpy array (a 0-d one for numbers), which
# `restore_like` turns back into the float, bool or tuple the optimizer had.
#
# Fill in `state_dict()` and `load_state_dict()` in the `Optimizer` class of Step 1, run that
# cell and the optimizer cells again, then this test.

# %% nbgrader={"grade": true, "grade_id": "optimizer-state", "locked": true, "points": 3, "schema_version": 3, "solution": false}
def train_steps(optimizer, params, gradients):
    for grads in gradients:
        for p, g in zip(params, grads):
            p.grad = g
        optimizer.step()

rng = np.random.default_rng(0)
gradients = [[rng.standard_normal((3, 2)), rng.standard_normal(2)] for _ in range(4)]
for make in (lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True), lambda ps: Adam(ps, lr=0.01, betas=(0.8, 0.99))):
    params = [Tensor(np.ones((3, 2)), requires_grad=True), Tensor(np.zeros(2), requires_grad=True)]
    original = make(params)
    train_steps(original, params, gradients[:2])
    saved = original.state_dict()
    assert all(isinstance(v, np.ndarray) for v in saved.values()), "every value of state_dict() is a numpy array"
    assert "lr" in saved, "state_dict() must save lr (a schedule changes it)"
    weights_at_save = [p.data.copy() for p in params]
    train_steps(original, params, gradients[2:])  # the original keeps training...

    file = io.BytesIO()
    np.savez(file, **saved)
    file.seek(0)
    loaded = dict(np.load(file))
    resumed_params = [Tensor(w.copy(), requires_grad=True) for w in weights_at_save]
    resumed = make(resumed_params)
    resumed.lr = 123.0  # load_state_dict must restore lr
    resumed.load_state_dict(loaded)
    assert resumed.lr == original.lr, f"lr should be restored to {original.lr}, got {resumed.lr}"
    train_steps(resumed, resumed_params, gradients[2:])  # ...and the resumed copy must follow it exactly
    for a, b in zip(params, resumed_params):
        np.testing.assert_array_equal(a.data, b.data, err_msg=f"{type(original).__name__}: resuming from state_dict must reproduce the run")
print("Step 7 passed: state_dict survives an .npz round trip and resumes training exactly.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(607)
shapes = [tuple(rng.integers(1, 5, size=rng.integers(1, 4))) for _ in range(3)]
grads = [[rng.standard_normal(s).astype(np.float32) for s in shapes] for _ in range(5)]
for make in (lambda ps: SGD(ps, lr=0.05, momentum=0.7, weight_decay=0.01),
             lambda ps: AdamW(ps, lr=0.02, weight_decay=0.1)):
    params = [Tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True) for s in shapes]
    original = make(params)
    train_steps(original, params, grads[:3])
    original.lr *= 0.5  # a schedule lowered it
    saved = original.state_dict()
    at_save = [p.data.copy() for p in params]
    train_steps(original, params, grads[3:])
    copies = [Tensor(w.copy(), requires_grad=True) for w in at_save]
    resumed = make(copies)
    resumed.load_state_dict(saved)
    assert resumed.lr == original.lr
    train_steps(resumed, copies, grads[3:])
    for a, b in zip(params, copies):
        assert b.dtype == np.float32
        np.testing.assert_array_equal(a.data, b.data, err_msg="exact resume")
    # the loaded optimizer must not share arrays with the dictionary it was loaded from
    fresh = make([Tensor(w.copy(), requires_grad=True) for w in at_save])
    snapshot = {k: np.array(v) for k, v in saved.items()}
    fresh.load_state_dict(saved)
    train_steps(fresh, fresh.params, grads[3:])
    for key in snapshot:
        np.testing.assert_array_equal(saved[key], snapshot[key], err_msg="load_state_dict must copy the arrays")
wrong = SGD([Tensor(np.ones(3), requires_grad=True)], lr=0.1, momentum=0.9)
try:
    wrong.load_state_dict({"lr": np.asarray(0.1), "momentum": np.asarray(0.9), "weight_decay": np.asarray(0.0),
                           "nesterov": np.asarray(False), "state.0.momentum_buffer": np.ones(4)})
except ValueError:
    pass
else:
    raise AssertionError("a buffer whose shape differs from its parameter's must raise ValueError")
try:
    wrong.load_state_dict({"lr": np.asarray(0.1)})
except KeyError:
    pass
else:
    raise AssertionError("a state_dict without 'momentum' cannot restore an SGD: raise KeyError")
### END HIDDEN TESTS

# %% [markdown]
# ## The optimizers on a ravine
#
# Now the picture promised at the start: a ravine $L(x, y) = \tfrac12\big((x-1)^2 + 50\,(y-0.5)^2\big)$,
# condition number 50, its minimum at $(1, 0.5)$. The two coordinates are one `Tensor` of two
# parameters; the loss is built from Tensor operations, so `loss.backward()` computes the
# gradient and *your* optimizers take the steps, 80 of each. Each learning rate was picked by
# hand to be about the best that optimizer tolerates here.

# %%
ravine_center = np.array([1.0, 0.5])
ravine_curvature = np.array([1.0, 50.0])


def ravine_loss(point):
    return (((point - Tensor(ravine_center)) ** 2) * Tensor(ravine_curvature)).sum() * 0.5


def trajectory(make_optimizer, start=(-4.0, 2.0), steps=80):
    point = Tensor(np.array(start), requires_grad=True)
    optimizer = make_optimizer([point])
    path, losses = [point.data.copy()], []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = ravine_loss(point)
        loss.backward()
        optimizer.step()
        path.append(point.data.copy())
        losses.append(loss.item())
    return np.array(path), losses


contenders = {
    "SGD (lr 0.037)": lambda ps: SGD(ps, lr=0.037),
    "SGD + momentum 0.85 (lr 0.01)": lambda ps: SGD(ps, lr=0.01, momentum=0.85),
    "Nesterov 0.85 (lr 0.01)": lambda ps: SGD(ps, lr=0.01, momentum=0.85, nesterov=True),
    "Adam (lr 0.2)": lambda ps: Adam(ps, lr=0.2),
    "AdamW (lr 0.2, wd 0.5)": lambda ps: AdamW(ps, lr=0.2, weight_decay=0.5),
}
runs = {name: trajectory(make) for name, make in contenders.items()}

grid_x, grid_y = np.meshgrid(np.linspace(-4.5, 2.5, 200), np.linspace(-1.3, 2.4, 200))
surface = 0.5 * ((grid_x - 1) ** 2 + 50 * (grid_y - 0.5) ** 2)
figure, (path_axis, loss_axis) = plt.subplots(1, 2, figsize=(13, 4.5), gridspec_kw={"width_ratios": [1.6, 1]})
path_axis.contour(grid_x, grid_y, surface, levels=np.geomspace(0.01, 150, 14), colors="lightgray", linewidths=0.8)
for name, (path, _) in runs.items():
    path_axis.plot(path[:, 0], path[:, 1], ".-", markersize=3, linewidth=1, label=name)
path_axis.plot(*ravine_center, "k*", markersize=12, label="minimum")
path_axis.plot(0, 0, "k+", markersize=10, label="origin")
path_axis.set(xlabel="x (flat direction)", ylabel="y (steep direction)", title="80 steps on a ravine, condition number 50")
path_axis.legend(fontsize=8, loc="upper right")
for name, (_, losses) in runs.items():
    loss_axis.semilogy(losses, label=name)
loss_axis.set(xlabel="step", ylabel="loss", title="Loss per step")
loss_axis.legend(fontsize=8)
figure.tight_layout()
plt.show()
for name, (path, losses) in runs.items():
    print(f"{name:30s} final point ({path[-1, 0]:6.3f}, {path[-1, 1]:6.3f})  loss {losses[-1]:.2e}")

# %% [markdown]
# What to read in the figure:
#
# - **SGD**, just under the largest learning rate the steep direction tolerates
#   ($2/50 = 0.04$), bounces from wall to wall while it crawls along the floor: the distance
#   to the minimum in $x$ shrinks by only $1 - 0.037 = 0.963$ per step.
# - **Momentum** builds up speed along the floor and, at a quarter of the learning rate, gets
#   much further; it overshoots and swings back, a damped oscillation.
# - **Nesterov** sees the overshoot coming one step early: the same speed, smaller swings.
# - **Adam** moves every coordinate by about `lr` per step regardless of curvature — the
#   first steps go diagonally at $45°$, the signature of sign-like updates — then its moments
#   adapt and it spirals in; with a fixed `lr` it keeps wandering by about `lr` (module 07's
#   schedules lower `lr` for exactly that reason).
# - **AdamW** does the same but is pulled towards the origin by the decay: it converges to a
#   point *between* the minimum and the origin, where the loss gradient balances the decay.
#   That bias towards small weights is exactly what weight decay is for.

# %% [markdown]
# ## Systems view: what optimizer state costs
#
# Each optimizer trades memory for speed of convergence. Measure the state each one holds
# on a real model, the 784-256-10 classifier for 28×28 images (about 200,000 parameters),
# after one step on a batch, and the time a step takes.

# %%
np.random.seed(0)
batch = Tensor(np.random.default_rng(0).standard_normal((64, 784)).astype(np.float32))
labels = np.random.default_rng(1).integers(0, 10, size=64)
configurations = {
    "SGD": lambda ps: SGD(ps, lr=0.01),
    "SGD + momentum": lambda ps: SGD(ps, lr=0.01, momentum=0.9),
    "Adam": lambda ps: Adam(ps),
    "AdamW": lambda ps: AdamW(ps),
}
print(f"{'optimizer':16s} {'state bytes':>12s} {'bytes/param':>12s} {'step time, median of 15':>24s}")
bytes_per_parameter, step_times = {}, {}
for name, make in configurations.items():
    mlp = Sequential(Linear(784, 256), ReLU(), Linear(256, 10))
    parameters = mlp.parameters()
    parameter_count = sum(p.data.size for p in parameters)
    optimizer = make(parameters)
    CrossEntropyLoss()(mlp(batch), labels).backward()
    times = []
    for _ in range(15):  # the same gradients each time: we time the update, not the model
        start = time.perf_counter()
        optimizer.step()
        times.append(time.perf_counter() - start)
    bytes_per_parameter[name] = optimizer.state_bytes() / parameter_count
    step_times[name] = np.median(times)
    print(f"{name:16s} {optimizer.state_bytes():12,d} {bytes_per_parameter[name]:12.2f} "
          f"{step_times[name] * 1e3:10.2f} ms = {step_times[name] / step_times['SGD']:5.1f} x SGD")
print(f"\n{parameter_count:,} parameters, {parameter_count * 4:,} bytes of float32 weights")

# %% [markdown]
# Momentum keeps one float32 number per parameter (4 bytes), Adam two (8 bytes), exactly as
# counted. Adam's step is also many times slower than SGD's: about a dozen elementwise
# passes over every parameter, each allocating a temporary array, instead of two (the machine
# is shared, so read the ratios, not the milliseconds; real frameworks fuse these passes into
# one kernel). Neither matters for this model: its forward and backward passes cost far more. Now scale it to a model of one billion
# parameters trained in float32:

# %%
billion = 1_000_000_000
gigabytes = lambda n_bytes: n_bytes / 1e9
print(f"{'':16s} {'weights':>8s} {'grads':>8s} {'opt. state':>11s} {'total':>8s}   (GB)")
for name in ("SGD", "SGD + momentum", "Adam"):
    weights, grads, state = 4 * billion, 4 * billion, bytes_per_parameter[name] * billion
    print(f"{name:16s} {gigabytes(weights):8.1f} {gigabytes(grads):8.1f} {gigabytes(state):11.1f} "
          f"{gigabytes(weights + grads + state):8.1f}")

# %% [markdown]
# With Adam, the optimizer state (8 GB) is **twice the weights** (4 GB), and weights, gradients
# and state together are 16 GB before a single activation is stored. That is why large
# models are trained with the optimizer state sharded across many GPUs (ZeRO), why 8-bit
# optimizers that store $m$ and $v$ in one byte each exist, and why, when memory is what
# limits you, SGD with momentum is still worth trying.

# %% [markdown]
# ## Putting it together — training a network with each optimizer
#
# The module's integration test: a small network from module 03, trained with module 05's
# gradients by each of your optimizers on a toy problem (points labelled by quadrant).
# The loop is the one every training script uses: `zero_grad`, forward, `backward`, `step`.

# %% nbgrader={"grade": true, "grade_id": "optimizers-integration", "locked": true, "points": 4, "schema_version": 3, "solution": false}
def train_classifier(make_optimizer, steps=80, seed=0):
    np.random.seed(seed)
    points = np.random.default_rng(seed).standard_normal((64, 2)).astype(np.float32)
    labels = (points[:, 0] > 0).astype(int) + 2 * (points[:, 1] > 0).astype(int)  # 4 quadrants
    model = Sequential(Linear(2, 16), Tanh(), Linear(16, 4))
    optimizer = make_optimizer(model.parameters())
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = CrossEntropyLoss()(model(Tensor(points)), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses, model

makers = {
    "SGD": lambda ps: SGD(ps, lr=0.5),
    "momentum": lambda ps: SGD(ps, lr=0.1, momentum=0.9),
    "Nesterov": lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    "Adam": lambda ps: Adam(ps, lr=0.02),
    "AdamW": lambda ps: AdamW(ps, lr=0.02, weight_decay=0.01),
}
for name, make in makers.items():
    losses, model = train_classifier(make)
    assert all(p.dtype == np.float32 for p in model.parameters()), f"{name}: parameters must stay float32"
    assert losses[-1] < 0.5 * losses[0], f"{name}: the loss should at least halve in 80 steps, {losses[0]:.3f} -> {losses[-1]:.3f}"
    print(f"{name:9s} loss {losses[0]:.3f} -> {losses[-1]:.3f}")
print("Integration passed: every optimizer trains the network.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(608)
np.random.seed(608)
x = rng.uniform(-1, 1, size=(48, 3)).astype(np.float32)
y = (np.sin(2 * x[:, :1]) + x[:, 1:2] * x[:, 2:3]).astype(np.float32)
for name, make in makers.items():
    np.random.seed(608)
    body = Sequential(Linear(3, 24), Tanh(), Linear(24, 1))
    unused_head = Linear(24, 5)  # in the optimizer, never in the loss: its grads stay None
    optimizer = make(body.parameters() + unused_head.parameters())
    head_before = [p.data.copy() for p in unused_head.parameters()]
    first = last = None
    for step in range(60):
        optimizer.zero_grad()
        loss = MSELoss()(body(Tensor(x)), y)
        loss.backward()
        optimizer.step()
        first = loss.item() if first is None else first
        last = loss.item()
    assert last < 0.5 * first, f"{name}: regression loss {first:.4f} -> {last:.4f}"
    for p, before in zip(unused_head.parameters(), head_before):
        assert np.array_equal(p.data, before), f"{name}: a parameter that never had a gradient moved"
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# - **`Optimizer`** keeps the parameters, zeroes their gradients (`None`, as PyTorch does),
#   skips any parameter without a gradient, measures its state and saves and restores it
#   exactly through `state_dict()` / `load_state_dict()`.
# - **SGD** steps against the gradient; **momentum** sums past gradients so that oscillations
#   cancel and consistent directions speed up ($\times 1/(1-\mu)$); **Nesterov** steps along
#   $g + \mu b$, the look-ahead gradient in disguise; **weight decay** is L2 for SGD.
# - **Adam** gives each parameter a step of about `lr` from moving averages of $g$ and $g^2$,
#   with bias correction so that the first steps are not 3–7 times too large; **AdamW**
#   decouples weight decay from that normalization.
# - You measured the cost: 0, 4 and 8 bytes of state per float32 parameter for SGD, momentum
#   and Adam — 8 GB of Adam state for a 1B-parameter model, twice its weights.
#
# **Next:** module 07 wraps the loop above in a `Trainer`, with learning-rate schedules that
# change `optimizer.lr` as training goes, gradient clipping, and checkpoints that save the
# model and `optimizer.state_dict()` together.
#
# **Export your work** into your own package: `python -m autograder export` with this
# notebook writes `tinytorch/core/optimizers.py`.
