# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Module 03 — Layers
#
# A neural network is a stack of **layers**: objects that hold some trainable numbers (their
# *parameters*) and map an input tensor to an output tensor. In this module you build the
# layer machinery every later model in TinyTorch is made of.
#
# **What you build.**
# - `Layer`, the base class: calling a layer runs its `forward`, and `parameters()` finds every
#   trainable tensor inside it — including inside its sub-layers and lists of sub-layers.
# - `Linear`, the dense layer $y = xW + b$, with its two standard initializations (Xavier and
#   He) and a hand-derived `backward`.
# - `Dropout`, the regularizer that randomly silences units while training.
# - `Sequential`, a container that chains layers into a model.
#
# **Why.** Every model from here on — the MLP of module 07, the CNN of module 09, the GPT of
# module 13 — is layers inside layers. An optimizer can only train what `parameters()` hands
# it, so a parameter that is missed is a parameter that never learns. And the numbers a layer
# starts from decide whether a deep network trains at all: you will *measure* signals vanishing
# and exploding through 20 layers, and see the two initializations fix it.
#
# **What you need.** Module 01's `Tensor` (arithmetic, `@`, `sum`, `reshape`, `.T`). Nothing
# from module 02: where a demo needs a nonlinearity, it applies numpy's `np.tanh` or
# `np.maximum(·, 0)` to a tensor's `.data`.
#
# **Where it lands.** Your classes are exported to `tinytorch/core/layers.py`; later modules
# start with `from tinytorch.core.layers import Layer, Linear, Dropout, Sequential`.
#
# **How this notebook works.** Fill in the places marked `# YOUR CODE HERE` (delete the
# `raise NotImplementedError()` line), run the cell, then run the test cell below it. Visible
# tests give you feedback now; when your notebook is graded, hidden tests in the same cells try
# random shapes and check your gradients against numerical ones.

# %%
#| default_exp core.layers
#| export
import numpy as np

from tinytorch.core.tensor import Tensor

# %%
import time

import matplotlib.pyplot as plt

# %% [markdown]
# ## Step 1 — The `Layer` base class
#
# Every layer answers two questions:
#
# 1. **What does it compute?** `forward(x)`. Calling the layer, `layer(x)`, runs `forward` —
#    the base class's `__call__` does that, so every layer can be used like a function.
# 2. **What can be trained?** `parameters()`: the list of tensors an optimizer will update.
#
# Writing `parameters()` by hand in every layer would be tedious and easy to get wrong (add an
# attribute, forget to list it, and it silently never trains). So the base class finds them
# itself, by looking through the layer's attributes — `vars(self)`, a dict in the order the
# attributes were assigned:
#
# ```
# MultiHeadAttention                     vars(self)
# ├── q_proj: Linear ──> weight, bias    a Layer: ask it for ITS parameters()
# ├── k_proj: Linear ──> weight, bias
# ├── ...
# └── num_heads: 4                       not a tensor, not a layer: skip
#
# GPT
# ├── embedding: Embedding ──> weight
# ├── blocks: [Block, Block, Block]      a list: look inside it
# └── ...
# ```
#
# The rules:
# - a `Tensor` with `requires_grad=True` is a parameter; one without (a constant, such as a
#   positional-encoding table) is not;
# - an object with a `parameters()` method (a `Layer`, or module 02's activations, whose
#   `parameters()` returns `[]`) contributes what that method returns;
# - a list or tuple is searched item by item (items may be tensors, layers or more lists);
# - each tensor is returned **once**, even when reached twice (two attributes naming the
#   same layer, or weight tying in a language model, where the embedding and the output layer
#   share one matrix). An optimizer that got a tensor twice would update it twice per step.
#   Compare tensors by *identity* (`id(tensor)`), not by value: two different parameters may
#   hold equal numbers.
#
# **Training and evaluation modes.** Some layers behave differently while training (dropout,
# in Step 5; batch normalization in module 09). `model.train()` and `model.eval()` set
# `training` on the model and on every layer inside it; they are written for you, and they
# walk the attributes the same way `parameters()` should.

# %% nbgrader={"grade": false, "grade_id": "layer-base", "locked": false, "schema_version": 3, "solution": true}
#| export
class Layer:
    """Base class of every TinyTorch layer.

    A subclass sets its parameters (Tensors with requires_grad=True) and sub-layers as
    attributes in __init__ and computes its output in forward(). Calling the layer calls
    forward; parameters() collects the trainable tensors; train()/eval() switch modes.
    """

    # A class attribute, so a subclass that never calls Layer.__init__ still starts in
    # training mode; train()/eval() then set it on the instance.
    training = True

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def parameters(self):
        """Every trainable Tensor of this layer and of the layers inside it, each once.

        Walk `vars(self).values()` in order. For each value:
        - a Tensor with requires_grad=True: collect it (skip it if already collected:
          compare with `id(...)`, which is the same only for the very same object);
        - a list or tuple: handle each item by these same rules (items may be lists too);
        - any other object with a `parameters()` method (a Layer, an activation), except
          classes themselves (`isinstance(value, type)`): collect what it returns.
        Everything else (numbers, strings, numpy arrays, None) is skipped.

        Hint: a small inner function `collect(value)` that calls itself handles the
        nesting.
        """
        ### BEGIN SOLUTION
        found, seen = [], set()

        def collect(value):
            if isinstance(value, Tensor):
                if value.requires_grad and id(value) not in seen:
                    seen.add(id(value))
                    found.append(value)
            elif isinstance(value, (list, tuple)):
                for item in value:
                    collect(item)
            elif callable(getattr(value, "parameters", None)) and not isinstance(value, type):
                for parameter in value.parameters():
                    collect(parameter)

        for value in vars(self).values():
            collect(value)
        return found
        ### END SOLUTION

    def train(self, mode=True):
        """Set training mode (mode=False: evaluation) here and in every sub-layer; return self."""
        self.training = mode
        for layer in _sublayers(vars(self).values()):
            layer.train(mode)
        return self

    def eval(self):
        """Evaluation mode here and in every sub-layer: eval() is train(False)."""
        return self.train(False)


def _sublayers(values):
    """The Layers among `values`, looking inside (nested) lists and tuples."""
    for value in values:
        if isinstance(value, Layer):
            yield value
        elif isinstance(value, (list, tuple)):
            yield from _sublayers(value)


# %% [markdown]
# The test builds two small layers of its own. `Affine` holds two trainable tensors and a
# constant; `TwoBlocks` holds an `Affine`, a list of two more, and a second name for the first
# one, so its six parameters are reached seven ways.

# %% nbgrader={"grade": true, "grade_id": "layer-parameters", "locked": true, "points": 3, "schema_version": 3, "solution": false}
class Affine(Layer):
    """y = x * scale + shift, elementwise: two trainable tensors and one constant."""

    def __init__(self, size):
        self.scale = Tensor(np.ones(size), requires_grad=True)
        self.shift = Tensor(np.zeros(size), requires_grad=True)
        self.offset = Tensor(np.full(size, 2.0))  # requires_grad=False: a constant, not a parameter

    def forward(self, x):
        return x * self.scale + self.shift


