# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Module 07 — Training
#
# You have a model (modules 02–03), a loss (04), gradients (05) and an optimizer (06). Put
# them in a loop and you have training — but a loop that works on a toy problem and a loop
# you can trust on a real one are different things. This module builds the second kind.
#
# **What you build.**
# - `clip_grad_norm`: the safety valve against exploding gradients.
# - Learning-rate schedules: `CosineSchedule` (with warmup) and `StepDecay`.
# - `Trainer`: one epoch of training, evaluation without a graph, a `fit` loop that records
#   a history, and checkpoints that let a run stop and resume *exactly*.
# - `ProgressBar`: one line per epoch in a notebook, a live bar in a terminal.
# - `diagnose_gradients`: a per-layer report that tells vanishing from exploding gradients
#   and says what to try.
#
# **Why.** Most failed training runs do not crash: the loss just stops falling, or becomes
# `nan` after an hour. The tools here make those failures visible (history, diagnosis) and
# preventable (clipping, schedules, checkpoints).
#
# **What you need.** `Tensor` (01), the activations (02), `Linear`/`Sequential`/`Dropout`
# (03), the losses (04) and autograd with `no_grad` (05). The optimizer of module 06 follows
# one contract, and this notebook uses a tiny stand-in with the same contract (below), so it
# runs on its own.
#
# **Where it lands.** `tinytorch/core/training.py`:
# `from tinytorch.core.training import Trainer, CosineSchedule, clip_grad_norm`.

# %%
#| default_exp core.training
#| export
import sys

import numpy as np

import tinytorch.core.autograd  # noqa: F401  (importing it switches gradients on)
from tinytorch.core.autograd import no_grad
from tinytorch.core.tensor import Tensor

# %%
import contextlib
import io
import os
import tempfile
import time

import matplotlib.pyplot as plt

from tinytorch.core.activations import ReLU, Sigmoid, Tanh
from tinytorch.core.layers import Dropout, Linear, Sequential
from tinytorch.core.losses import CrossEntropyLoss, MSELoss

# %% [markdown]
# ## The optimizer contract
#
# The trainer never looks inside an optimizer; it only uses this contract, which module 06's
# `SGD`, `Adam` and `AdamW` follow:
#
# | member | meaning |
# |---|---|
# | `Optimizer(params, ...)` | `params`: the model's parameters, kept as the list `.params` |
# | `.lr` | the learning rate, a float that a schedule may overwrite before each step |
# | `zero_grad()` | forget the gradients of the last step (`p.grad = None`) |
# | `step()` | update every parameter that has a gradient |
# | `state_dict()` | everything the optimizer remembers, as `{name: numpy array or number}` |
# | `load_state_dict(state)` | restore it |
#
# So that this notebook does not depend on module 06, here is a small SGD with momentum that
# follows the contract. Momentum gives it a *state* (one velocity per parameter), which is
# what makes saving the optimizer in a checkpoint matter:
#
# $$v \leftarrow \mu v + g, \qquad \theta \leftarrow \theta - \eta\, v$$
#
# With $\mu = 0$ it is plain gradient descent, $\theta \leftarrow \theta - \eta\, g$.

# %%
class MiniSGD:
    """SGD with momentum, just enough to follow the optimizer contract of module 06."""

    def __init__(self, params, lr=0.1, momentum=0.0):
        self.params = list(params)
        self.lr = lr
        self.momentum = momentum
        self.velocities = [np.zeros_like(p.data) for p in self.params]

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        for p, velocity in zip(self.params, self.velocities):
            if p.grad is None:
                continue
            velocity *= self.momentum
            velocity += p.grad
            p.data -= self.lr * velocity

    def state_dict(self):
        state = {"lr": self.lr, "momentum": self.momentum}
        state.update({f"velocity.{i}": v.copy() for i, v in enumerate(self.velocities)})
        return state

    def load_state_dict(self, state):
        self.lr, self.momentum = state["lr"], state["momentum"]
        for i, velocity in enumerate(self.velocities):
            velocity[...] = state[f"velocity.{i}"]

# %% [markdown]
# ## Step 1 — Exploding gradients and `clip_grad_norm`
#
# Backpropagation multiplies local derivatives layer by layer. For a stack of linear layers
# the gradient reaching the first layer is roughly
#
# $$\frac{\partial L}{\partial h_1} = W_2^\top D_2\, W_3^\top D_3 \cdots W_n^\top D_n\, \frac{\partial L}{\partial h_n},$$
#
# a product of $n$ matrices ($D_k$ holds the activation's slopes). If each factor stretches
# vectors by a little more than 1, the product grows **exponentially** with depth; a little
# less than 1, it shrinks exponentially. Growing is *exploding gradients*: one batch with an
# unusual input produces a gradient 1000 times too big, the update throws the weights far
# away, and the loss jumps — or turns into `inf` and then `nan`, and the run is lost.
#
# **Clipping by the global norm** caps the size of the update without changing where it
# points. Treat all gradients of the model as one long vector $g = (g_1, \dots, g_k)$ and
# compute its length
#
# $$\lVert g \rVert = \sqrt{\textstyle\sum_{i} \lVert g_i \rVert^2}.$$
#
# If $\lVert g \rVert > c$ (the `max_norm`), scale **every** gradient by the same factor
# $c / \lVert g \rVert$; the new length is exactly $c$. Because every piece is scaled by the
# same number, the direction of the whole update is unchanged — we still go downhill, just a
# shorter distance.
#
# ```
#   before:  g = (g_1, g_2)  length 13          after (max_norm 6.5):  length 6.5
#            g_1 = (3, 4)    g_2 = (12)                 g_1 = (1.5, 2)  g_2 = (6)
# ```
#
# Clipping each tensor separately (its own norm against $c$) would shrink big gradients more
# than small ones and so *rotate* the update: the model would step in a direction the loss
# never asked for. That is why the norm is global.
#
# Return the norm **before** clipping: it is the number to log. A run whose gradient norm
# climbs epoch after epoch is about to explode, whether or not clipping hides it.

# %% nbgrader={"grade": false, "grade_id": "clip-grad-norm-solution", "locked": false, "schema_version": 3, "solution": true}
#| export
def clip_grad_norm(parameters, max_norm):
    """Scale all gradients together so that their global L2 norm is at most max_norm.

    parameters: an iterable of Tensors (a list or a generator, e.g. model.parameters()).
    Tensors whose .grad is None are skipped. The norm is the square root of the sum of the
    squares of every gradient entry of every tensor, computed in float64. If it exceeds
    max_norm, multiply every gradient, in place, by max_norm / norm. Returns the norm
    BEFORE clipping, as a Python float (0.0 when no tensor has a gradient).

    A norm that is inf or NaN cannot be repaired by scaling (it would turn every gradient
    into zeros or NaN): leave the gradients as they are and return it, so the caller can
    see it and skip the step.

    Hints: `np.sum(np.square(grad, dtype=np.float64))`; `grad *= scale` changes the array
    in place.
    """
    if max_norm <= 0:
        raise ValueError(f"max_norm must be positive, got {max_norm}")
    ### BEGIN SOLUTION
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = float(np.sqrt(sum(np.sum(np.square(g, dtype=np.float64)) for g in grads)))
    if np.isfinite(total_norm) and total_norm > max_norm:
        scale = max_norm / total_norm
        for grad in grads:
            grad *= scale
    return total_norm
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "clip-grad-norm", "locked": true, "points": 3, "schema_version": 3, "solution": false}
a = Tensor(np.zeros(2), requires_grad=True)
b = Tensor(np.zeros(1), requires_grad=True)
no_grad_yet = Tensor(np.zeros(3), requires_grad=True)
a.grad, b.grad = np.array([3.0, 4.0]), np.array([12.0])
returned = clip_grad_norm([a, b, no_grad_yet], max_norm=6.5)
assert isinstance(returned, float), f"clip_grad_norm should return a Python float, got {type(returned).__name__}"
assert np.isclose(returned, 13.0), f"return the norm BEFORE clipping: sqrt(3² + 4² + 12²) = 13, got {returned}"
np.testing.assert_allclose(a.grad, [1.5, 2.0], err_msg="every gradient is scaled by 6.5 / 13 (the GLOBAL norm)")
np.testing.assert_allclose(b.grad, [6.0], err_msg="every gradient is scaled by 6.5 / 13 (the GLOBAL norm)")
assert no_grad_yet.grad is None, "a tensor without a gradient is skipped, not given one"
a.grad, b.grad = np.array([0.3, 0.4]), np.array([1.2])
returned = clip_grad_norm([a, b], max_norm=6.5)
assert np.isclose(returned, 1.3), f"norm 1.3 expected, got {returned}"
np.testing.assert_array_equal(a.grad, [0.3, 0.4], err_msg="under the limit, gradients stay untouched")
print("Step 1 passed: gradients are clipped by their global norm.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(7001)
for trial in range(6):
    dtype = np.float32 if trial % 2 else np.float64
    tensors = [Tensor(np.zeros(tuple(rng.integers(1, 5, size=rng.integers(1, 4)))), requires_grad=True) for _ in range(4)]
    originals = []
    for t in tensors:
        t.grad = (rng.standard_normal(t.shape) * rng.uniform(0.1, 10)).astype(dtype)
        originals.append(t.grad.copy())
    tensors.append(Tensor(np.zeros(2), requires_grad=True))  # grad None: skipped
    norm = np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in originals))
    max_norm = norm * rng.uniform(0.05, 0.9)
    returned = clip_grad_norm((t for t in tensors), max_norm)  # a generator works too
    assert np.isclose(returned, norm, rtol=1e-6), f"return the pre-clip norm {norm}, got {returned}"
    new_norm = np.sqrt(sum(np.sum(t.grad.astype(np.float64) ** 2) for t in tensors[:4]))
    assert abs(new_norm - max_norm) <= 1e-6 * max_norm, f"norm after clipping {new_norm}, expected exactly {max_norm}"
    for t, g in zip(tensors, originals):
        assert t.grad.dtype == dtype, "clipping keeps the gradient's dtype"
        np.testing.assert_allclose(t.grad, g * (max_norm / norm), rtol=1e-5, atol=1e-12, err_msg="direction preserved")
    assert tensors[-1].grad is None
    returned = clip_grad_norm(tensors, norm * 10)
    assert np.isclose(returned, max_norm, rtol=1e-5)
    for t, g in zip(tensors, originals):
        np.testing.assert_allclose(t.grad, g * (max_norm / norm), rtol=1e-5, atol=1e-12, err_msg="under the limit: untouched")