class TwoBlocks(Layer):
    def __init__(self):
        self.first = Affine(3)
        self.rest = [Affine(3), Affine(3)]
        self.again = self.first  # the same layer under a second name

    def forward(self, x):
        for block in [self.first] + self.rest:
            x = block(x)
        return x


def same_tensors(got, expected):
    return len(got) == len(expected) and all(a is b for a, b in zip(got, expected))


affine = Affine(3)
found = affine.parameters()
assert isinstance(found, list), f"parameters() should return a list, got {type(found).__name__}"
assert same_tensors(found, [affine.scale, affine.shift]), (
    f"Affine.parameters() should be [scale, shift] in that order (the constant offset has "
    f"requires_grad=False), got {len(found)} tensors"
)
model = TwoBlocks()
expected = [model.first.scale, model.first.shift, model.rest[0].scale, model.rest[0].shift,
            model.rest[1].scale, model.rest[1].shift]
found = model.parameters()
assert len(found) != 2, "only the first block was found: look inside lists too"
assert len(found) != 8, "a tensor came back twice: `again` is the same layer as `first`; skip tensors already collected"
assert same_tensors(found, expected), f"TwoBlocks should have 6 parameters in attribute order, got {len(found)}"
np.testing.assert_allclose(model(Tensor([1.0, 2.0, 3.0])).data, [1.0, 2.0, 3.0], err_msg="calling a layer runs forward")
assert model.training and model.eval() is model, "layers start in training mode; eval() returns the layer"
assert not any(layer.training for layer in (model, model.first, *model.rest)), "eval() must reach every sub-layer"
assert all(layer.training for layer in (model.train(), model.first, *model.rest)), "train() must reach every sub-layer"
print("Step 1 passed: parameters() finds every trainable tensor once, in order.")
### BEGIN HIDDEN TESTS
from autograder.gradcheck import check_parameter_coverage

rng = np.random.default_rng(3101)


class ActivationLike:
    """Not a Layer, but callable with parameters() -> [], as module 02's activations are."""

    def __call__(self, x):
        return x

    def parameters(self):
        return []


class Holder(Layer):
    def __init__(self, shared):
        self.name = "holder"
        self.width = 3
        self.table = rng.standard_normal(4)                       # numpy array: not a parameter
        self.blocks = ([Affine(2), [Affine(2), shared]], ActivationLike())  # a tuple holding nested lists
        self.loose = [Tensor(rng.standard_normal(2), requires_grad=True), Tensor(np.ones(2))]
        self.shared = shared                                      # reached twice
        self.tied = self.loose[0]                                 # a tensor reached twice
        self.kind = Affine                                        # a class, not a layer
        self.nothing = None


shared = Affine(2)
holder = Holder(shared)
outer, inner = holder.blocks[0][0], holder.blocks[0][1][0]
expected = [outer.scale, outer.shift, inner.scale, inner.shift, shared.scale, shared.shift, holder.loose[0]]
found = holder.parameters()
assert same_tensors(found, expected), f"nested tuples and lists: expected 7 parameters in order, got {len(found)}"
assert len({id(p) for p in found}) == len(found), "no duplicates"
check_parameter_coverage(holder)
check_parameter_coverage(TwoBlocks())


class Empty(Layer):
    def forward(self, x):
        return x


assert Empty().parameters() == [], "a layer without tensors has no parameters"
deep = Empty()
deep.chain = [[[[Affine(int(rng.integers(1, 4)))]]]]
assert len(deep.parameters()) == 2, "lists nested four deep"
try:
    Layer()(Tensor([1.0]))
except NotImplementedError:
    pass
else:
    raise AssertionError("Layer.forward must raise NotImplementedError")
holder.eval()
assert not any(b.training for b in (holder, outer, inner, shared)), "eval() reaches layers in nested lists and tuples"
### END HIDDEN TESTS

# %% [markdown]
# ## Step 2 — `Linear`: the dense layer
#
# A linear (or *dense*, or *fully connected*) layer maps each input vector of `in_features`
# numbers to `out_features` numbers:
# $$y = xW + b, \qquad x: (N, \text{in}),\quad W: (\text{in}, \text{out}),\quad b: (\text{out},),\quad y: (N, \text{out}).$$
# Each output $y_{nj} = \sum_i x_{ni} W_{ij} + b_j$ is a weighted sum of all inputs plus a bias:
# column $j$ of $W$ holds the weights of output unit $j$.
#
# ```
#     x (N, in)        W (in, out)         b (out,)         y (N, out)
#   [ . . . . ]  @  [ . . . ]    +   [ . . . ]   =   [ . . . ]
#   [ . . . . ]     [ . . . ]        (broadcast       [ . . . ]
#                   [ . . . ]         to every row)
#                   [ . . . ]
# ```
#
# We store $W$ as `(in, out)` so that the forward pass is `x @ W` with no transpose. (PyTorch
# stores `(out, in)` and computes `x @ W.T`; the two are the same maths.) The input may have
# more leading axes: a batch of token sequences `(batch, seq, in)` maps to
# `(batch, seq, out)`, because matmul treats leading axes as batch axes.
#
# **Write `forward` with Tensor operations**: `x @ self.weight + self.bias`. Not with numpy on
# `.data`. In module 05, Tensor operations learn to record how each result was made; a forward
# built from them becomes differentiable without changing a line. A forward that went through
# `.data` would cut the graph, and the weights would never get a gradient.
#
# `weight` and `bias` are Tensors with `requires_grad=True`, so `parameters()` from Step 1
# finds them — `Linear` does not need its own. `bias=False` stores `self.bias = None`.
#
# The class holds three steps: Step 2 is `forward`, Step 3 the initialization in `__init__`,
# Step 4 `backward`. Fill in `__init__` and `forward` now (any reasonable numbers for the weight
# let Step 2's test run; Step 3 says which numbers), run the cell, then the test.