lonely = Tensor(np.zeros(3), requires_grad=True)
assert clip_grad_norm([lonely], 1.0) == 0.0 and lonely.grad is None, "no gradients at all: norm 0.0"
### END HIDDEN TESTS

# %% [markdown]
# ## Step 2 — Learning-rate schedules
#
# One learning rate for the whole run is a compromise: early on, large steps cross the loss
# landscape quickly; late in training, large steps bounce around the minimum instead of
# settling into it. A **schedule** sets the learning rate from the step number.
#
# **Cosine with warmup** (the usual choice for transformers). For step $t$ (counted from 0),
# warmup length $w$, total length $T$:
#
# $$\eta(t) = \begin{cases}
# \eta_{\max}\,\dfrac{t + 1}{w} & t < w \quad\text{(linear warmup)}\\[2mm]
# \eta_{\min} + \tfrac12(\eta_{\max} - \eta_{\min})\big(1 + \cos(\pi\, p)\big), \;\; p = \dfrac{t - w}{T - w} & w \le t < T\\[2mm]
# \eta_{\min} & t \ge T
# \end{cases}$$
#
# Warmup exists because at step 0 the weights are random, the gradients large and (for Adam)
# the running statistics empty: full-size steps then can wreck the initialization. The
# warmup counts $t + 1$ so that the very first step already moves (a step at learning rate 0
# is wasted) and step $w - 1$ reaches $\eta_{\max}$. The cosine then glides from
# $\eta_{\max}$ (at $p = 0$) to $\eta_{\min}$ (at $p = 1$), slowly at both ends.
#
# **Step decay** (the classic for CNNs): multiply by $\gamma$ every `step_size` steps,
# $\eta(t) = \eta_0\, \gamma^{\lfloor t / \text{step\_size} \rfloor}$.
#
# A schedule is just a function `schedule(step) -> lr`; the trainer calls it before every
# optimizer step and writes the result into `optimizer.lr`.

# %% nbgrader={"grade": false, "grade_id": "lr-schedules-solution", "locked": false, "schema_version": 3, "solution": true}
#| export
class CosineSchedule:
    """Linear warmup to max_lr, then a half cosine down to min_lr, then flat at min_lr."""

    def __init__(self, max_lr, min_lr, total_steps, warmup_steps=0):
        if not 0 <= warmup_steps < total_steps:
            raise ValueError(f"need 0 <= warmup_steps < total_steps, got {warmup_steps} and {total_steps}")
        if not 0 <= min_lr <= max_lr:
            raise ValueError(f"need 0 <= min_lr <= max_lr, got min_lr={min_lr}, max_lr={max_lr}")
        self.max_lr, self.min_lr = max_lr, min_lr
        self.total_steps, self.warmup_steps = total_steps, warmup_steps

    def __call__(self, step):
        """The learning rate for `step` (0, 1, 2, ...), as a Python float (formula above)."""
        ### BEGIN SOLUTION
        if step < self.warmup_steps:
            return float(self.max_lr * (step + 1) / self.warmup_steps)
        if step >= self.total_steps:
            return float(self.min_lr)
        progress = (step - self.warmup_steps) / (self.total_steps - self.warmup_steps)
        return float(self.min_lr + 0.5 * (self.max_lr - self.min_lr) * (1 + np.cos(np.pi * progress)))
        ### END SOLUTION