# %% nbgrader={"grade": false, "grade_id": "linear-class", "locked": false, "schema_version": 3, "solution": true}
#| export
class Linear(Layer):
    """y = x @ weight + bias, with weight of shape (in_features, out_features)."""

    def __init__(self, in_features, out_features, bias=True, init="xavier"):
        """Create the weight (and bias) as float32 Tensors with requires_grad=True.

        weight: shape (in_features, out_features), drawn from np.random (the global state,
          so np.random.seed(n) makes a layer reproducible):
          - init="xavier": uniform on [-limit, limit], limit = sqrt(6 / (in + out))
          - init="he":     normal with mean 0 and std = sqrt(2 / in)
          - anything else: raise ValueError naming the two choices.
        bias: zeros of shape (out_features,), or None when bias=False.
        Also keep in_features and out_features as attributes.

        Hints: np.random.uniform(low, high, size=...), np.random.normal(0.0, std, size=...),
        .astype(np.float32).
        """
        ### BEGIN SOLUTION
        self.in_features = in_features
        self.out_features = out_features
        shape = (in_features, out_features)
        if init == "xavier":
            limit = np.sqrt(6.0 / (in_features + out_features))
            weight = np.random.uniform(-limit, limit, size=shape)
        elif init == "he":
            weight = np.random.normal(0.0, np.sqrt(2.0 / in_features), size=shape)
        else:
            raise ValueError(f"unknown init {init!r}: use 'xavier' (for tanh, sigmoid) or 'he' (for ReLU)")
        self.weight = Tensor(weight.astype(np.float32), requires_grad=True)
        self.bias = Tensor(np.zeros(out_features, dtype=np.float32), requires_grad=True) if bias else None
        ### END SOLUTION

    def forward(self, x):
        """x of shape (..., in_features) -> x @ weight + bias of shape (..., out_features).

        Use Tensor operations only (no .data): module 05 differentiates them. Accept a numpy
        array too by wrapping it in a Tensor first. Skip the bias when it is None.
        """
        ### BEGIN SOLUTION
        if not isinstance(x, Tensor):
            x = Tensor(x)
        output = x @ self.weight
        if self.bias is not None:
            output = output + self.bias
        return output
        ### END SOLUTION

    def backward(self, x, grad_output):
        """The gradients of a loss L, given x (the input) and grad_output = dL/dy.

        x has shape (..., in) and grad_output shape (..., out), with the same leading axes.
        Returns numpy arrays (grad_x, grad_weight, grad_bias):
          grad_x      = dL/dx, shape of x
          grad_weight = dL/dW, shape (in, out): a sum over every leading position
          grad_bias   = dL/db, shape (out,), or None when the layer has no bias
        Step 4 derives the formulas. Hint: reshape x and grad_output to 2-D
        (-1, in) and (-1, out) for the weight and bias gradients.
        """
        x = x.data if isinstance(x, Tensor) else np.asarray(x)
        grad_output = grad_output.data if isinstance(grad_output, Tensor) else np.asarray(grad_output)
        weight = self.weight.data
        ### BEGIN SOLUTION
        grad_x = grad_output @ weight.T
        x_rows = x.reshape(-1, weight.shape[0])
        grad_rows = grad_output.reshape(-1, weight.shape[1])
        grad_weight = x_rows.T @ grad_rows
        grad_bias = grad_rows.sum(axis=0) if self.bias is not None else None
        ### END SOLUTION
        return grad_x, grad_weight, grad_bias

    def __repr__(self):
        return f"Linear(in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None})"


# %% [markdown]
# The test checks the output against numpy, with 2-D and 3-D inputs and without a bias, and
# then checks that `forward` really goes through `Tensor`'s `@` and `+`: it briefly wraps
# those two methods to count the calls (the same trick module 05 uses to record the graph).

# %% nbgrader={"grade": true, "grade_id": "linear-forward", "locked": true, "points": 2, "schema_version": 3, "solution": false}
np.random.seed(0)
layer = Linear(4, 3)
x = Tensor(np.random.standard_normal((5, 4)).astype(np.float32))
layer.bias = Tensor(np.array([0.5, -1.0, 2.0], dtype=np.float32), requires_grad=True)
y = layer(x)
assert isinstance(y, Tensor), f"forward should return a Tensor, got {type(y).__name__}"
assert y.shape == (5, 3), f"(5, 4) input through Linear(4, 3) should give (5, 3), got {y.shape}"
assert y.dtype == np.float32, f"float32 in, float32 out; got {y.dtype}"
np.testing.assert_allclose(y.data, x.data @ layer.weight.data + layer.bias.data, rtol=1e-5, err_msg="y = x @ W + b")
sequence = Tensor(np.random.standard_normal((2, 7, 4)).astype(np.float32))
assert layer(sequence).shape == (2, 7, 3), "a (batch, seq, in) input gives (batch, seq, out)"
no_bias = Linear(4, 3, bias=False)
np.testing.assert_allclose(no_bias(x).data, x.data @ no_bias.weight.data, rtol=1e-5, err_msg="bias=False: y = x @ W")

calls = []
plain_matmul, plain_add = Tensor.matmul, Tensor.__add__
Tensor.matmul = lambda a, b: calls.append("@") or plain_matmul(a, b)
Tensor.__add__ = lambda a, b: calls.append("+") or plain_add(a, b)
try:
    layer(x)
finally:
    Tensor.matmul, Tensor.__add__ = plain_matmul, plain_add
assert "@" in calls and "+" in calls, (
    f"forward must use Tensor operations (x @ self.weight + self.bias), not numpy on .data; "
    f"Tensor operations called: {calls}"
)
print("Step 2 passed: Linear.forward computes x @ W + b with Tensor operations.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(3201)
for _ in range(6):
    n_in, n_out = (int(v) for v in rng.integers(1, 12, size=2))
    leading = tuple(int(v) for v in rng.integers(1, 5, size=rng.integers(1, 4)))
    layer = Linear(n_in, n_out)
    layer.weight = Tensor(rng.standard_normal((n_in, n_out)), requires_grad=True)
    layer.bias = Tensor(rng.standard_normal(n_out), requires_grad=True)
    values = rng.standard_normal(leading + (n_in,))
    expected = values @ layer.weight.data + layer.bias.data
    got = layer(Tensor(values))
    assert got.shape == expected.shape, f"input {values.shape} through Linear({n_in}, {n_out}): shape {got.shape}"
    np.testing.assert_allclose(got.data, expected, rtol=1e-10, err_msg=f"Linear({n_in}, {n_out}) on {values.shape}")
    np.testing.assert_allclose(layer(values).data, expected, rtol=1e-10, err_msg="a numpy input works too")
    layer.bias = None
    np.testing.assert_allclose(layer(Tensor(values)).data, values @ layer.weight.data, rtol=1e-10, err_msg="no bias")
### END HIDDEN TESTS

# %% [markdown]
# ## Step 3 — Initialization: where the weights start
#
# Why not start every weight at zero? Then every output unit computes the same thing, gets the
# same gradient and stays identical forever: nothing breaks the symmetry. So the weights start
# random. But random *how big*? That decides whether a deep network trains at all.
#
# **The variance rule.** Take one output $y = \sum_{i=1}^{n_\text{in}} x_i w_i$ with weights and
# inputs independent and zero-mean. The variance of a sum of independent terms is the sum of
# their variances, and $\operatorname{Var}(x_i w_i) = \operatorname{Var}(x_i)\operatorname{Var}(w_i)$, so
# $$\operatorname{Var}(y) = n_\text{in} \cdot \operatorname{Var}(w) \cdot \operatorname{Var}(x).$$
# Every layer multiplies the signal's variance by $n_\text{in}\operatorname{Var}(w)$. After $L$
# layers the factor is $(n_\text{in}\operatorname{Var}(w))^L$: above 1 the signal **explodes**,
# below 1 it **vanishes**, and in both cases the gradients (which travel the same layers
# backwards) do the same. Only a factor of about 1 keeps a deep stack healthy.
#
# **Xavier (Glorot) initialization** — for tanh and sigmoid. Near zero, tanh is close to the
# identity, so the rule above holds as is: we want $\operatorname{Var}(w) = 1/n_\text{in}$ for the
# forward signal, and by the same argument on the backward pass (where $W^\top$ is used, so
# $n_\text{out}$ plays the role of $n_\text{in}$) $\operatorname{Var}(w) = 1/n_\text{out}$ for the
# gradients. Glorot and Bengio's compromise is the average:
# $$\operatorname{Var}(w) = \frac{2}{n_\text{in} + n_\text{out}}.$$
# A uniform distribution on $[-a, a]$ has variance $a^2/3$, so drawing uniformly with
# $$a = \sqrt{\frac{6}{n_\text{in} + n_\text{out}}}$$
# gives exactly that variance.
#
# **He (Kaiming) initialization** — for ReLU. ReLU zeroes the negative half of its input, so
# its output carries only half the second moment: $\mathbb{E}[\operatorname{relu}(y)^2] =
# \tfrac12 \operatorname{Var}(y)$ for a zero-mean symmetric $y$. To make up for the halving,
# double the weights' variance:
# $$w \sim \mathcal{N}\!\left(0,\ \frac{2}{n_\text{in}}\right), \qquad \text{std} = \sqrt{2/n_\text{in}}.$$
#
# Fill in the initialization in `Linear.__init__` (if you have not yet), re-run the class cell,
# then the test. It checks the statistics on big layers, where a few hundred thousand draws
# pin the standard deviation down to a fraction of a percent.

# %% nbgrader={"grade": true, "grade_id": "linear-init", "locked": true, "points": 2, "schema_version": 3, "solution": false}
np.random.seed(0)
layer = Linear(400, 600)
assert layer.weight.shape == (400, 600), f"weight should be (in, out) = (400, 600), got {layer.weight.shape}"
assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32, "weight and bias are float32"
assert layer.weight.requires_grad and layer.bias.requires_grad, "weight and bias need requires_grad=True"
assert layer.bias.shape == (600,) and not np.any(layer.bias.data), "the bias starts at zeros, shape (out,)"
limit = np.sqrt(6 / (400 + 600))
weights = layer.weight.data
assert np.abs(weights).max() <= limit, f"Xavier weights lie in [-{limit:.4f}, {limit:.4f}], found {np.abs(weights).max():.4f}"
assert abs(weights.std() / (limit / np.sqrt(3)) - 1) < 0.05, (
    f"Xavier std should be limit / sqrt(3) = {limit / np.sqrt(3):.4f}, got {weights.std():.4f}"
)
he = Linear(500, 300, init="he").weight.data
assert abs(he.std() / np.sqrt(2 / 500) - 1) < 0.05, f"He std should be sqrt(2/in) = {np.sqrt(2 / 500):.4f}, got {he.std():.4f}"
assert Linear(3, 2, bias=False).bias is None, "bias=False stores bias = None"
assert len(Linear(3, 2, bias=False).parameters()) == 1, "a layer without bias has one parameter"
np.random.seed(7)
first = Linear(5, 4).weight.data
np.random.seed(7)
assert np.array_equal(first, Linear(5, 4).weight.data), "np.random.seed(n) must reproduce the same weights"
try:
    Linear(3, 2, init="zeros")
except ValueError:
    pass
else:
    raise AssertionError("an unknown init must raise ValueError")
print("Step 3 passed: Xavier and He initializations have the right spread.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(3301)
for _ in range(3):
    n_in, n_out = (int(v) for v in rng.integers(300, 900, size=2))
    np.random.seed(int(rng.integers(1000)))
    xavier = Linear(n_in, n_out).weight.data
    limit = np.sqrt(6 / (n_in + n_out))
    assert xavier.shape == (n_in, n_out)
    assert np.abs(xavier).max() <= limit and np.abs(xavier).max() > 0.98 * limit, f"Xavier({n_in}, {n_out}): uniform on [-{limit:.4f}, {limit:.4f}]"
    assert abs(xavier.std() / (limit / np.sqrt(3)) - 1) < 0.05, f"Xavier({n_in}, {n_out}) std {xavier.std():.5f}, expected {limit / np.sqrt(3):.5f}"
    assert abs(xavier.mean()) < 0.05 * limit, f"Xavier mean should be about 0, got {xavier.mean():.5f}"
    he = Linear(n_in, n_out, init="he").weight.data
    target = np.sqrt(2 / n_in)
    assert he.shape == (n_in, n_out) and he.dtype == np.float32
    assert abs(he.std() / target - 1) < 0.05, f"He({n_in}, {n_out}) std {he.std():.5f}, expected {target:.5f}"
    assert abs(he.mean()) < 0.05 * target, f"He mean should be about 0, got {he.mean():.5f}"
    assert abs(np.mean(np.abs(he) < target) - 0.6827) < 0.02, "He weights are normal: about 68% within one std"
np.random.seed(11)
a = Linear(6, 5, init="he")
np.random.seed(11)
b = Linear(6, 5, init="he")
assert np.array_equal(a.weight.data, b.weight.data), "He init reproducible with np.random.seed"
assert not np.array_equal(Linear(6, 5).weight.data, Linear(6, 5).weight.data), "two layers draw different weights"
### END HIDDEN TESTS

# %% [markdown]
# ### Measured: a signal through 20 layers
#
# Theory says the spread of the signal is multiplied by $\sqrt{n_\text{in}\operatorname{Var}(w)}$
# per layer. Let us watch it happen. The cell below pushes a batch of 256 standard-normal
# vectors through a stack of 20 `Linear(256, 256)` layers, each followed by tanh or ReLU, and
# records the standard deviation of the activations after every layer, for four choices of
# weights:
#
# | weights | $n_\text{in}\operatorname{Var}(w)$ with $n_\text{in} = 256$ |
# |---|---|
# | naive $\mathcal{N}(0, 1)$ | 256: far too big |
# | small $\mathcal{N}(0, 0.01^2)$ | 0.0256: far too small |
# | Xavier | 1 |
# | He | 2 |

# %%
NONLINEARITIES = {"tanh": np.tanh, "ReLU": lambda values: np.maximum(values, 0.0)}
SCHEMES = ["naive N(0, 1)", "small N(0, 0.01²)", "xavier", "he"]


def make_layer(scheme, width):
    """A Linear(width, width) whose weights follow one of the SCHEMES."""
    if scheme in ("xavier", "he"):
        return Linear(width, width, init=scheme)
    layer = Linear(width, width)
    scale = 1.0 if scheme.startswith("naive") else 0.01
    layer.weight = Tensor((scale * np.random.standard_normal((width, width))).astype(np.float32), requires_grad=True)
    return layer


def activation_stds(scheme, nonlinearity, depth=20, width=256, batch=256):
    """Std of the activations after each of `depth` layers (a float64 std: ReLU stacks overflow float32 squares)."""
    np.random.seed(0)
    h = Tensor(np.random.standard_normal((batch, width)).astype(np.float32))
    stds = []
    for _ in range(depth):
        h = Tensor(NONLINEARITIES[nonlinearity](make_layer(scheme, width)(h).data))
        stds.append(h.data.std(dtype=np.float64))
    return stds, h


start = time.perf_counter()
results = {(s, f): activation_stds(s, f) for f in NONLINEARITIES for s in SCHEMES}
print(f"8 stacks of 20 layers in {time.perf_counter() - start:.2f} s\n")
print(f"{'weights':20s} {'after layer 1':>14s} {'after layer 20':>15s}   tanh units saturated (|h| > 0.99)")
for (scheme, nonlinearity), (stds, last) in results.items():
    saturated = f"{np.mean(np.abs(last.data) > 0.99):6.1%}" if nonlinearity == "tanh" else ""
    print(f"{scheme + ', ' + nonlinearity:20s} {stds[0]:14.3g} {stds[-1]:15.3g}   {saturated}")

figure, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
for axis, nonlinearity in zip(axes, NONLINEARITIES):
    for scheme in SCHEMES:
        axis.semilogy(range(1, 21), results[(scheme, nonlinearity)][0], "o-", markersize=3, label=scheme)
    axis.set(title=f"Linear(256, 256) + {nonlinearity}, 20 layers", xlabel="layer", xticks=[1, 5, 10, 15, 20])
    axis.axhline(1.0, color="gray", linewidth=0.5)
axes[0].set_ylabel("std of the activations (log scale)")
axes[1].legend()
figure.tight_layout()
plt.show()

# %% [markdown]
# Read the two plots:
#
# - **Small weights vanish.** Each layer multiplies the spread by about
#   $\sqrt{0.0256} = 0.16$ (0.11 with ReLU, which also halves it): after 20 layers the
#   activations are around $10^{-16}$ and smaller. The last layers see numbers that carry no
#   information about the input, and the gradients flowing back shrink the same way, so the
#   first layers never learn.
# - **Naive $\mathcal{N}(0,1)$ weights explode.** With ReLU the spread grows by about
#   $\sqrt{256/2} \approx 11$ per layer, to around $10^{21}$ — some fifteen layers more and
#   float32 (largest value about $3.4 \times 10^{38}$) overflows to `inf`. With tanh the curve looks flat at about 1, which seems fine until you
#   read the table: most units sit at $\pm 1$, where tanh is flat and its derivative
#   is about zero. A saturated network passes no gradient back: it is as stuck as a vanished
#   one.
# - **Xavier keeps tanh alive**: no unit saturates, and the spread drifts down only slowly —
#   to about 0.16 after 20 layers, not $10^{-16}$. The drift is tanh's doing: it is the
#   identity only near 0 and squashes a little everywhere else, so its gain is slightly
#   below 1. With ReLU, Xavier's factor 1 is halved by every ReLU: the signal decays by
#   $1/\sqrt2$ per layer, to about $2^{-10} \approx 10^{-3}$ after 20.
# - **He keeps ReLU flat**: its factor 2 exactly cancels ReLU's halving, and the spread is the
#   same after layer 20 as after layer 1. With tanh, He's larger weights make up part of
#   tanh's squashing (the spread stays near 0.55) at the price of more units near the flat
#   ends; this is why PyTorch suggests a middle gain, $5/3$, for tanh.
#
# So: **Xavier for tanh and sigmoid, He for ReLU and its relatives.** Later techniques — the
# normalization layers of modules 09 and 13, the residual connections of module 13 — make deep
# networks less fragile, but they start from these same initializations.
#
# ## Step 4 — `Linear.backward`, derived by hand
#
# Training needs, for a scalar loss $L$, the gradient with respect to every parameter and (to
# keep going backwards into earlier layers) the input. The layer receives
# $G = \partial L / \partial y$, of the output's shape $(N, \text{out})$, and must return the
# three gradients. Start from one entry of the output:
# $$y_{nj} = \sum_i x_{ni} W_{ij} + b_j .$$
#
# **Input.** $x_{ni}$ affects every output of row $n$, through $W_{ij}$, so by the chain rule
# $$\frac{\partial L}{\partial x_{ni}} = \sum_j G_{nj}\, W_{ij} = (G W^\top)_{ni}
# \quad\Longrightarrow\quad \frac{\partial L}{\partial x} = G\,W^\top \quad (N, \text{out}) @ (\text{out}, \text{in}) = (N, \text{in}).$$
#
# **Weight.** $W_{ij}$ affects output $j$ of *every* row $n$, so its gradient sums over the batch:
# $$\frac{\partial L}{\partial W_{ij}} = \sum_n x_{ni}\, G_{nj} = (x^\top G)_{ij}
# \quad\Longrightarrow\quad \frac{\partial L}{\partial W} = x^\top G \quad (\text{in}, N) @ (N, \text{out}) = (\text{in}, \text{out}).$$
#
# **Bias.** $b_j$ is added to output $j$ of every row (broadcasting), so its gradient is the
# sum of those rows' gradients:
# $$\frac{\partial L}{\partial b_j} = \sum_n G_{nj} .$$
#
# **Let shapes guide you.** A gradient always has the shape of what it is the gradient *of*.
# `grad_weight` must be `(in, out)`, and from `x` of shape `(N, in)` and `G` of shape
# `(N, out)` the only product with that shape is `x.T @ G`: the transpose goes on `x`, and the
# batch axis $N$ is the one summed over. Same for `grad_x`: `G @ W.T` is the only way to get
# `(N, in)`.
#
# **More leading axes.** With `x` of shape `(batch, seq, in)`, every (batch, seq) position is
# one more "row": `grad_x = G @ W.T` still works (matmul broadcasts), but the weight and bias
# gradients must sum over *all* positions. Reshape to `(-1, in)` and `(-1, out)` first, then
# use the 2-D formulas. Summing over only `axis=0` would leave a `(seq, out)` bias gradient —
# a broadcast that was never summed back.
#
# Fill in `backward` in the class cell. Module 05 will compute these same gradients
# automatically and check that they agree with yours.

# %% nbgrader={"grade": true, "grade_id": "linear-backward", "locked": true, "points": 3, "schema_version": 3, "solution": false}
layer = Linear(2, 3)
layer.weight = Tensor(np.array([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]], dtype=np.float32), requires_grad=True)
x = np.array([[1.0, 2.0]], dtype=np.float32)
grad_output = np.array([[1.0, 1.0, 1.0]], dtype=np.float32)
grad_x, grad_weight, grad_bias = layer.backward(x, grad_output)
np.testing.assert_allclose(grad_x, [[3.0, 0.0]], err_msg="grad_x = grad_output @ W.T: row sums of W")
np.testing.assert_allclose(grad_weight, [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]], err_msg="grad_weight = x.T @ grad_output")
np.testing.assert_allclose(grad_bias, [1.0, 1.0, 1.0], err_msg="grad_bias = grad_output summed over the batch")