class StepDecay:
    """initial_lr * gamma ** (step // step_size): drop by a factor gamma every step_size steps."""

    def __init__(self, initial_lr, step_size, gamma=0.1):
        if step_size < 1:
            raise ValueError(f"step_size must be at least 1, got {step_size}")
        self.initial_lr, self.step_size, self.gamma = initial_lr, step_size, gamma

    def __call__(self, step):
        """The learning rate for `step` (0, 1, 2, ...), as a Python float."""
        ### BEGIN SOLUTION
        return float(self.initial_lr * self.gamma ** (step // self.step_size))
        ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "lr-schedules", "locked": true, "points": 3, "schema_version": 3, "solution": false}
cosine = CosineSchedule(max_lr=1.0, min_lr=0.0, total_steps=10)
for step, expected in [(0, 1.0), (5, 0.5), (10, 0.0), (1000, 0.0)]:
    assert np.isclose(cosine(step), expected), f"cosine without warmup at step {step}: expected {expected}, got {cosine(step)}"
assert isinstance(cosine(3), float), "a schedule returns a Python float"
warm = CosineSchedule(max_lr=0.1, min_lr=0.01, total_steps=110, warmup_steps=10)
for step, expected in [(0, 0.01), (4, 0.05), (9, 0.1), (10, 0.1), (60, 0.055), (110, 0.01), (500, 0.01)]:
    assert np.isclose(warm(step), expected), f"cosine with 10 warmup steps at step {step}: expected {expected}, got {warm(step)}"
decay = StepDecay(initial_lr=0.1, step_size=30, gamma=0.1)
for step, expected in [(0, 0.1), (29, 0.1), (30, 0.01), (65, 0.001)]:
    assert np.isclose(decay(step), expected), f"StepDecay at step {step}: expected {expected}, got {decay(step)}"
print("Step 2 passed: cosine with warmup and step decay.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(7002)
for _ in range(20):
    total = int(rng.integers(5, 500))
    warmup = int(rng.integers(0, total))
    max_lr = float(rng.uniform(1e-4, 1.0))
    min_lr = float(rng.uniform(0, max_lr))
    schedule = CosineSchedule(max_lr, min_lr, total, warmup)
    for step in list(rng.integers(0, total + 50, size=15)) + [0, max(warmup - 1, 0), warmup, total - 1, total]:
        step = int(step)
        if step < warmup:
            expected = max_lr * (step + 1) / warmup
        elif step >= total:
            expected = min_lr
        else:
            expected = min_lr + 0.5 * (max_lr - min_lr) * (1 + np.cos(np.pi * (step - warmup) / (total - warmup)))
        assert np.isclose(schedule(step), expected, rtol=1e-9, atol=0), f"CosineSchedule({max_lr}, {min_lr}, {total}, {warmup})({step})"
    initial, size, gamma = float(rng.uniform(0.01, 1)), int(rng.integers(1, 50)), float(rng.uniform(0.1, 0.9))
    decay = StepDecay(initial, size, gamma)
    for step in rng.integers(0, 300, size=10):
        assert np.isclose(decay(int(step)), initial * gamma ** (int(step) // size), rtol=1e-12)
### END HIDDEN TESTS

# %% [markdown]
# Both schedules over 1000 steps (100 of them warmup for the cosine):

# %%
steps = np.arange(1000)
cosine = CosineSchedule(max_lr=0.1, min_lr=0.005, total_steps=900, warmup_steps=100)
decay = StepDecay(initial_lr=0.1, step_size=300, gamma=0.3)
plt.figure(figsize=(7, 3.2))
plt.plot(steps, [cosine(s) for s in steps], label="CosineSchedule(0.1, 0.005, 900, warmup 100)")
plt.plot(steps, [decay(s) for s in steps], label="StepDecay(0.1, step_size=300, gamma=0.3)")
plt.axvline(100, color="gray", linestyle=":", linewidth=1)
plt.axvline(900, color="gray", linestyle=":", linewidth=1)
plt.xlabel("optimizer step")
plt.ylabel("learning rate")
plt.title("Learning-rate schedules")
plt.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Step 3 — A progress bar that keeps logs small
#
# A training loop should say how it is doing. In a terminal, a bar redrawn in place costs
# nothing: write a carriage return `\r` (back to the start of the line) and the new line
# over the old one. A notebook, or a log file written by a grading server, is not a
# terminal: there every redraw becomes a *new* line, and 20 epochs × 100 batches is 2000
# lines nobody reads. So the bar asks its stream `isatty()` ("is a person watching a
# terminal?") and, when not, prints **one line per epoch** only:
#
# ```
# epoch 2/5 [##############......] 14/20 batches loss 0.412          (redrawn on a terminal)
# epoch 2/5 [####################] 20/20 batches loss 0.398 val_loss 0.420 val_accuracy 0.917
# ```
#
# The bar has `width` characters: `int(width * done / total)` of them `#`, the rest `.`.
# When the number of batches is unknown (an iterable without `len`), the line shows only the
# count: `epoch 1/3 7 batches loss 0.500`. Numbers are printed with three decimals; a metric
# that is `None` is left out.

# %% nbgrader={"grade": false, "grade_id": "progress-bar-solution", "locked": false, "schema_version": 3, "solution": true}
#| export
class ProgressBar:
    """Progress of a training run: a live bar on a terminal, one line per epoch elsewhere."""

    def __init__(self, total_epochs, stream=None, width=20):
        self.total_epochs = total_epochs
        # Looked up now, not as a default argument: a notebook (or redirect_stdout) may
        # replace sys.stdout after this module was imported.
        self.stream = sys.stdout if stream is None else stream
        self.width = width
        is_a_terminal = getattr(self.stream, "isatty", None)
        self.interactive = bool(is_a_terminal and is_a_terminal())
        self.epoch, self.total_batches, self.batches_done = 0, None, 0
        self._drawn = 0  # length of the line currently on screen (terminal only)

    def start_epoch(self, epoch, total_batches=None):
        """Begin epoch number `epoch` (from 1) of `total_batches` (None when unknown)."""
        self.epoch, self.total_batches, self.batches_done = epoch, total_batches, 0

    def line(self, batches_done, loss, **metrics):
        """The text of the bar, e.g. 'epoch 2/5 [#######...] 14/20 batches loss 0.412'.

        Parts joined by single spaces: 'epoch {epoch}/{total_epochs}'; then, when
        total_batches is known, '[' + '#' * filled + '.' * (width - filled) + ']' with
        filled = int(width * batches_done / total_batches), and
        '{batches_done}/{total_batches} batches'; when it is unknown, '{batches_done} batches';
        then 'loss {loss:.3f}'; then '{name} {value:.3f}' for each metric that is not None,
        in the order given.
        """
        ### BEGIN SOLUTION
        parts = [f"epoch {self.epoch}/{self.total_epochs}"]
        if self.total_batches:
            filled = int(self.width * min(batches_done / self.total_batches, 1.0))
            parts.append("[" + "#" * filled + "." * (self.width - filled) + "]")
            parts.append(f"{batches_done}/{self.total_batches} batches")
        else:
            parts.append(f"{batches_done} batches")
        parts.append(f"loss {loss:.3f}")
        parts.extend(f"{name} {value:.3f}" for name, value in metrics.items() if value is not None)
        return " ".join(parts)
        ### END SOLUTION

    def update(self, batches_done, loss):
        """After each batch: remember batches_done; on a terminal, redraw the line in place.

        Redrawing: write '\\r' + the line, padded with spaces to the length of what is on
        screen (a shorter line must not leave old characters behind), no newline; flush.
        Not a terminal: write nothing.
        """
        ### BEGIN SOLUTION
        self.batches_done = batches_done
        if self.interactive:
            self._draw(self.line(batches_done, loss), end="")
        ### END SOLUTION

    def end_epoch(self, loss, **metrics):
        """After the epoch: its final line (with the metrics) and a newline, on any stream.

        On a terminal it overwrites the bar ('\\r' first, padded like update); elsewhere it
        is simply the epoch's one line.
        """
        ### BEGIN SOLUTION
        text = self.line(self.batches_done, loss, **metrics)
        if self.interactive:
            self._draw(text, end="\n")
        else:
            self.stream.write(text + "\n")
            self.stream.flush()
        ### END SOLUTION

    def _draw(self, text, end):
        self.stream.write("\r" + text.ljust(self._drawn) + end)
        self.stream.flush()
        self._drawn = 0 if end else len(text)

# %% nbgrader={"grade": true, "grade_id": "progress-bar", "locked": true, "points": 2, "schema_version": 3, "solution": false}
class FakeTerminal(io.StringIO):
    """A stream that says it is a terminal, so that we can read what a terminal would get."""

    def isatty(self):
        return True

log = io.StringIO()
bar = ProgressBar(total_epochs=5, stream=log, width=10)
bar.start_epoch(2, total_batches=20)
assert bar.line(14, 0.41234) == "epoch 2/5 [#######...] 14/20 batches loss 0.412", repr(bar.line(14, 0.41234))
for done in range(1, 21):
    bar.update(done, 0.5)
assert log.getvalue() == "", f"not a terminal: nothing is printed per batch, got {log.getvalue()!r}"
bar.end_epoch(0.398, val_loss=0.42, val_accuracy=None)
assert log.getvalue() == "epoch 2/5 [##########] 20/20 batches loss 0.398 val_loss 0.420\n", repr(log.getvalue())
screen = FakeTerminal()
bar = ProgressBar(total_epochs=3, stream=screen, width=10)
bar.start_epoch(1, total_batches=4)
for done in range(1, 5):
    bar.update(done, 1.0)
bar.end_epoch(0.9)
assert screen.getvalue().count("\r") == 5, f"a terminal gets one '\\r' redraw per batch and one for the end: {screen.getvalue()!r}"
assert screen.getvalue().count("\n") == 1 and screen.getvalue().endswith("epoch 1/3 [##########] 4/4 batches loss 0.900\n")
print("Step 3 passed: a live bar on a terminal, one line per epoch elsewhere.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(7003)
log = io.StringIO()
epochs = int(rng.integers(3, 7))
bar = ProgressBar(total_epochs=epochs, stream=log)
for epoch in range(1, epochs + 1):
    bar.start_epoch(epoch, total_batches=None)
    for done in range(1, int(rng.integers(2, 9))):
        bar.update(done, float(rng.uniform(0, 3)))
    bar.end_epoch(1.23456, val_accuracy=0.5)
lines = log.getvalue().split("\n")
assert len(lines) == epochs + 1 and lines[-1] == "" and "\r" not in log.getvalue(), "one line per epoch, no '\\r'"
assert lines[0].startswith(f"epoch 1/{epochs} ") and " batches loss 1.235 val_accuracy 0.500" in lines[0], lines[0]
assert "[" not in lines[0], "no bar when the number of batches is unknown"
bar = ProgressBar(total_epochs=2, stream=io.StringIO(), width=8)
bar.start_epoch(1, total_batches=3)
assert bar.line(1, 2.0) == "epoch 1/2 [##......] 1/3 batches loss 2.000"
screen = FakeTerminal()
bar = ProgressBar(total_epochs=1, stream=screen, width=4)
bar.start_epoch(1, total_batches=2)
bar.update(1, 123.456)
bar.update(2, 1.0)
drawn = screen.getvalue().split("\r")
assert len(drawn[2]) >= len(drawn[1]), "a shorter redraw is padded to cover the longer line before it"
assert "\n" not in screen.getvalue(), "no newline before the epoch ends"
### END HIDDEN TESTS

# %% [markdown]
# ## Step 4 — The `Trainer`
#
# One **training step** is always the same five moves:
#
# ```
#   optimizer.zero_grad()          forget the last step's gradients (they accumulate!)
#   outputs = model(x)             forward pass: builds the graph
#   loss = loss_fn(outputs, y)
#   loss.backward()                gradients of every parameter
#   clip_grad_norm(...)            optional: cap the update's length
#   optimizer.step()               move the parameters
# ```
#
# Forgetting `zero_grad()` is the classic bug: autograd *adds* each backward pass into
# `.grad` (module 05 — it must, for a tensor used twice), so without it the gradient of batch
# 10 is the sum of the gradients of batches 1 to 10.
#
# Around the step the trainer keeps a **global step count** (steps since the run began,
# across epochs): the schedule is a function of it, and it is saved in checkpoints. Before
# each step, `optimizer.lr = scheduler(global_step)`.
#
# **Evaluation** is different in two ways. The model goes into evaluation mode
# (`model.eval()`: dropout off — module 03), and the forward pass runs under `no_grad()`:
# nothing will call `backward`, so recording a graph would only cost memory. Evaluation
# reports the loss and, for classification (targets are integer class ids, outputs one score
# per class), the **accuracy**: the fraction of samples whose highest-scoring class is the
# target.
#
# The mean loss of an epoch is the mean **over samples**: each batch's loss (itself a mean
# over its samples) weighted by the batch's size, so a short last batch counts for what it
# holds. With $B_k$ samples in batch $k$:
#
# $$\bar L = \frac{\sum_k B_k\, L_k}{\sum_k B_k}.$$
#
# **Batches** are any re-iterable of `(x, y)` pairs — a list, or module 08's `DataLoader` —
# whose `x` and `y` are numpy arrays or Tensors. The model gets `x` as a Tensor; the loss
# gets `y` as it comes (the losses of module 04 accept both).
#
# **Checkpoints.** A long run must survive a crash. `save_checkpoint(path)` writes one
# `.npz` file (numpy's zip of named arrays) holding:
#
# | key | what |
# |---|---|
# | `parameter.0`, `parameter.1`, ... | each parameter's data, in the order of `model.parameters()` |
# | `optimizer.<name>` | each numpy array of `optimizer.state_dict()` (e.g. momentum buffers) |
# | `optimizer_scalar.<name>` | each number of the state dict (e.g. `lr`), saved as a 0-d array |
# | `epoch`, `global_step` | where the run is |
#
# The optimizer's state matters as much as the weights: a momentum optimizer restarted with
# zero velocity takes different steps, and the resumed run is no longer the run you saved.
# `load_checkpoint(path)` checks first that the checkpoint fits the model — same number of
# parameters, same shapes, with an error that names the mismatch — and only then restores
# everything, writing into each parameter's existing array.
#
# Fill in the whole class; the three test cells after it check `train_epoch`, `evaluate`,
# and `fit` with checkpoints, in that order.

# %% nbgrader={"grade": false, "grade_id": "trainer-solution", "locked": false, "schema_version": 3, "solution": true}
#| export
def as_tensor(x):
    """x as a Tensor (numpy arrays and lists are wrapped; a Tensor is returned as it is)."""
    return x if isinstance(x, Tensor) else Tensor(x)


def class_ids_or_none(outputs, targets):
    """The targets as int64 class ids when (outputs, targets) is a classification batch.

    Classification: outputs of shape (N, C) and targets of shape (N,) holding whole numbers
    (an integer array, or a float Tensor of integers: Tensor() makes lists float32).
    Anything else (regression) gives None.
    """
    values = targets.data if isinstance(targets, Tensor) else np.asarray(targets)
    if outputs.ndim != 2 or values.shape != (outputs.shape[0],):
        return None
    if not np.issubdtype(values.dtype, np.integer):
        if not np.issubdtype(values.dtype, np.floating) or not np.all(values == np.round(values)):
            return None
    return values.astype(np.int64)


def batch_count(batches):
    """len(batches) when the iterable knows it, else None."""
    try:
        return len(batches)
    except TypeError:
        return None


class Trainer:
    """Trains `model` with `optimizer` on `loss_fn`, with an optional schedule and clipping."""

    def __init__(self, model, optimizer, loss_fn, scheduler=None, grad_clip=None):
        self.model = model
        self.optimizer = optimizer
        self.loss_fn = loss_fn
        self.scheduler = scheduler      # step -> learning rate, or None for a constant lr
        self.grad_clip = grad_clip      # max global gradient norm, or None
        self.epoch = 0                  # epochs completed
        self.global_step = 0            # optimizer steps taken since the run began

    def train_epoch(self, batches, progress_bar=None):
        """One pass over `batches`, one optimizer step per batch; return the mean loss.

        model.train() first. For each (x, y): set optimizer.lr from the scheduler (when
        there is one) at self.global_step; zero the gradients; forward on as_tensor(x);
        loss; backward; clip the model's parameters to self.grad_clip (when set); step;
        add 1 to self.global_step. Keep the sample-weighted mean loss (a batch counts
        len(x) samples) and, when progress_bar is given, call
        progress_bar.update(batches done so far, mean loss so far) after each batch.
        At the end add 1 to self.epoch. Raise ValueError if there are no batches.
        """
        ### BEGIN SOLUTION
        self.model.train()
        total_loss, samples, done = 0.0, 0, 0
        for x, y in batches:
            if self.scheduler is not None:
                self.optimizer.lr = self.scheduler(self.global_step)
            self.optimizer.zero_grad()
            x = as_tensor(x)
            loss = self.loss_fn(self.model(x), y)
            loss.backward()
            if self.grad_clip is not None:
                clip_grad_norm(self.model.parameters(), self.grad_clip)
            self.optimizer.step()
            self.global_step += 1
            total_loss += loss.item() * len(x)
            samples += len(x)
            done += 1
            if progress_bar is not None:
                progress_bar.update(done, total_loss / samples)
        if done == 0:
            raise ValueError("train_epoch got no batches")
        self.epoch += 1
        return total_loss / samples
        ### END SOLUTION

    def evaluate(self, batches):
        """Loss (and accuracy) over `batches`, without training: {'loss': ..., 'accuracy': ...}.

        model.eval() (dropout off), then, under no_grad(), for each (x, y): outputs =
        model(as_tensor(x)), loss_fn(outputs, y). 'loss' is the sample-weighted mean loss.
        'accuracy' is the fraction of samples whose argmax over the outputs' last axis equals
        the class id, when class_ids_or_none(outputs, y) gives ids for every batch; None
        otherwise. Raise ValueError if there are no batches. Return Python floats.
        """
        ### BEGIN SOLUTION
        self.model.eval()
        total_loss, samples, correct, classification = 0.0, 0, 0, True
        with no_grad():
            for x, y in batches:
                x = as_tensor(x)
                outputs = self.model(x)
                total_loss += self.loss_fn(outputs, y).item() * len(x)
                samples += len(x)
                ids = class_ids_or_none(outputs, y)
                if ids is None:
                    classification = False
                else:
                    correct += int(np.sum(np.argmax(outputs.data, axis=-1) == ids))
        if samples == 0:
            raise ValueError("evaluate got no batches")
        accuracy = correct / samples if classification else None
        return {"loss": total_loss / samples, "accuracy": accuracy}
        ### END SOLUTION

    def fit(self, train_batches, val_batches=None, epochs=1, progress=True):
        """Train for `epochs` more epochs; return this call's history.

        history = {'train_loss': [...], 'val_loss': [...], 'val_accuracy': [...], 'lr': [...]},
        one entry per epoch: the epoch's mean training loss; the validation loss and
        accuracy from evaluate(val_batches) (None when val_batches is None); and
        optimizer.lr after the epoch (the last learning rate used).
        With progress=True, a ProgressBar(self.epoch + epochs) runs: start_epoch(epoch
        number, batch_count(train_batches)) before, train_epoch(..., progress_bar=bar),
        end_epoch(train loss, val_loss=..., val_accuracy=...) after each epoch.
        progress=False prints nothing.
        """
        ### BEGIN SOLUTION
        history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "lr": []}
        bar = ProgressBar(self.epoch + epochs) if progress else None
        for _ in range(epochs):
            if bar is not None:
                bar.start_epoch(self.epoch + 1, batch_count(train_batches))
            train_loss = self.train_epoch(train_batches, progress_bar=bar)
            metrics = self.evaluate(val_batches) if val_batches is not None else {"loss": None, "accuracy": None}
            history["train_loss"].append(train_loss)
            history["val_loss"].append(metrics["loss"])
            history["val_accuracy"].append(metrics["accuracy"])
            history["lr"].append(self.optimizer.lr)
            if bar is not None:
                bar.end_epoch(train_loss, val_loss=metrics["loss"], val_accuracy=metrics["accuracy"])
        return history
        ### END SOLUTION

    def save_checkpoint(self, path):
        """Write ONE .npz file at `path` (exactly that name) with the keys of the table above.

        Hint: `with open(path, "wb") as f: np.savez(f, **arrays)` (np.savez given a file name
        would add '.npz' to it); np.asarray(number) makes a 0-d array.
        """
        ### BEGIN SOLUTION
        arrays = {f"parameter.{i}": p.data for i, p in enumerate(self.model.parameters())}
        for name, value in self.optimizer.state_dict().items():
            if isinstance(value, np.ndarray):
                arrays[f"optimizer.{name}"] = value
            else:
                arrays[f"optimizer_scalar.{name}"] = np.asarray(value)
        arrays["epoch"] = np.asarray(self.epoch)
        arrays["global_step"] = np.asarray(self.global_step)
        with open(path, "wb") as file:
            np.savez(file, **arrays)
        ### END SOLUTION

    def load_checkpoint(self, path):
        """Restore parameters, optimizer state, epoch and global step from `path`.

        Check before changing anything: the number of 'parameter.*' entries must equal
        len(model.parameters()) and each shape must match, else raise ValueError naming the
        counts or the parameter index and both shapes. Then write each saved array into
        its parameter (`p.data[...] = saved`), give the optimizer its state back
        (`optimizer.<name>` as arrays, `optimizer_scalar.<name>` as Python numbers via
        `.item()`), and set self.epoch and self.global_step (as ints).
        """
        ### BEGIN SOLUTION
        with np.load(path) as saved:
            entries = {key: saved[key] for key in saved.files}
        parameters = self.model.parameters()
        stored = [key for key in entries if key.startswith("parameter.")]
        if len(stored) != len(parameters):
            raise ValueError(
                f"the checkpoint holds {len(stored)} parameters but the model has {len(parameters)}: "
                "was it saved from a different architecture?"
            )
        for i, parameter in enumerate(parameters):
            shape = entries[f"parameter.{i}"].shape
            if shape != parameter.shape:
                raise ValueError(f"parameter {i} has shape {shape} in the checkpoint but {parameter.shape} in the model")
        for i, parameter in enumerate(parameters):
            parameter.data[...] = entries[f"parameter.{i}"]
        optimizer_state = {}
        for key, value in entries.items():
            if key.startswith("optimizer."):
                optimizer_state[key[len("optimizer."):]] = value
            elif key.startswith("optimizer_scalar."):
                optimizer_state[key[len("optimizer_scalar."):]] = value.item()
        self.optimizer.load_state_dict(optimizer_state)
        self.epoch = int(entries["epoch"])
        self.global_step = int(entries["global_step"])
        ### END SOLUTION

# %% [markdown]
# A few helpers for the tests and demos: seeded 2-D data and a way to cut arrays into
# batches (module 08 builds the real `DataLoader`).

# %%
def make_blobs(samples_per_class, seed, classes=3, spread=0.6):
    """`classes` Gaussian blobs around points on a circle: (x float32 (n, 2), y int64 (n,))."""
    rng = np.random.default_rng(seed)
    angles = 2 * np.pi * np.arange(classes) / classes
    centres = 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    y = np.repeat(np.arange(classes), samples_per_class)
    x = centres[y] + spread * rng.standard_normal((len(y), 2))
    order = rng.permutation(len(y))
    return x[order].astype(np.float32), y[order]


def make_spirals(samples_per_class, seed, classes=3, noise=0.25):
    """`classes` interleaved spiral arms, each 1.25 turns long: (x float32 (n, 2), y int64 (n,))."""
    rng = np.random.default_rng(seed)
    radius = np.tile(np.linspace(0.05, 1.0, samples_per_class), classes)
    y = np.repeat(np.arange(classes), samples_per_class)
    angle = 2.5 * np.pi * radius + 2 * np.pi * y / classes + noise * rng.standard_normal(len(y))
    x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    order = rng.permutation(len(y))
    return x[order].astype(np.float32), y[order]


def batches_of(x, y, batch_size):
    """A list of (x, y) batches, in order; the last one may be shorter."""
    return [(x[i:i + batch_size], y[i:i + batch_size]) for i in range(0, len(x), batch_size)]

# %% [markdown]
# ### Test: one epoch of training
#
# The trainer must do exactly what the hand-written loop of module 05 did. The test trains
# two copies of the same model — one by the `Trainer`, one by hand — and compares every
# parameter. Then the checks of gradient flow through a whole training step: every
# parameter moves after one step, and the loss on a fixed batch falls.

# %% nbgrader={"grade": true, "grade_id": "train-epoch", "locked": true, "points": 4, "schema_version": 3, "solution": false}
def small_model(seed):
    np.random.seed(seed)
    return Sequential(Linear(2, 8), Tanh(), Linear(8, 3))

x, y = make_blobs(8, seed=0)
batches = batches_of(x, y, batch_size=8)   # 3 batches
model, by_hand = small_model(0), small_model(0)
trainer = Trainer(model, MiniSGD(model.parameters(), lr=0.5), CrossEntropyLoss())
mean_loss = trainer.train_epoch(batches)
optimizer, hand_losses = MiniSGD(by_hand.parameters(), lr=0.5), []
for xb, yb in batches:
    optimizer.zero_grad()
    loss = CrossEntropyLoss()(by_hand(Tensor(xb)), yb)
    loss.backward()
    optimizer.step()
    hand_losses.append(loss.item())
for i, (mine, reference) in enumerate(zip(model.parameters(), by_hand.parameters())):
    np.testing.assert_allclose(mine.data, reference.data, rtol=1e-6, atol=1e-7,
                               err_msg=f"parameter {i} differs from the hand-written loop (zero_grad each batch?)")
assert np.isclose(mean_loss, np.mean(hand_losses), rtol=1e-6), f"mean loss {mean_loss}, expected {np.mean(hand_losses)}"
assert trainer.global_step == 3 and trainer.epoch == 1, f"after 3 batches: global_step 3, epoch 1; got {trainer.global_step}, {trainer.epoch}"
before = [p.data.copy() for p in model.parameters()]
fixed_batch = [batches[0]]
first = trainer.train_epoch(fixed_batch)
assert all(not np.array_equal(b, p.data) for b, p in zip(before, model.parameters())), "every parameter must change after a step"
later = [trainer.train_epoch(fixed_batch) for _ in range(10)][-1]
assert later < first, f"the loss on a fixed batch should fall: {first:.4f} -> {later:.4f}"
print(f"Train-epoch passed: matches the hand-written loop; fixed-batch loss {first:.3f} -> {later:.3f}.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(7004)
x, y = make_blobs(10, seed=7004)
batches = batches_of(x, y, batch_size=7)   # uneven last batch
model, by_hand = small_model(4), small_model(4)
schedule = CosineSchedule(0.4, 0.05, total_steps=9, warmup_steps=2)
trainer = Trainer(model, MiniSGD(model.parameters(), lr=123.0, momentum=0.5), CrossEntropyLoss(), scheduler=schedule)
epoch_losses = [trainer.train_epoch(batches) for _ in range(2)]
optimizer, step = MiniSGD(by_hand.parameters(), lr=0.0, momentum=0.5), 0
for epoch in range(2):
    total = 0.0
    for xb, yb in batches:
        optimizer.lr = schedule(step)
        optimizer.zero_grad()
        loss = CrossEntropyLoss()(by_hand(Tensor(xb)), yb)
        loss.backward()
        optimizer.step()
        step += 1
        total += loss.item() * len(xb)
    assert np.isclose(epoch_losses[epoch], total / len(x), rtol=1e-6), "the mean loss is weighted by batch size"
for mine, reference in zip(model.parameters(), by_hand.parameters()):
    np.testing.assert_allclose(mine.data, reference.data, rtol=1e-5, atol=1e-6, err_msg="schedule, zero_grad and step order")
assert trainer.global_step == 2 * len(batches) and np.isclose(trainer.optimizer.lr, schedule(2 * len(batches) - 1))
# Tensors as batches, and clipping: with plain SGD the update is exactly lr * clipped gradient
model = small_model(5)
for p in model.parameters():
    p.data = p.data.astype(np.float64)
before = [p.data.copy() for p in model.parameters()]
trainer = Trainer(model, MiniSGD(model.parameters(), lr=0.1), CrossEntropyLoss(), grad_clip=1e-3)
trainer.train_epoch([(Tensor(x[:12].astype(np.float64)), Tensor(y[:12]))])
moved = np.sqrt(sum(np.sum((p.data - b) ** 2) for p, b in zip(model.parameters(), before)))
assert np.isclose(moved, 0.1 * 1e-3, rtol=1e-6), f"with grad_clip=1e-3 and lr 0.1 the update has norm 1e-4, got {moved}"
try:
    trainer.train_epoch([])
except ValueError:
    pass
else:
    raise AssertionError("train_epoch on no batches must raise ValueError")
### END HIDDEN TESTS

# %% [markdown]
# ### Test: evaluation
#
# The model below has dropout. In training mode every forward pass drops different units, so
# an evaluation in training mode would give a different loss each time. A spy loss function
# records the outputs it receives, to check that no graph was recorded.

# %% nbgrader={"grade": true, "grade_id": "evaluate", "locked": true, "points": 3, "schema_version": 3, "solution": false}
np.random.seed(1)
model = Sequential(Linear(2, 32), ReLU(), Dropout(0.5), Linear(32, 3))
x, y = make_blobs(4, seed=1)   # 12 samples
seen_outputs = []

def spy_loss(outputs, targets):
    seen_outputs.append(outputs)
    return CrossEntropyLoss()(outputs, targets)

trainer = Trainer(model, MiniSGD(model.parameters()), spy_loss)
model.train()
result = trainer.evaluate([(x[:8], y[:8]), (x[8:], y[8:])])
assert set(result) == {"loss", "accuracy"}, f"evaluate returns {{'loss', 'accuracy'}}, got {set(result)}"
model.eval()
logits = model(Tensor(x)).data
expected_loss = CrossEntropyLoss()(Tensor(logits), y).item()
expected_accuracy = float(np.mean(logits.argmax(axis=1) == y))
assert np.isclose(result["loss"], expected_loss, rtol=1e-5), \
    f"loss {result['loss']:.6f}, expected {expected_loss:.6f}: is the model in eval mode (dropout off), and the loss weighted by batch size?"
assert np.isclose(result["accuracy"], expected_accuracy), f"accuracy {result['accuracy']}, expected {expected_accuracy}"
assert all(out.grad_fn is None for out in seen_outputs), "evaluate must run the model under no_grad(): no graph recorded"
assert all(p.grad is None for p in model.parameters()), "evaluate must not compute gradients"
regression = Trainer(Sequential(Linear(2, 1)), MiniSGD([]), MSELoss()).evaluate([(x, x[:, :1] * 2.0)])
assert regression["accuracy"] is None, "no accuracy for regression targets"
print(f"Evaluate passed: loss {result['loss']:.3f}, accuracy {result['accuracy']:.2f}, no graph.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(7005)
np.random.seed(7005)
model = Sequential(Linear(3, 16), Tanh(), Dropout(0.3), Linear(16, 4))
x = rng.standard_normal((23, 3)).astype(np.float32)
y = rng.integers(0, 4, size=23)
trainer = Trainer(model, MiniSGD(model.parameters()), spy_loss)
seen_outputs.clear()
results = [trainer.evaluate(batches_of(x, y, 5)) for _ in range(2)]
assert results[0] == results[1], "evaluation is deterministic: no dropout"
model.eval()
logits = model(Tensor(x)).data
assert np.isclose(results[0]["loss"], CrossEntropyLoss()(Tensor(logits), y).item(), rtol=1e-5)
assert np.isclose(results[0]["accuracy"], np.mean(logits.argmax(axis=1) == y))
assert all(out.grad_fn is None and not out.requires_grad for out in seen_outputs)
tensor_batches = [(Tensor(x[:10]), Tensor(y[:10])), (Tensor(x[10:]), Tensor(y[10:]))]
assert np.isclose(trainer.evaluate(tensor_batches)["accuracy"], np.mean(logits.argmax(axis=1) == y)), "Tensor targets (float) hold class ids too"
try:
    trainer.evaluate([])
except ValueError:
    pass
else:
    raise AssertionError("evaluate on no batches must raise ValueError")
### END HIDDEN TESTS

# %% [markdown]
# ### Test: `fit`, progress and checkpoints
#
# The strongest test of a checkpoint: train, save, keep training one more epoch; then build
# a *fresh* trainer (different random weights, zero momentum), load the checkpoint, train
# the same epoch — and get **bit-for-bit** the same parameters and losses.

# %% nbgrader={"grade": true, "grade_id": "fit-and-checkpoint", "locked": true, "points": 4, "schema_version": 3, "solution": false}
def blob_trainer(seed):
    np.random.seed(seed)
    model = Sequential(Linear(2, 8), Tanh(), Linear(8, 3))
    optimizer = MiniSGD(model.parameters(), lr=0.3, momentum=0.9)
    return Trainer(model, optimizer, CrossEntropyLoss(), scheduler=CosineSchedule(0.3, 0.03, total_steps=40, warmup_steps=3))

x, y = make_blobs(20, seed=2)
train, val = batches_of(x[:48], y[:48], 16), batches_of(x[48:], y[48:], 16)
trainer = blob_trainer(0)
with contextlib.redirect_stdout(io.StringIO()) as printed:
    history = trainer.fit(train, val, epochs=2, progress=False)
assert printed.getvalue() == "", f"progress=False prints nothing, got {printed.getvalue()!r}"
assert set(history) == {"train_loss", "val_loss", "val_accuracy", "lr"}, f"history keys: {set(history)}"
assert all(len(values) == 2 for values in history.values()), "one entry per epoch in every list"
with contextlib.redirect_stdout(io.StringIO()) as printed:
    trainer.fit(train, val, epochs=1)
lines = printed.getvalue().splitlines()
assert len(lines) == 1 and lines[0].startswith("epoch 3/3 [") and "val_accuracy" in lines[0], \
    f"not a terminal: one line per epoch, numbered on from the epochs already done: {printed.getvalue()!r}"
with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "run.npz")
    trainer.save_checkpoint(path)
    assert os.listdir(folder) == ["run.npz"], f"save_checkpoint writes one file at the given path: {os.listdir(folder)}"
    continued = trainer.fit(train, val, epochs=1, progress=False)
    resumed = blob_trainer(seed=99)
    resumed.load_checkpoint(path)
    assert (resumed.epoch, resumed.global_step) == (3, 9), f"epoch and global step restored: {(resumed.epoch, resumed.global_step)}"
    again = resumed.fit(train, val, epochs=1, progress=False)
    assert again == continued, f"the resumed run must repeat the next epoch exactly:\n{again}\n{continued}"
    for mine, reference in zip(resumed.model.parameters(), trainer.model.parameters()):
        np.testing.assert_array_equal(mine.data, reference.data, err_msg="parameters after the resumed epoch")
    wrong = Trainer(Sequential(Linear(2, 4), Tanh(), Linear(4, 3)), MiniSGD([]), CrossEntropyLoss())
    try:
        wrong.load_checkpoint(path)
    except ValueError as error:
        assert "shape" in str(error), f"the error should name the mismatched shapes: {error}"
    else:
        raise AssertionError("loading into a model with other shapes must raise ValueError")
print("Fit-and-checkpoint passed: history, one line per epoch, exact resume.")
### BEGIN HIDDEN TESTS
x, y = make_blobs(15, seed=7006)
train = batches_of(x, y, 10)
trainer = blob_trainer(7)
history = trainer.fit(train, epochs=2, progress=False)
assert history["val_loss"] == [None, None] and history["val_accuracy"] == [None, None], "no val_batches: None entries"
assert history["lr"][-1] == trainer.optimizer.lr == trainer.scheduler(trainer.global_step - 1)
with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "checkpoint")   # no .npz suffix: still exactly this file
    trainer.save_checkpoint(path)
    assert os.listdir(folder) == ["checkpoint"]
    expected = trainer.fit(train, epochs=2, progress=False)
    resumed = blob_trainer(8)
    resumed.load_checkpoint(path)
    assert isinstance(resumed.epoch, int) and isinstance(resumed.global_step, int)
    assert resumed.fit(train, epochs=2, progress=False) == expected
    for mine, reference in zip(resumed.model.parameters(), trainer.model.parameters()):
        np.testing.assert_array_equal(mine.data, reference.data)
    np.random.seed(0)
    deeper = Trainer(Sequential(Linear(2, 8), Tanh(), Linear(8, 8), Tanh(), Linear(8, 3)), MiniSGD([]), CrossEntropyLoss())
    untouched = [p.data.copy() for p in deeper.model.parameters()]
    try:
        deeper.load_checkpoint(path)
    except ValueError:
        pass
    else:
        raise AssertionError("a checkpoint with a different number of parameters must raise ValueError")
    assert all(np.array_equal(p.data, u) for p, u in zip(deeper.model.parameters(), untouched)), "a failed load changes nothing"
class Countdown:
    """Batches with no len(): the bar shows only the count."""
    def __iter__(self):
        return iter(train[:2])
with contextlib.redirect_stdout(io.StringIO()) as printed:
    blob_trainer(3).fit(Countdown(), epochs=2)
assert printed.getvalue().splitlines()[1].startswith("epoch 2/2 2 batches loss "), printed.getvalue()
### END HIDDEN TESTS

# %% [markdown]
# ## Training curves
#
# Now the whole machine on a problem a linear model cannot solve: three interleaved spirals.
# A two-hidden-layer ReLU network, SGD with momentum, a cosine schedule with warmup, and
# clipping at norm 5. The progress printed below is one line per epoch, because a notebook
# is not a terminal.

# %%
x_all, y_all = make_spirals(120, seed=0)
spiral_train, spiral_val = batches_of(x_all[:300], y_all[:300], 30), batches_of(x_all[300:], y_all[300:], 30)
np.random.seed(0)
spiral_model = Sequential(Linear(2, 64, init="he"), ReLU(), Linear(64, 64, init="he"), ReLU(), Linear(64, 3))
epochs = 40
spiral_trainer = Trainer(
    spiral_model, MiniSGD(spiral_model.parameters(), lr=0.1, momentum=0.9), CrossEntropyLoss(),
    scheduler=CosineSchedule(max_lr=0.1, min_lr=0.005, total_steps=epochs * len(spiral_train), warmup_steps=20),
    grad_clip=5.0,
)
start = time.perf_counter()
spiral_history = spiral_trainer.fit(spiral_train, spiral_val, epochs=epochs)
print(f"{epochs} epochs in {time.perf_counter() - start:.1f} s")

figure, (loss_axis, accuracy_axis, lr_axis) = plt.subplots(1, 3, figsize=(12, 3.3))
epoch_numbers = np.arange(1, epochs + 1)
loss_axis.plot(epoch_numbers, spiral_history["train_loss"], label="train")
loss_axis.plot(epoch_numbers, spiral_history["val_loss"], label="validation")
loss_axis.set(xlabel="epoch", ylabel="cross-entropy", title="Loss")
loss_axis.legend()
accuracy_axis.plot(epoch_numbers, spiral_history["val_accuracy"], color="tab:green")
accuracy_axis.set(xlabel="epoch", ylabel="accuracy", title="Validation accuracy", ylim=(0, 1.02))
lr_axis.plot(epoch_numbers, spiral_history["lr"], color="tab:purple")
lr_axis.set(xlabel="epoch", ylabel="learning rate", title="Learning rate (end of epoch)")
figure.tight_layout()
plt.show()

# %% [markdown]
# Read the curves together. While the learning rate is high the loss falls fast but
# noisily; as the cosine brings it down, the loss settles. If the validation loss turned up
# while the training loss kept falling, the model would be memorizing the training set
# (overfitting) — the moment to stop, or to restore the best checkpoint.
#
# ## Step 5 — Diagnosing vanishing and exploding gradients
#
# When a network does not learn, look at the gradient norm of every layer after one
# backward pass. The product of Jacobians from Step 1 makes the two failures easy to see:
#
# - **Vanishing.** A sigmoid's slope is at most $1/4$. Twenty sigmoid layers multiply the
#   gradient by at most $(1/4)^{20} \approx 10^{-12}$ on its way to the first layer (times
#   what the weights do). The last layers learn; the first ones receive almost nothing and
#   stay random. *Fixes*: activations whose slope is 1 where they are active (ReLU, GELU),
#   initialization that keeps the signal's variance through each layer (He for ReLU, Xavier
#   for tanh), normalization layers (LayerNorm, BatchNorm), and residual connections
#   $h + f(h)$, whose Jacobian $I + f'$ cannot collapse to zero.
# - **Exploding.** Weights too large for their layer (say 4× He) make each factor stretch
#   the signal: activations grow layer by layer going forward and gradients going backward,
#   so a weight's gradient (input activation × output gradient) is huge in *every* layer,
#   and a few more layers or a few bad steps take it to `inf`/`nan`. In recurrent-style
#   chains, where the same weights are applied again and again, the growth shows instead as
#   norms rising toward the input. *Fixes*: proper initialization, a smaller learning rate,
#   `clip_grad_norm`, normalization.
#
# **The thresholds, and why.**
#
# - *Vanishing*: the first weight matrix's gradient norm is below `vanishing` $= 10^{-3}$
#   times the last one's. With a good initialization every layer's gradient norm stays
#   within about an order of magnitude of the others (that is what He and Xavier are
#   designed for; the healthy network below shows ratios near 1). A ratio of $10^{-3}$ means
#   that with one learning rate the first layer learns a thousand times slower than the
#   last, which in practice is not at all. The check is *relative* on purpose: near a
#   minimum every gradient is small, and that is convergence, not a disease. It compares
#   weight matrices (parameters with two or more axes), not biases: a bias's gradient is a
#   sum of signed errors, and can be near zero in a healthy network when the errors balance.
# - *Exploding*: any gradient norm above `exploding` $= 10^{3}$, or not finite. A healthy
#   classification network at initialization has per-layer norms of about $0.1$ to $10$
#   (the cross-entropy gradient on the logits is at most $\sqrt{2}$ per sample, averaged
#   over the batch). A norm of $10^3$ is two orders beyond that: one step at learning rate
#   0.1 would move the weights by about 100, destroying weights of size 1. The mirror of the
#   vanishing test — the first layer's norm more than $1/\text{vanishing} = 10^3$ times the
#   last one's — flags gradients that grow toward the input before they become huge.
#
# Both thresholds are arguments: a regression on large targets has legitimately larger
# gradients, and a different loss may call for a different scale.
#
# The report names each parameter by its attribute path (`layers.0.weight` is
# `model.layers[0].weight`), which `named_parameters` finds by walking the model the same
# way `parameters()` does.

# %% nbgrader={"grade": false, "grade_id": "diagnose-gradients-solution", "locked": false, "schema_version": 3, "solution": true}
#| export
def named_parameters(model, prefix=""):
    """{attribute path: Tensor} for every trainable tensor of the model, each once, in the
    order of model.parameters(): 'layers.0.weight' is model.layers[0].weight."""
    found, seen = {}, set()

    def visit(value, name):
        if isinstance(value, Tensor):
            if value.requires_grad and id(value) not in seen:
                seen.add(id(value))
                found[name] = value
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                visit(item, f"{name}.{i}" if name else str(i))
        elif callable(getattr(value, "parameters", None)) and not isinstance(value, type) and hasattr(value, "__dict__"):
            for key, item in vars(value).items():
                visit(item, f"{name}.{key}" if name else key)

    visit(model, prefix)
    return found


class GradientReport:
    """Per-parameter gradient norms, the problems found, and a table to print."""

    def __init__(self):
        self.norms = {}      # name -> gradient L2 norm (float), or None without a gradient
        self.shapes = {}     # name -> parameter shape
        self.flags = {}      # name -> 'vanishing' | 'exploding' | 'missing' for flagged rows
        self.problems = []   # one readable sentence per problem, each saying what to try

    @property
    def healthy(self):
        return not self.problems

    def __str__(self):
        width = max([len(name) for name in self.norms] + [9])
        rows = [f"{'parameter':<{width}}  {'shape':<12}  {'grad norm':>10}"]
        for name, norm in self.norms.items():
            shown = "none" if norm is None else f"{norm:.2e}"
            flag = f"  <- {self.flags[name]}" if name in self.flags else ""
            rows.append(f"{name:<{width}}  {str(self.shapes[name]):<12}  {shown:>10}{flag}")
        rows.append("healthy: no problem found" if self.healthy else "problems:")
        rows.extend(f"  - {problem}" for problem in self.problems)
        return "\n".join(rows)

    def __repr__(self):
        state = "healthy" if self.healthy else f"{len(self.problems)} problem(s)"
        return f"<GradientReport of {len(self.norms)} parameters: {state}>"


VANISHING_ADVICE = ("try ReLU or GELU instead of saturating activations (sigmoid, tanh), He (ReLU) or "
                    "Xavier (tanh) initialization, normalization layers, or residual connections")
EXPLODING_ADVICE = ("try a smaller learning rate, clip_grad_norm(model.parameters(), max_norm), "
                    "He/Xavier initialization instead of larger weights, or normalization layers")


def diagnose_gradients(model, vanishing=1e-3, exploding=1e3):
    """Check the gradients left by loss.backward() in every parameter of `model`.

    Fill a GradientReport. For each (name, parameter) of named_parameters(model), in order:
    - grad None: norms[name] = None, flags[name] = 'missing', and a problem naming it
      ('... has no gradient: call loss.backward() first, and check that it is used in the
      forward pass').
    - else norms[name] = the L2 norm of the gradient (float64), shapes[name] = its shape.
      Not finite, or above `exploding`: flags[name] = 'exploding'.
    Then the problems (each one sentence that starts with its kind and ends with advice):
    - 'exploding gradients: ...' + EXPLODING_ADVICE once if any norm is not finite or
      above `exploding` (name the worst parameter and its norm);
    - among the weights (parameters with ndim >= 2) with finite norms, first and last:
      ratio = first norm / last norm (only when there are two or more weights and the last
      norm is > 0).
      ratio < vanishing: flag every weight whose norm < vanishing * last norm 'vanishing',
      problem 'vanishing gradients: ...' + VANISHING_ADVICE (name both norms and the ratio).
      ratio > 1 / vanishing: problem 'exploding gradients: ... grow toward the input ...'
      + EXPLODING_ADVICE (only if no exploding problem was reported yet).
    Set report.shapes for every parameter (missing ones too). Return the report.
    """
    report = GradientReport()
    ### BEGIN SOLUTION
    weights = []
    for name, parameter in named_parameters(model).items():
        report.shapes[name] = parameter.shape
        if parameter.grad is None:
            report.norms[name] = None
            report.flags[name] = "missing"
            report.problems.append(f"{name} has no gradient: call loss.backward() first, and check that it is used in the forward pass")
            continue
        norm = float(np.sqrt(np.sum(np.square(parameter.grad, dtype=np.float64))))
        report.norms[name] = norm
        if not np.isfinite(norm) or norm > exploding:
            report.flags[name] = "exploding"
        elif parameter.ndim >= 2:
            weights.append(name)
    huge = [name for name, flag in report.flags.items() if flag == "exploding"]
    if huge:
        worst = max(huge, key=lambda name: report.norms[name] if np.isfinite(report.norms[name]) else np.inf)
        report.problems.append(
            f"exploding gradients: {len(huge)} parameter(s) have gradient norms above {exploding:g} or not "
            f"finite (worst: {worst}, norm {report.norms[worst]:.2e}); {EXPLODING_ADVICE}"
        )
    if len(weights) >= 2 and report.norms[weights[-1]] > 0:
        first, last = weights[0], weights[-1]
        ratio = report.norms[first] / report.norms[last]
        if ratio < vanishing:
            for name in weights:
                if report.norms[name] < vanishing * report.norms[last]:
                    report.flags[name] = "vanishing"
            report.problems.append(
                f"vanishing gradients: {first} has gradient norm {report.norms[first]:.2e}, {ratio:.1e} times "
                f"that of {last} ({report.norms[last]:.2e}), so the layers near the input barely learn; "
                f"{VANISHING_ADVICE}"
            )
        elif ratio > 1 / vanishing and not huge:
            report.problems.append(
                f"exploding gradients: gradient norms grow toward the input ({first}: {report.norms[first]:.2e}, "
                f"{ratio:.1e} times {last}); {EXPLODING_ADVICE}"
            )
    ### END SOLUTION
    return report

# %% [markdown]
# Three networks, one backward pass each on the same random batch: a 20-layer sigmoid stack
# (Xavier init, the sigmoid's best case), an 8-layer ReLU stack whose weights are 4× too
# large, and the same ReLU stack with He initialization.

# %%
def sigmoid_stack(depth, width, seed):
    np.random.seed(seed)
    layers = []
    for _ in range(depth):
        layers += [Linear(width, width), Sigmoid()]
    return Sequential(*layers, Linear(width, 3))


def relu_stack(depth, width, seed, weight_scale=1.0):
    np.random.seed(seed)
    layers = []
    for _ in range(depth):
        layer = Linear(width, width, init="he")
        layer.weight.data *= weight_scale
        layers += [layer, ReLU()]
    return Sequential(*layers, Linear(width, 3))


def backward_on_random_batch(model, width, seed):
    """One forward and backward pass of cross-entropy on a seeded random batch of 32."""
    rng = np.random.default_rng(seed)
    for p in model.parameters():
        p.grad = None
    CrossEntropyLoss()(model(Tensor(rng.standard_normal((32, width)).astype(np.float32))), rng.integers(0, 3, size=32)).backward()
    return model

# %%
networks = {
    "20 sigmoid layers": sigmoid_stack(20, 16, seed=0),
    "8 ReLU layers, 4x He weights": relu_stack(8, 16, seed=0, weight_scale=4.0),
    "8 ReLU layers, He init": relu_stack(8, 16, seed=0),
}
plt.figure(figsize=(7, 3.5))
for label, network in networks.items():
    report = diagnose_gradients(backward_on_random_batch(network, 16, seed=0))
    weight_norms = [norm for name, norm in report.norms.items() if name.endswith("weight")]
    plt.semilogy(np.arange(len(weight_norms)), weight_norms, "o-", markersize=3, label=label)
    print(f"=== {label}: {'healthy' if report.healthy else 'NOT healthy'}")
    print(report.problems[0] if report.problems else "no problem found")
plt.xlabel("layer (0 = next to the input)")
plt.ylabel("weight gradient norm")
plt.title("Gradient norm per layer after one backward pass")
plt.legend()
plt.tight_layout()
plt.show()
print()
print(diagnose_gradients(networks["20 sigmoid layers"]))

# %% nbgrader={"grade": true, "grade_id": "gradient-diagnosis", "locked": true, "points": 4, "schema_version": 3, "solution": false}
deep_sigmoid = backward_on_random_batch(sigmoid_stack(20, 16, seed=0), 16, seed=0)
report = diagnose_gradients(deep_sigmoid)
assert "layers.0.weight" in report.norms and "layers.40.bias" in report.norms, f"names are attribute paths: {list(report.norms)[:3]}"
assert np.isclose(report.norms["layers.40.weight"], np.linalg.norm(deep_sigmoid.layers[40].weight.grad), rtol=1e-6)
assert not report.healthy and any(p.startswith("vanishing") for p in report.problems), f"20 sigmoid layers: vanishing.\n{report}"
assert report.flags.get("layers.0.weight") == "vanishing", "the first layer's weight is flagged"
assert "ReLU" in str(report) and "layers.0.weight" in str(report), "the table names the layers, the problem says what to try"
exploding = diagnose_gradients(backward_on_random_batch(relu_stack(8, 16, seed=0, weight_scale=4.0), 16, seed=0))
assert any(p.startswith("exploding") for p in exploding.problems), f"4x too large weights: exploding.\n{exploding}"
assert "clip_grad_norm" in " ".join(exploding.problems), "the advice mentions clip_grad_norm"
healthy = diagnose_gradients(backward_on_random_batch(relu_stack(8, 16, seed=0), 16, seed=0))
assert healthy.healthy and healthy.problems == [], f"ReLU + He is healthy, got:\n{healthy}"
print("Gradient-diagnosis passed: vanishing and exploding caught, the healthy network left alone.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(7007)
for seed in (11, 12):
    width = int(rng.integers(8, 24))
    assert any(p.startswith("vanishing") for p in diagnose_gradients(backward_on_random_batch(sigmoid_stack(20, width, seed), width, seed)).problems)
    assert any(p.startswith("exploding") for p in diagnose_gradients(backward_on_random_batch(relu_stack(8, width, seed, 4.0), width, seed)).problems)
    assert diagnose_gradients(backward_on_random_batch(relu_stack(8, width, seed), width, seed)).healthy
    np.random.seed(seed)
    shallow_tanh = Sequential(Linear(width, 16), Tanh(), Linear(16, 16), Tanh(), Linear(16, 3))
    assert diagnose_gradients(backward_on_random_batch(shallow_tanh, width, seed)).healthy
quiet = diagnose_gradients(backward_on_random_batch(sigmoid_stack(20, 16, seed=3), 16, seed=3), vanishing=1e-30)
assert quiet.healthy, "the vanishing threshold is an argument"
model = backward_on_random_batch(relu_stack(3, 8, seed=4), 8, seed=4)
model.layers[2].weight.grad[0, 0] = np.nan
broken = diagnose_gradients(model)
assert broken.flags.get("layers.2.weight") == "exploding" and any(p.startswith("exploding") for p in broken.problems), "NaN is flagged"
model.layers[2].weight.grad = None
missing = diagnose_gradients(model)
assert missing.norms["layers.2.weight"] is None and missing.flags["layers.2.weight"] == "missing"
assert any("layers.2.weight" in p for p in missing.problems) and not missing.healthy
big = backward_on_random_batch(relu_stack(3, 8, seed=5), 8, seed=5)
assert diagnose_gradients(big).healthy
assert not diagnose_gradients(big, exploding=1e-6).healthy, "the exploding threshold is an argument"
### END HIDDEN TESTS

# %% [markdown]
# ## Systems view: where a training step's time goes, and what a checkpoint weighs
#
# A training step is forward, backward, (clip), optimizer step. Measure each phase of one
# step for MLPs of growing width on a batch of 64; the machine is shared, so each figure is
# the best of several runs. Backward should cost about twice the forward (a matmul's
# backward is two matmuls); clipping is one pass over the gradients and should be cheap.

# %%
def best_time(action, repeats=5):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best

rng = np.random.default_rng(0)
print(f"{'width':>6} {'params':>9} {'forward':>10} {'backward':>10} {'clip':>10} {'step':>10}   (ms, best of 5)")
for width in (64, 256, 512):
    np.random.seed(0)
    model = Sequential(Linear(width, width, init="he"), ReLU(), Linear(width, width, init="he"), ReLU(), Linear(width, 10))
    optimizer = MiniSGD(model.parameters(), lr=0.01, momentum=0.9)
    x = Tensor(rng.standard_normal((64, width)).astype(np.float32))
    y = rng.integers(0, 10, size=64)
    loss_fn = CrossEntropyLoss()

    def forward():
        return loss_fn(model(x), y)

    def backward():
        optimizer.zero_grad()
        forward().backward()

    backward()  # warm-up, and gradients for clip and step
    t_forward = best_time(forward)
    t_backward = best_time(backward) - t_forward  # backward() includes a forward pass
    t_clip = best_time(lambda: clip_grad_norm(model.parameters(), 1e9))  # measures the norm, never scales
    t_step = best_time(optimizer.step)
    count = sum(p.data.size for p in model.parameters())
    print(f"{width:>6} {count:>9,d} {t_forward * 1e3:>10.3f} {t_backward * 1e3:>10.3f} {t_clip * 1e3:>10.3f} {t_step * 1e3:>10.3f}")

# %% [markdown]
# And the checkpoint of the widest model: its bytes on disk against the bytes of the
# parameters and of the optimizer's momentum buffers. SGD with momentum keeps one extra
# array per parameter, so the checkpoint is about twice the model; Adam keeps two, three
# times.

# %%
trainer = Trainer(model, optimizer, loss_fn)
with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "wide.npz")
    trainer.save_checkpoint(path)
    on_disk = os.path.getsize(path)
parameter_bytes = sum(p.data.nbytes for p in model.parameters())
state_bytes = sum(v.nbytes for v in optimizer.state_dict().values() if isinstance(v, np.ndarray))
print(f"parameters {parameter_bytes / 1e6:.2f} MB + optimizer state {state_bytes / 1e6:.2f} MB "
      f"= {(parameter_bytes + state_bytes) / 1e6:.2f} MB; checkpoint file {on_disk / 1e6:.2f} MB")

# %% [markdown]
# ## Putting it together
#
# The integration test trains a fresh network on three blobs with everything of this
# module at once — cosine schedule with warmup, clipping, `fit` with validation — then checks
# that it learned, that its gradients are still healthy after training, and that a
# checkpoint of the trained model evaluates to the same numbers.

# %% nbgrader={"grade": true, "grade_id": "training-integration", "locked": true, "points": 4, "schema_version": 3, "solution": false}
def integration_run(seed, epochs=12):
    x, y = make_blobs(60, seed=seed)
    train, val = batches_of(x[:120], y[:120], 20), batches_of(x[120:], y[120:], 30)
    np.random.seed(seed)
    model = Sequential(Linear(2, 32, init="he"), ReLU(), Linear(32, 32, init="he"), ReLU(), Linear(32, 3))
    trainer = Trainer(model, MiniSGD(model.parameters(), lr=0.05, momentum=0.9), CrossEntropyLoss(),
                      scheduler=CosineSchedule(0.05, 0.005, total_steps=epochs * len(train), warmup_steps=6), grad_clip=5.0)
    history = trainer.fit(train, val, epochs=epochs, progress=False)
    return trainer, history, train, val

trainer, history, train, val = integration_run(seed=0)
assert history["train_loss"][-1] < 0.5 * history["train_loss"][0], f"training loss should halve: {history['train_loss']}"
assert history["val_accuracy"][-1] >= 0.9, f"three separated blobs: validation accuracy >= 0.9, got {history['val_accuracy'][-1]}"
assert np.isclose(history["lr"][-1], trainer.scheduler(trainer.global_step - 1)), "the schedule drove the learning rate"
for p in trainer.model.parameters():
    p.grad = None
xb, yb = train[0]
CrossEntropyLoss()(trainer.model(Tensor(xb)), yb).backward()
assert diagnose_gradients(trainer.model).healthy, "after training, gradients still flow to every layer"
print(f"Integration passed: loss {history['train_loss'][0]:.3f} -> {history['train_loss'][-1]:.3f}, "
      f"validation accuracy {history['val_accuracy'][-1]:.2f}.")
### BEGIN HIDDEN TESTS
trainer, history, train, val = integration_run(seed=7008, epochs=10)
assert history["val_accuracy"][-1] >= 0.9 and history["train_loss"][-1] < 0.5 * history["train_loss"][0]
with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "final.npz")
    trainer.save_checkpoint(path)
    restored, _, _, _ = integration_run(seed=1, epochs=2)
    restored.load_checkpoint(path)
    assert restored.evaluate(val) == trainer.evaluate(val), "a loaded checkpoint evaluates exactly like the original"
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# - **`clip_grad_norm`** scales all gradients by one factor when their global norm is too
#   large: the update keeps its direction, loses its excess length; the pre-clip norm it
#   returns is the number to watch.
# - **Schedules** are functions of the global step: cosine with linear warmup, step decay.
# - **`Trainer`** runs the five moves of a step in the right order (zero_grad first),
#   evaluates in eval mode without a graph, records a history, and saves and restores a run
#   — parameters *and* optimizer state — so that it resumes bit for bit.
# - **`ProgressBar`** redraws in a terminal and prints one line per epoch everywhere else.
# - **`diagnose_gradients`** turns "it does not learn" into a per-layer table: vanishing
#   (first-layer norm a thousandth of the last's) or exploding (norms above $10^3$ or not
#   finite), each with what to try.
# - You measured where a step's time goes (backward ≈ 2× forward; clipping is cheap) and
#   what a checkpoint weighs (parameters plus optimizer state).
#
# **Next:** module 08 builds the `DataLoader` that feeds `fit` shuffled batches from a
# dataset.