layer = Linear(4, 3)
for x_shape in [(5, 4), (2, 6, 4)]:
    out_shape = x_shape[:-1] + (3,)
    grads = layer.backward(Tensor(np.ones(x_shape)), np.ones(out_shape))
    assert len(grads) == 3, "backward returns (grad_x, grad_weight, grad_bias)"
    for name, grad, shape in zip(("grad_x", "grad_weight", "grad_bias"), grads, [x_shape, (4, 3), (3,)]):
        assert isinstance(grad, np.ndarray), f"{name} should be a numpy array, got {type(grad).__name__}"
        assert grad.shape == shape, f"input {x_shape}: {name} should have shape {shape}, got {grad.shape}"
    rows = int(np.prod(x_shape[:-1]))
    np.testing.assert_allclose(grads[2], [rows] * 3, err_msg=f"input {x_shape}: the bias gradient sums all {rows} positions")
assert Linear(4, 3, bias=False).backward(np.ones((2, 4)), np.ones((2, 3)))[2] is None, "no bias: grad_bias is None"
print("Step 4 passed: backward returns gradients of the right shapes and values.")
### BEGIN HIDDEN TESTS
from autograder.gradcheck import check_vjp

rng = np.random.default_rng(3401)


def linear_as_function(layer):
    """forward(x, W, b) and backward(g, x, W, b) of a layer, for check_vjp, in float64."""
    def use(weight, bias):
        layer.weight = Tensor(weight, requires_grad=True)
        layer.bias = None if bias is None else Tensor(bias, requires_grad=True)

    def forward(x, weight, bias=None):
        use(weight, bias)
        return layer(Tensor(x)).data

    def backward(grad_output, x, weight, bias=None):
        use(weight, bias)
        grad_x, grad_weight, grad_bias = layer.backward(Tensor(x), grad_output)
        return (grad_x, grad_weight) if bias is None else (grad_x, grad_weight, grad_bias)

    return forward, backward


for leading in [(1,), (5,), (3, 4), (2, 3, 2)]:
    n_in, n_out = (int(v) for v in rng.integers(1, 7, size=2))
    forward, backward = linear_as_function(Linear(n_in, n_out))
    inputs = [rng.standard_normal(leading + (n_in,)), rng.standard_normal((n_in, n_out)), rng.standard_normal(n_out)]
    check_vjp(f"Linear({n_in}, {n_out}) on input {leading + (n_in,)}", forward, backward, inputs, seed=int(rng.integers(100)))
square_forward, square_backward = linear_as_function(Linear(4, 4))
check_vjp("Linear(4, 4)", square_forward, square_backward, [rng.standard_normal((6, 4)), rng.standard_normal((4, 4)), rng.standard_normal(4)])
plain_forward, plain_backward = linear_as_function(Linear(3, 5, bias=False))
check_vjp("Linear(3, 5, bias=False)", plain_forward, plain_backward, [rng.standard_normal((2, 4, 3)), rng.standard_normal((3, 5))])
single = Linear(3, 2)
grad_x, grad_weight, grad_bias = single.backward(np.ones(3), np.ones(2))
assert grad_x.shape == (3,) and grad_weight.shape == (3, 2) and grad_bias.shape == (2,), "a single 1-D sample"
### END HIDDEN TESTS

# %% [markdown]
# ## Step 5 — `Dropout`
#
# A big network can memorize its training set: units learn to rely on very particular
# partners. **Dropout** (Srivastava et al., 2014) breaks that up: while training, each
# element of the input is set to zero with probability $p$, a fresh random choice every call.
# No unit can count on any other being there, so each must be useful on its own — the network
# behaves like an average of many thinned networks, and it overfits less.
#
# **Why scale the survivors by $1/(1-p)$?** The next layer was trained on inputs of a certain
# size. A unit with value $x$ survives with probability $1-p$, so after plain masking its
# expected value is $(1-p)\,x$: the signal is smaller in training than it will be at test
# time, when nothing is dropped. *Inverted* dropout divides the survivors by $1-p$ during
# training:
# $$\mathbb{E}[\text{out}] = (1-p) \cdot \frac{x}{1-p} + p \cdot 0 = x .$$
# Training then sees the same expected scale as evaluation, and evaluation does nothing at
# all: in `eval()` mode dropout returns its input unchanged, so inference pays no cost and no
# one can forget to rescale there.
#
# $p$ must lie in $[0, 1)$: $p = 1$ would zero everything and divide by zero.
#
# **Implementation.** Draw `np.random.random(x.shape)` (uniform in $[0, 1)$): an element is kept
# where the draw is at least $p$, which happens with probability $1-p$. Build the mask with the
# scale already in it (`keep / (1 - p)`, in the input's dtype), store it as `self.mask`, and
# return `x * Tensor(self.mask)`: a Tensor multiplication, so module 05 differentiates it (the
# gradient of dropout is the same mask applied to the upstream gradient).

# %% nbgrader={"grade": false, "grade_id": "dropout-class", "locked": false, "schema_version": 3, "solution": true}
#| export
class Dropout(Layer):
    """Inverted dropout: in training, zero each element with probability p and scale the rest by 1/(1-p)."""

    def __init__(self, p=0.5):
        """Store p; raise ValueError unless 0 <= p < 1. Set self.mask = None (no mask drawn yet)."""
        ### BEGIN SOLUTION
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability p must be in [0, 1), got {p}")
        self.p = p
        self.mask = None
        ### END SOLUTION

    def forward(self, x):
        """In eval mode, or when p == 0: return x unchanged (and set self.mask = None).

        In training: draw the mask from np.random (kept where np.random.random(x.shape) >= p),
        scale it by 1 / (1 - p), cast it to x's dtype, store it in self.mask, and return
        x * Tensor(self.mask).
        """
        ### BEGIN SOLUTION
        if not self.training or self.p == 0:
            self.mask = None
            return x
        keep = np.random.random(x.shape) >= self.p
        self.mask = (keep / (1.0 - self.p)).astype(x.data.dtype)
        return x * Tensor(self.mask)
        ### END SOLUTION

    def __repr__(self):
        return f"Dropout(p={self.p})"


# %% nbgrader={"grade": true, "grade_id": "dropout", "locked": true, "points": 3, "schema_version": 3, "solution": false}
np.random.seed(0)
dropout = Dropout(0.25)
x = Tensor(np.ones((400, 500), dtype=np.float32))
y = dropout(x)
assert isinstance(y, Tensor) and y.shape == x.shape and y.dtype == np.float32, "same shape and dtype out"
zeroed = np.mean(y.data == 0)
assert abs(zeroed - 0.25) < 0.01, f"p=0.25 should zero about 25% of the elements, zeroed {zeroed:.1%}"
survivors = y.data[y.data != 0]
np.testing.assert_allclose(survivors, 1 / 0.75, rtol=1e-6, err_msg="survivors are scaled by 1/(1-p) = 1.333")
assert abs(y.data.mean() - 1.0) < 0.01, f"inverted dropout keeps the mean: expected 1.0, got {y.data.mean():.4f}"
assert dropout.mask is not None and dropout.mask.shape == x.shape, "store the mask as self.mask"
np.testing.assert_allclose(y.data, x.data * dropout.mask, err_msg="the output is x * mask, with the scale inside the mask")
assert not np.array_equal(dropout(x).data, y.data), "every call draws a new mask"
dropout.eval()
np.testing.assert_array_equal(dropout(x).data, x.data, err_msg="in eval mode dropout returns its input unchanged")
np.testing.assert_array_equal(Dropout(0.0)(x).data, x.data, err_msg="p=0 changes nothing")
for bad in (1.0, -0.1, 1.5):
    try:
        Dropout(bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"Dropout({bad}) must raise ValueError: p must be in [0, 1)")
print("Step 5 passed: inverted dropout in training, identity in evaluation.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(3501)
for _ in range(4):
    p = float(rng.uniform(0.1, 0.8))
    shape = (int(rng.integers(200, 400)), int(rng.integers(2, 5)), int(rng.integers(200, 400)))
    values = rng.standard_normal(shape).astype(np.float32) + 3.0
    dropout = Dropout(p)
    np.random.seed(int(rng.integers(1000)))
    out = dropout(Tensor(values)).data
    kept = out != 0
    assert abs(1 - kept.mean() - p) < 0.01, f"p={p:.3f}: zeroed {1 - kept.mean():.3f}"
    np.testing.assert_allclose(out[kept], values[kept] / (1 - p), rtol=1e-5, err_msg=f"p={p:.3f}: survivors scaled by 1/(1-p)")
    assert abs(out.mean() / values.mean() - 1) < 0.05, f"p={p:.3f}: mean {out.mean():.4f}, expected about {values.mean():.4f}"
    assert dropout.mask.shape == shape and out.dtype == np.float32
    np.random.seed(5)
    first = dropout(Tensor(values)).data
    np.random.seed(5)
    assert np.array_equal(first, dropout(Tensor(values)).data), "the mask comes from np.random: seeding reproduces it"
    dropout.eval()
    np.testing.assert_array_equal(dropout(Tensor(values)).data, values, err_msg="eval mode is the identity")
    dropout.train()
    assert np.any(dropout(Tensor(values)).data == 0), "train() switches dropout back on"
try:
    Dropout(1)
except ValueError:
    pass
else:
    raise AssertionError("Dropout(1) must raise ValueError")
### END HIDDEN TESTS

# %% [markdown]
# ## Step 6 — `Sequential`
#
# Most models are, at least in parts, a chain: the output of one layer is the input of the
# next. `Sequential(layer1, layer2, ...)` stores its layers in a list, `self.layers`, and its
# forward pass feeds each layer's output to the next.
#
# It asks nothing of a layer but two things: that it can be called, `layer(x)`, and that it
# has `parameters()`. So module 02's activations (which are not `Layer`s, but have both) sit in
# a `Sequential` as well as a `Linear` does. And because `self.layers` is a list attribute,
# `parameters()`, `train()` and `eval()` from Step 1 already reach every layer in it: the class
# needs no code for them.

# %% nbgrader={"grade": false, "grade_id": "sequential-class", "locked": false, "schema_version": 3, "solution": true}
#| export
class Sequential(Layer):
    """A chain of layers: Sequential(Linear(4, 8), activation, Linear(8, 2))(x)."""

    def __init__(self, *layers):
        self.layers = list(layers)

    def forward(self, x):
        """Feed x through every layer in order and return the last output."""
        ### BEGIN SOLUTION
        for layer in self.layers:
            x = layer(x)
        return x
        ### END SOLUTION

    def __getitem__(self, index):
        """model[i] is the i-th layer; a slice gives a Sequential of those layers."""
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __len__(self):
        return len(self.layers)

    def __repr__(self):
        inner = "".join(f"\n  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential({inner}\n)"


# %% nbgrader={"grade": true, "grade_id": "sequential", "locked": true, "points": 2, "schema_version": 3, "solution": false}
class NumpyTanh:
    """A stand-in for module 02's Tanh: callable, with parameters() returning [], not a Layer."""

    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        return Tensor(np.tanh(x.data))

    def parameters(self):
        return []


class ModeProbe(Layer):
    """Passes its input through; lets the test see whether train()/eval() reached it."""

    def forward(self, x):
        return x


np.random.seed(1)
first, second, probe = Linear(4, 8), Linear(8, 2), ModeProbe()
model = Sequential(first, NumpyTanh(), probe, second)
assert len(model) == 4 and model[0] is first and model[-1] is second, "len() and indexing reach the layers"
assert len(model[1:3]) == 2 and isinstance(model[1:3], Sequential), "a slice is a Sequential"
x = Tensor(np.random.standard_normal((3, 4)).astype(np.float32))
expected = second(Tensor(np.tanh(first(x).data)))
out = model(x)
assert isinstance(out, Tensor) and out.shape == (3, 2), f"(3, 4) through the chain should give (3, 2), got {out.shape}"
np.testing.assert_allclose(out.data, expected.data, rtol=1e-6, err_msg="Sequential must apply the layers in order")
assert same_tensors(model.parameters(), [first.weight, first.bias, second.weight, second.bias]), (
    "Sequential.parameters() should list each Linear's weight and bias, in layer order"
)
model.eval()
assert not model.training and not probe.training and not first.training, "eval() reaches every layer"
model.train()
assert probe.training and second.training, "train() reaches every layer"
print("Step 6 passed: Sequential chains layers and collects their parameters.")
### BEGIN HIDDEN TESTS
from autograder.gradcheck import check_parameter_coverage

rng = np.random.default_rng(3601)
sizes = [int(v) for v in rng.integers(1, 9, size=5)]
layers = [Linear(a, b, bias=bool(i % 2)) for i, (a, b) in enumerate(zip(sizes, sizes[1:]))]
model = Sequential(layers[0], NumpyTanh(), Sequential(layers[1], NumpyTanh(), layers[2]), layers[3])
x = rng.standard_normal((4, sizes[0]))
expected = Tensor(np.tanh(layers[0](Tensor(x)).data))
expected = layers[3](layers[2](Tensor(np.tanh(layers[1](expected).data))))
np.testing.assert_allclose(model(Tensor(x)).data, expected.data, rtol=1e-6, err_msg="nested Sequential")
expected_params = [p for layer in layers for p in (layer.weight, layer.bias) if p is not None]
assert same_tensors(model.parameters(), expected_params), "nested Sequential: every parameter once, in order"
check_parameter_coverage(model)
shared = Linear(3, 3)
tied = Sequential(shared, NumpyTanh(), shared)
assert len(tied.parameters()) == 2, "a layer used twice contributes its parameters once"
assert Sequential()(Tensor([1.0, 2.0])).shape == (2,), "an empty Sequential is the identity"
model.eval()
assert not model[2].training and not model[2][2].training, "eval() reaches layers in a nested Sequential"
### END HIDDEN TESTS

# %% [markdown]
# ## Systems view: what a `Linear` layer costs
#
# **Parameters and memory.** `Linear(in, out)` holds $\text{in}\cdot\text{out} + \text{out}$
# numbers, 4 bytes each in float32. Training needs more than the weights: a gradient of the
# same size (module 05), and Adam keeps two more running averages per parameter (module 06) —
# four copies in all.
#
# **FLOPs.** The forward pass is one $(N, \text{in}) @ (\text{in}, \text{out})$ product:
# $2 N \cdot \text{in} \cdot \text{out}$ FLOPs (a multiply and an add per term), plus
# $N\cdot\text{out}$ for the bias. The backward pass does two products of the same size
# (`G @ W.T` and `x.T @ G`), so it costs about twice the forward. The cell measures all of it
# on your layer.

# %%
def seconds_per_call(function, repeats, rounds=5):
    """Best of `rounds` averages over `repeats` calls: the minimum filters out the moments
    when another process had the CPU, which only ever make a call slower."""
    function()  # warm-up: the first call pays one-off costs
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeats):
            function()
        best = min(best, (time.perf_counter() - start) / repeats)
    return best


batch = 64
print(f"batch = {batch}")
print(f"{'layer':>18s} {'parameters':>11s} {'bytes':>11s} {'forward FLOPs':>14s} "
      f"{'forward':>10s} {'GFLOP/s':>8s} {'backward':>10s} {'bwd/fwd':>8s}")
for n_in, n_out in [(64, 64), (784, 128), (1024, 1024), (4096, 1024)]:
    np.random.seed(0)
    layer = Linear(n_in, n_out)
    x = Tensor(np.random.standard_normal((batch, n_in)).astype(np.float32))
    grad_output = np.random.standard_normal((batch, n_out)).astype(np.float32)
    count = sum(p.data.size for p in layer.parameters())
    memory = sum(p.data.nbytes for p in layer.parameters())
    flops = 2 * batch * n_in * n_out
    repeats = max(1, int(1e8 // flops))
    forward_time = seconds_per_call(lambda: layer(x), repeats)
    backward_time = seconds_per_call(lambda: layer.backward(x, grad_output), repeats)
    print(f"{f'Linear({n_in}, {n_out})':>18s} {count:11,d} {memory:11,d} {flops:14,d} "
          f"{forward_time * 1e6:8.1f}us {flops / forward_time / 1e9:8.2f} {backward_time * 1e6:8.1f}us "
          f"{backward_time / forward_time:8.2f}")

# %% [markdown]
# What to read in the table:
#
# - The memory column is exactly $4(\text{in}\cdot\text{out} + \text{out})$ bytes: a
#   `Linear(4096, 1024)` alone is 16 MB, before gradients and optimizer state.
# - Small layers run far below the machine's speed (low GFLOP/s): a fixed cost per call
#   (Python, allocating the result, the separate bias addition) dominates. Large layers are
#   compute-bound and reach much higher throughput.
# - Backward does twice the forward's FLOPs, so for large layers expect the `bwd/fwd` column
#   near 2 (less where the forward's fixed costs dominate): a training step is about three
#   forward passes of work. Timings on a shared machine wander from run to run; that is why
#   the cell reports the best of five rounds.
#
# ## Putting it together — a small MLP
#
# The integration test builds a multilayer perceptron as a `Sequential` of your `Linear` and
# `Dropout` layers and a `Scale` layer written in the test itself (any `Layer` subclass fits).
# It checks shapes and the parameter count, then runs a **manual backward pass**: the gradient
# of the loss enters at the top and your `backward` methods carry it down through both
# `Linear` layers. That is exactly what module 05 will automate.

# %% nbgrader={"grade": true, "grade_id": "layers-integration", "locked": true, "points": 3, "schema_version": 3, "solution": false}
class Scale(Layer):
    """Multiplies its input by a trainable number."""

    def __init__(self, value):
        self.factor = Tensor(value, requires_grad=True)

    def forward(self, x):
        return x * self.factor


np.random.seed(3)
mlp = Sequential(Linear(6, 8), Scale(2.0), Dropout(0.5), Linear(8, 3))
count = sum(p.data.size for p in mlp.parameters())
assert len(mlp.parameters()) == 5, f"2 weights, 2 biases and Scale's factor: 5 tensors, got {len(mlp.parameters())}"
assert count == 6 * 8 + 8 + 1 + 8 * 3 + 3, f"parameter count should be 84, got {count}"
x = Tensor(np.random.standard_normal((10, 6)).astype(np.float32))
mlp.train()
assert mlp(x).shape == (10, 3) and mlp[2].training, "training mode: dropout active, shape (10, 3)"
mlp.eval()
first, scale, second = mlp[0], mlp[1], mlp[3]
expected = (x.data @ first.weight.data + first.bias.data) * 2.0 @ second.weight.data + second.bias.data
np.testing.assert_allclose(mlp(x).data, expected, rtol=1e-5, err_msg="eval mode: Linear, Scale, Dropout (identity), Linear")

grad_output = np.ones((10, 3), dtype=np.float32)
hidden = scale(first(x))
grad_hidden, grad_w2, grad_b2 = second.backward(hidden, grad_output)
grad_x, grad_w1, grad_b1 = first.backward(x, grad_hidden * scale.factor.data)
assert grad_x.shape == (10, 6) and grad_w1.shape == (6, 8) and grad_w2.shape == (8, 3), "gradient shapes through the MLP"
np.testing.assert_allclose(grad_b2, [10.0, 10.0, 10.0], rtol=1e-6, err_msg="dL/db2 for L = sum(y): one per row")
print("Integration passed: the MLP runs, counts its parameters and backpropagates by hand.")
### BEGIN HIDDEN TESTS
from autograder.gradcheck import check_parameter_coverage, check_vjp

rng = np.random.default_rng(3701)
n_in, n_hidden, n_out = (int(v) for v in rng.integers(2, 7, size=3))
mlp = Sequential(Linear(n_in, n_hidden), Scale(float(rng.uniform(0.5, 2.0))), Dropout(0.3), Linear(n_hidden, n_out))
check_parameter_coverage(mlp)
check_parameter_coverage(Sequential(mlp, Linear(n_out, 2)))
mlp.eval()
first, scale, second = mlp[0], mlp[1], mlp[3]
factor = float(scale.factor.data)


def set_parameters(w1, b1, w2, b2):
    first.weight, first.bias = Tensor(w1, requires_grad=True), Tensor(b1, requires_grad=True)
    second.weight, second.bias = Tensor(w2, requires_grad=True), Tensor(b2, requires_grad=True)


def mlp_forward(x, w1, b1, w2, b2):
    set_parameters(w1, b1, w2, b2)
    return mlp(Tensor(x)).data


def mlp_backward(grad_output, x, w1, b1, w2, b2):
    set_parameters(w1, b1, w2, b2)
    hidden = scale(first(Tensor(x)))
    grad_hidden, grad_w2, grad_b2 = second.backward(hidden, grad_output)
    grad_x, grad_w1, grad_b1 = first.backward(x, grad_hidden * factor)
    return grad_x, grad_w1, grad_b1, grad_w2, grad_b2


inputs = [rng.standard_normal((5, n_in)), rng.standard_normal((n_in, n_hidden)), rng.standard_normal(n_hidden),
          rng.standard_normal((n_hidden, n_out)), rng.standard_normal(n_out)]
check_vjp("MLP (x, W1, b1, W2, b2)", mlp_forward, mlp_backward, inputs, seed=37)
mlp.train()
assert all(layer.training for layer in (mlp, first, mlp[2], second)), "train() reaches every layer again"
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# You built the layer machinery of TinyTorch:
#
# - `Layer`, whose `parameters()` finds every trainable tensor through attributes, sub-layers
#   and (nested) lists, each once — so an optimizer will see every weight of a GPT — and whose
#   `train()`/`eval()` reach every sub-layer;
# - `Linear`, $y = xW + b$ written with Tensor operations, with Xavier and He initialization
#   and a hand-derived backward: $\partial L/\partial x = G W^\top$,
#   $\partial L/\partial W = x^\top G$, $\partial L/\partial b = \sum_n G_n$;
# - `Dropout`, inverted so that evaluation needs no rescaling;
# - `Sequential`, which chains anything callable that has `parameters()`.
#
# You measured why initialization matters — a factor of $n_\text{in}\operatorname{Var}(w)$ per
# layer, compounded over 20 layers, is the difference between $10^{-16}$, $10^{21}$ and a
# healthy 1 — and what a dense layer costs: $4(\text{in}\cdot\text{out}+\text{out})$ bytes and
# $2N\cdot\text{in}\cdot\text{out}$ FLOPs forward, about twice that backward.
#
# **Next:** module 04 adds the loss functions that turn a model's output into the single number
# training minimizes, and module 05 makes your `Linear` differentiable with no change, checking
# its gradients against your `backward`.
#
# **Export your work** into your own package: `python -m autograder export` with this notebook
# writes `tinytorch/core/layers.py`.
