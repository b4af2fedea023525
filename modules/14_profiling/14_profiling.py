# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Module 14 — Profiling
#
# You have built a CNN (module 09) and a GPT (module 13). Both train. Neither tells you where
# its time and memory go. This module builds the instrument that does: a **profiler**. From
# here on, every module that claims to make something faster or smaller (caching, quantization,
# pruning, acceleration) is judged with the numbers this one produces.
#
# **What you build.**
# - `count_parameters(model)`: how many trainable numbers a model has, in total and per layer;
# - `linear_flops`, `conv2d_flops`, `attention_flops`: the floating-point operations (FLOPs) of
#   one forward pass of each kind of layer, as exact formulas;
# - `parameter_bytes`, `gradient_bytes`, `optimizer_state_bytes`: the memory of a training step,
#   read from the arrays themselves;
# - `measure_latency(fn, warmup, repeats, clock)`: latency with warm-up, median and tail
#   percentiles;
# - `Profiler`, whose `trace` records every layer's input and output shapes and time during one
#   forward pass (and leaves the model exactly as it found it), and whose `profile` turns that
#   into a layer-by-layer table.
#
# **Why build it yourself.** "Measure before you optimize" is the first rule of performance
# work, and it only helps if you trust the measurement. Writing the profiler shows you what a
# FLOP count does and does not say, why a single timing is worthless, why the first call is
# slow, and why an optimizer such as Adam needs as much memory again as the model it trains.
#
# **What you need.** Module 03's `Layer`, `Linear` and `Sequential`; module 05's autograd
# (`no_grad`); module 06's optimizers (where their state lives); module 09's `Conv2d` and
# pooling layers; module 12's `MultiHeadAttention`; module 13's `LayerNorm` and `GPT`.
#
# **Where it lands.** `tinytorch/perf/profiling.py`, public name `Profiler`. Modules 15–19
# import it to measure what they change.
#
# **A word on timings.** The course machine is small and shared. Every time below is a median
# (or a best) of several runs and will differ from run to run; no test asserts a speed. Tests
# check counts, formulas and statistics exactly — with a fake clock where time is involved.
#
# **How this notebook works.** Fill in the places marked `# YOUR CODE HERE` (delete the
# `raise NotImplementedError()` line), run the cell, then the test cell below it. When your
# notebook is graded, hidden tests try random shapes, other models and other clocks.

# %%
#| default_exp perf.profiling
#| export
import time
import tracemalloc
from dataclasses import dataclass

import numpy as np

import tinytorch.core.autograd  # noqa: F401  (gradients on)
from tinytorch.core.activations import GELU, Activation, ReLU, Sigmoid, Softmax, Tanh
from tinytorch.core.attention import MultiHeadAttention
from tinytorch.core.autograd import no_grad
from tinytorch.core.layers import Dropout, Layer, Linear
from tinytorch.core.spatial import AvgPool2d, BatchNorm2d, Conv2d, MaxPool2d
from tinytorch.core.tensor import Tensor
from tinytorch.core.transformer import LayerNorm
from tinytorch.text.embeddings import LearnedPositionalEncoding, PositionalEncoding

# %%
import copy
import os

import matplotlib.pyplot as plt

from tinytorch.core.dataloader import load_digits
from tinytorch.core.layers import Sequential
from tinytorch.core.losses import CrossEntropyLoss, MSELoss
from tinytorch.core.optimizers import SGD, Adam
from tinytorch.core.spatial import Flatten
from tinytorch.core.transformer import GPT

blas_threads = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS") or "not set"
print(f"numpy {np.__version__}, {os.cpu_count()} cores, BLAS threads: {blas_threads}")

# %% [markdown]
# ## What a profiler answers
#
# Three questions, three units:
#
# | question | unit | how we get it |
# |---|---|---|
# | how much work? | FLOPs (floating-point operations) | formulas per layer type, from the shapes |
# | how much memory? | bytes | `nbytes` of the arrays that exist: parameters, gradients, optimizer state, activations |
# | how long? | seconds | a clock around the code, repeated, summarized by percentiles |
#
# The first two are **exact**: they follow from shapes and dtypes, so a test can check them to
# the last byte. The third is a **measurement**: it depends on the machine, on what else runs on
# it, on caches that are warm or cold. Comparing work with time gives the most useful number of
# all, the achieved FLOP rate, which says how far a layer is from what the hardware can do.
#
# ## Walking a model
#
# Every step needs the model's layers by name. A TinyTorch model keeps its sub-layers as
# attributes (`self.q_proj = Linear(...)`), sometimes in lists (`Sequential.layers`,
# `GPT.blocks`). The two helpers below are given: `named_layers(model)` lists every layer with
# its dotted attribute path (`"blocks.0.attention"`; the model itself is `""`), and
# `leaf_layers(model)` the ones the profiler times, one by one: layers with no sub-layers, plus
# `MultiHeadAttention`, which is measured as a whole because its cost is more than the sum of
# its four projections (the $T \times T$ score matrix lives between them).

# %%
#| export
# Layers timed and counted as one unit even though they contain other layers.
ATOMIC_LAYERS = (MultiHeadAttention,)


def named_children(layer):
    """(attribute path, sub-layer) for every Layer or activation held by `layer` directly,
    looking inside lists and tuples ("blocks.0")."""
    children = []

    def visit(value, name):
        if isinstance(value, (Layer, Activation)):
            children.append((name, value))
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                visit(item, f"{name}.{index}")

    for attribute, value in vars(layer).items():
        visit(value, attribute)
    return children


def named_layers(model, prefix=""):
    """(dotted name, layer) for the model (name "") and every layer inside it, parents first,
    each layer object once even if it is reachable twice."""
    found, seen = [], set()

    def visit(layer, name):
        if id(layer) in seen:
            return
        seen.add(id(layer))
        found.append((name, layer))
        for child_name, child in named_children(layer):
            visit(child, f"{name}.{child_name}" if name else child_name)

    visit(model, prefix)
    return found


def leaf_layers(model):
    """(name, layer) of the layers a profiler times: no sub-layers, or an ATOMIC_LAYERS type
    (whose insides are then not listed)."""
    leaves, seen = [], set()

    def visit(layer, name):
        if id(layer) in seen:
            return
        seen.add(id(layer))
        children = named_children(layer)
        if not children or isinstance(layer, ATOMIC_LAYERS):
            leaves.append((name, layer))
            return
        for child_name, child in children:
            visit(child, f"{name}.{child_name}" if name else child_name)

    visit(model, "")
    return leaves


def display_name(name, layer):
    """How a layer appears in tables: its path, or its type for the model itself."""
    return name or f"({type(layer).__name__})"


# %% [markdown]
# ## Step 1 — Counting parameters
#
# A parameter is a Tensor with `requires_grad=True`: a number the optimizer changes. The count
# decides three things at once: the memory of the weights ($4$ bytes each in float32), the
# memory of their gradients (the same again) and of the optimizer's state (once or twice
# again), and, roughly, the work of a forward pass, since a weight read is a weight used.
#
# For a `Linear(in, out)` the count is $\text{in}\cdot\text{out} + \text{out}$; for a
# `Conv2d` with $c_\text{in}$ input channels, $c_\text{out}$ kernels of size $k_h \times k_w$ it
# is $c_\text{out} c_\text{in} k_h k_w + c_\text{out}$, independent of the image size — which is why convolutions are cheap in parameters and
# expensive in FLOPs.
#
# Write `count_parameters(model)`. It returns the total and a dictionary
# `{layer name: count}` of the parameters each layer holds **itself** (its own attributes, not
# its sub-layers'), leaving out layers that hold none. Two traps:
#
# - **Buffers are not parameters.** `PositionalEncoding.encoding` is a Tensor with
#   `requires_grad=False`: a fixed table, never trained. Leave it out.
# - **Shared tensors count once.** A model may use the same Tensor in two layers (language
#   models often tie the output projection to the embedding table). Count a Tensor the first
#   time you meet it, by `id`, so that the per-layer counts add up to the total.

# %% nbgrader={"grade": false, "grade_id": "count-parameters-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
def count_parameters(model):
    """(total, per_layer) for a model (any Layer or activation).

    per_layer maps the name of each layer from named_layers(model) to the number of entries
    (`.data.size`) of the trainable Tensors (requires_grad=True) it holds directly in its
    attributes (vars(layer)); a Tensor already counted under an earlier layer is skipped (by
    id); layers with nothing left to count are left out. total is the sum of the per-layer
    counts.
    """
    ### BEGIN SOLUTION
    seen, per_layer = set(), {}
    for name, layer in named_layers(model):
        count = 0
        for value in vars(layer).values():
            if isinstance(value, Tensor) and value.requires_grad and id(value) not in seen:
                seen.add(id(value))
                count += value.data.size
        if count:
            per_layer[name] = count
    return sum(per_layer.values()), per_layer
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "count-parameters", "locked": true, "points": 2, "schema_version": 3, "solution": false}
np.random.seed(14)
mlp = Sequential(Linear(4, 8), ReLU(), Linear(8, 3, bias=False))
total, per_layer = count_parameters(mlp)
assert per_layer == {"layers.0": 4 * 8 + 8, "layers.2": 8 * 3}, f"per-layer counts: got {per_layer}"
assert total == 40 + 24, f"total should be 64, got {total}"

cnn = Sequential(Conv2d(3, 5, (3, 2)), ReLU(), MaxPool2d(2), Flatten(), Linear(20, 2))
total, per_layer = count_parameters(cnn)
assert per_layer["layers.0"] == 5 * 3 * 3 * 2 + 5, f"Conv2d(3, 5, (3, 2)): 95 parameters, got {per_layer['layers.0']}"
assert total == sum(p.data.size for p in cnn.parameters()), "the total must equal the sizes of model.parameters()"

with_buffer = Sequential(PositionalEncoding(10, 4), Linear(4, 4))
total, per_layer = count_parameters(with_buffer)
assert total == 20 and "layers.0" not in per_layer, \
    f"PositionalEncoding.encoding is a buffer (requires_grad=False), not a parameter: got {total}, {per_layer}"
print("Step 1 passed: parameters counted per layer; buffers left out.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1401)
np.random.seed(1401)
for _ in range(4):
    widths = [int(w) for w in rng.integers(1, 9, size=4)]
    model = Sequential(Linear(widths[0], widths[1]), Tanh(), Linear(widths[1], widths[2], bias=False),
                       Linear(widths[2], widths[3]))
    expected = {"layers.0": widths[0] * widths[1] + widths[1], "layers.2": widths[1] * widths[2],
                "layers.3": widths[2] * widths[3] + widths[3]}
    total, per_layer = count_parameters(model)
    assert per_layer == expected and total == sum(expected.values()), (per_layer, expected)
# a float64 layer counts entries, not bytes
wide = Linear(3, 2)
wide.weight.data = wide.weight.data.astype(np.float64)
assert count_parameters(wide) == (8, {"": 8})
# GPT: nested lists of blocks, attention inside blocks
gpt = GPT(vocab_size=13, embed_dim=8, num_layers=2, num_heads=2, max_seq_len=5)
total, per_layer = count_parameters(gpt)
assert total == gpt.num_parameters()
assert per_layer["blocks.1.attention.k_proj"] == 8 * 8 + 8 and per_layer["token_embedding"] == 13 * 8
assert per_layer["blocks.0.ln1"] == 16 and "blocks.0" not in per_layer
# a shared weight counts once, under the first layer that holds it
shared = Sequential(Linear(3, 3), Linear(3, 3))
shared.layers[1].weight = shared.layers[0].weight
total, per_layer = count_parameters(shared)
assert total == 9 + 3 + 3 and per_layer == {"layers.0": 12, "layers.1": 3}, (total, per_layer)
# a lone activation, and an untrainable model
assert count_parameters(ReLU()) == (0, {})
frozen = Linear(2, 2)
frozen.weight.requires_grad = False
assert count_parameters(frozen) == (2, {"": 2})
### END HIDDEN TESTS

# %% [markdown]
# ## Counting FLOPs
#
# A **FLOP** is one floating-point addition, multiplication, division, or one call of a function
# like `exp`. We count a **multiply-add as 2 FLOPs**, the usual convention (some vendors count
# it as one "MAC"; divide by two to compare). A count is a property of the *computation*, not
# the machine: the same layer on the same shapes always does the same FLOPs, so counts can be
# tested exactly, added up per layer type, and compared with measured time.
#
# ### Step 2 — Linear
#
# `Linear(in, out)` on an input of shape $(\dots, \text{in})$ treats every leading position as a
# row: with $N$ rows (the product of all leading sizes, e.g. $B\cdot T$ for a sequence batch),
# $y = xW + b$ costs
#
# $$\text{FLOPs} = \underbrace{2\,N\,\text{in}\,\text{out}}_{xW:\ N\cdot\text{out}\text{ dot products of length in}}
# + \underbrace{N\,\text{out}}_{+\,b}.$$
#
# (A dot product of length $k$ is $k$ multiplies and $k-1$ adds; the usual count rounds that
# to $2k$. We do the same.)

# %% nbgrader={"grade": false, "grade_id": "linear-flops-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
def linear_flops(input_shape, in_features, out_features, bias=True):
    """FLOPs of Linear(in_features, out_features) on an input of shape (..., in_features).

    rows N = the product of every size but the last (1 for a 1-D input);
    FLOPs = 2 * N * in_features * out_features, plus N * out_features with a bias.
    Raise ValueError when input_shape[-1] != in_features. Return a Python int.
    """
    if input_shape[-1] != in_features:
        raise ValueError(f"Linear({in_features}, {out_features}) cannot take input of shape {tuple(input_shape)}")
    ### BEGIN SOLUTION
    rows = int(np.prod(input_shape[:-1], dtype=np.int64))
    flops = 2 * rows * in_features * out_features
    if bias:
        flops += rows * out_features
    return int(flops)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "linear-flops", "locked": true, "points": 2, "schema_version": 3, "solution": false}
assert linear_flops((1, 3), 3, 2, bias=False) == 12, f"one row, 3 -> 2: 2*3*2 = 12 FLOPs, got {linear_flops((1, 3), 3, 2, bias=False)}"
assert linear_flops((1, 3), 3, 2) == 14, "the bias adds one FLOP per output: 12 + 2"
assert linear_flops((32, 784), 784, 128) == 2 * 32 * 784 * 128 + 32 * 128, "a batch of 32 rows"
assert linear_flops((8, 16, 64), 64, 256) == 2 * 8 * 16 * 64 * 256 + 8 * 16 * 256, \
    "(8, 16, 64): every one of the 8*16 positions is a row"
assert linear_flops((5,), 5, 4) == 2 * 5 * 4 + 4, "a 1-D input is one row"
assert isinstance(linear_flops((2, 3), 3, 3), int), "return a Python int"
print("Step 2 passed: Linear FLOPs.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1402)
for _ in range(20):
    lead = tuple(int(s) for s in rng.integers(1, 9, size=int(rng.integers(0, 4))))
    n_in, n_out = (int(s) for s in rng.integers(1, 300, size=2))
    bias = bool(rng.integers(0, 2))
    rows = int(np.prod(lead)) if lead else 1
    expected = 2 * rows * n_in * n_out + (rows * n_out if bias else 0)
    got = linear_flops(lead + (n_in,), n_in, n_out, bias=bias)
    assert got == expected, (lead, n_in, n_out, bias, got, expected)
# big shapes must not overflow
assert linear_flops((4096, 4096, 4096), 4096, 4096, bias=False) == 2 * 4096 ** 4
### END HIDDEN TESTS

# %% [markdown]
# ### Step 3 — Conv2d
#
# Every output value of a convolution is a dot product between one kernel and one window of
# the input: $c_\text{in} k_h k_w$ multiply-adds, plus the bias. There are
# $N\,c_\text{out}\,H_\text{out}\,W_\text{out}$ output values, so
#
# $$\text{FLOPs} = N\,c_\text{out}\,H_\text{out}\,W_\text{out}\,\bigl(2\,c_\text{in} k_h k_w + 1_{\text{bias}}\bigr).$$
#
# The count depends on the **output** size, which already contains stride and padding (module
# 09's `conv_output_size`). That is why `conv2d_flops` takes the output shape. Kernels need not
# be square: `kernel_size` is an int or a pair $(k_h, k_w)$.

# %% nbgrader={"grade": false, "grade_id": "conv2d-flops-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
def conv2d_flops(output_shape, in_channels, kernel_size, bias=True):
    """FLOPs of a Conv2d whose output has shape (N, C_out, H_out, W_out).

    kernel_size: an int k (a k x k kernel) or a pair (kH, kW). Each output value costs
    2 * in_channels * kH * kW FLOPs, plus 1 with a bias. Return a Python int.
    """
    if len(output_shape) != 4:
        raise ValueError(f"a Conv2d output has shape (N, C_out, H_out, W_out), got {tuple(output_shape)}")
    ### BEGIN SOLUTION
    kernel_h, kernel_w = (kernel_size, kernel_size) if np.isscalar(kernel_size) else kernel_size
    outputs = int(np.prod(output_shape, dtype=np.int64))
    per_output = 2 * in_channels * kernel_h * kernel_w + (1 if bias else 0)
    return int(outputs * per_output)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "conv2d-flops", "locked": true, "points": 2, "schema_version": 3, "solution": false}
assert conv2d_flops((1, 1, 1, 1), 1, 3, bias=False) == 18, "one 3x3 window of one channel: 9 multiply-adds = 18 FLOPs"
assert conv2d_flops((1, 1, 1, 1), 1, 3) == 19, "plus 1 for the bias"
assert conv2d_flops((2, 8, 6, 6), 3, 5) == 2 * 8 * 6 * 6 * (2 * 3 * 25 + 1), "batch 2, 8 kernels of 3x5x5"
assert conv2d_flops((1, 4, 5, 7), 2, (3, 1), bias=False) == 4 * 5 * 7 * 2 * 2 * 3 * 1, \
    "a (3, 1) kernel has 3 taps per channel, not 9"
conv = Conv2d(3, 6, (3, 2), stride=2, padding=1)
output = conv(Tensor(np.zeros((2, 3, 9, 8), dtype=np.float32)))
assert conv2d_flops(output.shape, 3, conv.kernel_size) == int(np.prod(output.shape)) * (2 * 3 * 3 * 2 + 1), \
    f"use the output shape {output.shape}, which includes stride and padding"
print("Step 3 passed: Conv2d FLOPs.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1403)
for _ in range(20):
    n, c_in, c_out, h, w = (int(s) for s in rng.integers(1, 12, size=5))
    kernel_h, kernel_w = (int(s) for s in rng.integers(1, 6, size=2))
    bias = bool(rng.integers(0, 2))
    kernel = kernel_h if kernel_h == kernel_w and rng.integers(0, 2) else (kernel_h, kernel_w)
    expected = n * c_out * h * w * (2 * c_in * kernel_h * kernel_w + (1 if bias else 0))
    assert conv2d_flops((n, c_out, h, w), c_in, kernel, bias=bias) == expected, (n, c_in, c_out, h, w, kernel, bias)
assert conv2d_flops((1, 2, 3, 4), 5, np.int64(3)) == 24 * (2 * 5 * 9 + 1), "a numpy int kernel size"
### END HIDDEN TESTS

# %% [markdown]
# ### Step 4 — Multi-head attention
#
# For $x$ of shape $(B, T, D)$ with $H$ heads of size $d_h = D/H$, module 12's attention does:
#
# | part | computation | FLOPs |
# |---|---|---|
# | projections | $Q, K, V$ and the output: four `Linear(D, D)` on $B\cdot T$ rows | $4\,(2BTD^2 + BTD)$ |
# | scores | $QK^\top$ per head: $(T, d_h) @ (d_h, T)$, $B\cdot H$ times | $2BHT^2 d_h = 2BT^2D$ |
# | softmax | per score: scale by $1/\sqrt{d_h}$, subtract the row max, exp, add to the row sum, divide | $5BHT^2$ |
# | weighted sum | $AV$ per head: $(T, T) @ (T, d_h)$ | $2BT^2D$ |
#
# (Finding the row maximum and adding the mask are left out: comparisons and one add, small
# beside the rest.) Two things to notice. The projections grow as $T D^2$, the scores as
# $T^2 D$: for short sequences the projections dominate, past $T \approx D$ the quadratic part
# takes over — the reason long contexts are expensive. And the number of heads does not change
# the matrix-product FLOPs at all (the heads split $D$, they do not add to it); it only changes
# how many softmax scores there are.
#
# Write `attention_flops` returning the four parts as a dictionary; reuse `linear_flops` for
# the projections.

# %% nbgrader={"grade": false, "grade_id": "attention-flops-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
def attention_flops(batch, seq_len, embed_dim, num_heads):
    """FLOPs of MultiHeadAttention(embed_dim, num_heads) on x of shape (batch, seq_len, embed_dim),
    as {"projections": ..., "scores": ..., "softmax": ..., "weighted_sum": ...} (Python ints):

    projections  = 4 Linear(embed_dim, embed_dim) with bias on (batch, seq_len, embed_dim)
    scores       = 2 * batch * num_heads * seq_len * seq_len * head_dim
    softmax      = 5 * batch * num_heads * seq_len * seq_len
    weighted_sum = 2 * batch * num_heads * seq_len * seq_len * head_dim
    with head_dim = embed_dim // num_heads (raise ValueError when it does not divide).
    """
    if embed_dim % num_heads:
        raise ValueError(f"embed_dim {embed_dim} is not divisible by num_heads {num_heads}")
    ### BEGIN SOLUTION
    head_dim = embed_dim // num_heads
    score_count = batch * num_heads * seq_len * seq_len
    return {
        "projections": 4 * linear_flops((batch, seq_len, embed_dim), embed_dim, embed_dim),
        "scores": 2 * score_count * head_dim,
        "softmax": 5 * score_count,
        "weighted_sum": 2 * score_count * head_dim,
    }
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "attention-flops", "locked": true, "points": 3, "schema_version": 3, "solution": false}
parts = attention_flops(batch=2, seq_len=4, embed_dim=8, num_heads=2)
assert set(parts) == {"projections", "scores", "softmax", "weighted_sum"}, f"four parts expected, got {sorted(parts)}"
assert parts["projections"] == 4 * (2 * 2 * 4 * 8 * 8 + 2 * 4 * 8), f"projections: got {parts['projections']}"
assert parts["scores"] == 2 * 2 * 4 * 4 * 8, f"QK^T over all heads is 2*B*T*T*D = 512, got {parts['scores']}"
assert parts["weighted_sum"] == parts["scores"], "AV costs the same as QK^T"
assert parts["softmax"] == 5 * 2 * 2 * 4 * 4, f"5 FLOPs per score, B*H*T*T scores: got {parts['softmax']}"
one_head, four_heads = attention_flops(3, 6, 16, 1), attention_flops(3, 6, 16, 4)
assert one_head["scores"] == four_heads["scores"], "heads split D: the score FLOPs do not depend on the head count"
assert four_heads["softmax"] == 4 * one_head["softmax"], "but every head has its own T x T scores"
print("Step 4 passed: attention FLOPs.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1404)
for _ in range(15):
    b, t, h = (int(s) for s in rng.integers(1, 9, size=3))
    d = h * int(rng.integers(1, 9))
    parts = attention_flops(b, t, d, h)
    assert parts == {"projections": 4 * (2 * b * t * d * d + b * t * d), "scores": 2 * b * t * t * d,
                     "softmax": 5 * b * h * t * t, "weighted_sum": 2 * b * t * t * d}, (b, t, d, h, parts)
    assert all(isinstance(value, int) for value in parts.values())
try:
    attention_flops(1, 2, 10, 3)
except ValueError:
    pass
else:
    raise AssertionError("embed_dim 10 with 3 heads must raise ValueError")
### END HIDDEN TESTS

# %% [markdown]
# The remaining layers are given, each with a stated convention: an elementwise layer costs a
# fixed number of FLOPs per output value (ReLU one comparison; sigmoid four: negate, exp, add,
# divide; GELU's tanh form thirteen; LayerNorm seven: two sums, subtract, square, scale by
# $1/\sigma$, $\gamma$, $\beta$); a pooling layer one operation per window entry; an embedding
# lookup none (it moves bytes, it computes nothing). `layer_flops` dispatches on the layer type
# and uses your three functions.

# %%
#| export
# FLOPs per output value of the elementwise layers (see the text for what each counts).
ELEMENTWISE_FLOPS = {
    ReLU: 1, Sigmoid: 4, Tanh: 5, GELU: 13, Softmax: 5, LayerNorm: 7, BatchNorm2d: 7,
    LearnedPositionalEncoding: 1, PositionalEncoding: 1,
}


def layer_flops(layer, input_shapes, output_shape):
    """FLOPs of one forward call of a leaf layer, from the shapes of its inputs and output.

    Types without a formula here (Embedding, Flatten, Dropout in eval mode, ...) count 0.
    """
    outputs = int(np.prod(output_shape, dtype=np.int64))
    if isinstance(layer, Linear):
        return linear_flops(input_shapes[0], layer.in_features, layer.out_features, layer.bias is not None)
    if isinstance(layer, Conv2d):
        return conv2d_flops(output_shape, layer.in_channels, layer.kernel_size, layer.bias is not None)
    if isinstance(layer, MultiHeadAttention):
        batch, seq_len, embed_dim = input_shapes[0]
        return sum(attention_flops(batch, seq_len, embed_dim, layer.num_heads).values())
    if isinstance(layer, (MaxPool2d, AvgPool2d)):
        return outputs * layer.kernel_size[0] * layer.kernel_size[1]
    if isinstance(layer, Dropout):
        return outputs if layer.training and layer.p > 0 else 0  # one multiply by the mask
    for layer_type, per_value in ELEMENTWISE_FLOPS.items():
        if isinstance(layer, layer_type):
            return per_value * outputs
    return 0


# %% [markdown]
# ### Systems view: where the FLOPs of a GPT are
#
# A GPT block has $12D^2$ parameters in its matrices (attention $4D^2$, MLP $8D^2$), and each
# is used once per token in a multiply-add: about $24 D^2$ FLOPs per token per block, plus the
# attention's $4TD$. Let the formulas show how the balance shifts with the context length.

# %%
embed_dim, num_heads = 64, 4
lengths = [8, 16, 32, 64, 128, 256, 512]
shares = {"projections": [], "scores + weighted sum": [], "softmax": [], "MLP (two Linear)": []}
for seq_len in lengths:
    parts = attention_flops(1, seq_len, embed_dim, num_heads)
    mlp = (linear_flops((1, seq_len, embed_dim), embed_dim, 4 * embed_dim)
           + linear_flops((1, seq_len, 4 * embed_dim), 4 * embed_dim, embed_dim))
    block = sum(parts.values()) + mlp
    shares["projections"].append(parts["projections"] / block)
    shares["scores + weighted sum"].append((parts["scores"] + parts["weighted_sum"]) / block)
    shares["softmax"].append(parts["softmax"] / block)
    shares["MLP (two Linear)"].append(mlp / block)
    print(f"T={seq_len:4d}: {block / seq_len / 1e3:8.1f} kFLOP per token per block "
          f"(quadratic part {shares['scores + weighted sum'][-1]:5.1%})")

fig, ax = plt.subplots(figsize=(6.5, 3.5))
ax.stackplot(lengths, *shares.values(), labels=list(shares))
ax.set_xscale("log", base=2)
ax.set(xlabel="sequence length T", ylabel="share of a block's FLOPs", ylim=(0, 1),
       title=f"One transformer block, D={embed_dim}, H={num_heads}")
ax.legend(loc="upper left", fontsize=8)
plt.show()

# %% [markdown]
# At short lengths a block is almost all matrix products with the weights (MLP and
# projections, linear in $T$); the FLOPs per token stay flat. At $T = 512 \gg D = 64$ the
# $T^2$ terms (scores and weighted sum, plus the softmax) take over and the cost per token grows
# with the context. For large models $D$ is in the thousands, so the crossover comes later —
# but it comes.
#
# ## Step 5 — Memory of a training step
#
# During training four kinds of arrays live at once:
#
# $$\text{memory} \approx \underbrace{P}_{\text{parameters}} + \underbrace{P}_{\text{gradients}}
# + \underbrace{kP}_{\text{optimizer state}} + \underbrace{A}_{\text{activations}},$$
#
# with $P$ the bytes of the parameters, $k = 0$ for plain SGD, $1$ for SGD with momentum (one
# buffer per parameter) and $2$ for Adam (first and second moments, `exp_avg` and
# `exp_avg_sq`), and $A$ the outputs that the graph keeps for the backward pass, which grows
# with the batch. So Adam training needs about four times the model's size *before* any
# activation — the reason large models train with mixed precision and sharded optimizer state.
#
# Do not compute these from formulas: **read them from the arrays**. A parameter's bytes are
# `p.data.nbytes` (float64 is twice float32; never assume 4 bytes). A gradient exists only
# after a backward pass: `p.grad` is `None` before, a numpy array after. The optimizer keeps its
# state in `optimizer.state` (module 06): `{parameter index: {buffer name: array or int}}`,
# created at the first `step()`; the `"step"` counter is an int, not an array.

# %% nbgrader={"grade": false, "grade_id": "memory-accounting-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
def parameter_bytes(model):
    """Bytes of the model's parameters: the sum of p.data.nbytes over model.parameters()."""
    ### BEGIN SOLUTION
    return int(sum(p.data.nbytes for p in model.parameters()))
    ### END SOLUTION


def gradient_bytes(model):
    """Bytes of the gradients that exist now: the sum of p.grad.nbytes over the parameters
    whose .grad is not None (0 before any backward pass)."""
    ### BEGIN SOLUTION
    return int(sum(p.grad.nbytes for p in model.parameters() if p.grad is not None))
    ### END SOLUTION


def optimizer_state_bytes(optimizer):
    """Bytes of the numpy arrays in optimizer.state (every parameter, every buffer); ints
    such as Adam's "step" counter are not arrays and count 0."""
    ### BEGIN SOLUTION
    return int(sum(
        value.nbytes
        for buffers in optimizer.state.values()
        for value in buffers.values()
        if isinstance(value, np.ndarray)
    ))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "memory-accounting", "locked": true, "points": 3, "schema_version": 3, "solution": false}
np.random.seed(5)
model = Sequential(Linear(6, 10), Tanh(), Linear(10, 4))
weights = (6 * 10 + 10 + 10 * 4 + 4) * 4
assert parameter_bytes(model) == weights, f"114 float32 parameters = {weights} bytes, got {parameter_bytes(model)}"
assert gradient_bytes(model) == 0, f"no backward yet, so no gradient memory; got {gradient_bytes(model)}"
x, targets = Tensor(np.random.default_rng(5).standard_normal((3, 6)).astype(np.float32)), np.array([0, 3, 1])
CrossEntropyLoss()(model(x), targets).backward()
assert gradient_bytes(model) == weights, f"after backward every parameter has a gradient of its size: got {gradient_bytes(model)}"

for optimizer, buffers in ((SGD(model.parameters(), lr=0.1), 0), (SGD(model.parameters(), lr=0.1, momentum=0.9), 1),
                           (Adam(model.parameters(), lr=0.1), 2)):
    assert optimizer_state_bytes(optimizer) == 0, "no state before the first step"
    optimizer.step()
    assert optimizer_state_bytes(optimizer) == buffers * weights, \
        f"{type(optimizer).__name__} with {buffers} buffer(s) per parameter: expected {buffers * weights}, got {optimizer_state_bytes(optimizer)}"
double = Linear(3, 2)
double.weight.data = double.weight.data.astype(np.float64)
assert parameter_bytes(double) == 6 * 8 + 2 * 4, "a float64 weight has 8-byte entries: read nbytes, do not assume 4"
print("Step 5 passed: parameters, gradients and optimizer state, read from the arrays.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1405)
np.random.seed(1405)
n_in, hidden, n_out = (int(s) for s in rng.integers(2, 9, size=3))
model = Sequential(Linear(n_in, hidden), ReLU(), Linear(hidden, n_out, bias=False))
for p in model.parameters():
    p.data = rng.standard_normal(p.data.shape)  # float64 now
size = sum(p.data.size for p in model.parameters())
assert parameter_bytes(model) == 8 * size
first = model.layers[0]
first.weight.grad = np.zeros(first.weight.shape)  # only one parameter has a gradient
assert gradient_bytes(model) == first.weight.data.nbytes
for p in model.parameters():
    p.grad = None
x = Tensor(rng.standard_normal((4, n_in)))
MSELoss()(model(x), Tensor(rng.standard_normal((4, n_out)))).backward()
assert gradient_bytes(model) == 8 * size == sum(p.grad.nbytes for p in model.parameters())
adam = Adam(model.parameters(), lr=0.01)
adam.step()
assert optimizer_state_bytes(adam) == 2 * 8 * size == adam.state_bytes()
model.layers[0].bias.grad = None  # a parameter without a gradient gets no Adam state
fresh = Adam(model.parameters(), lr=0.01)
fresh.step()
assert optimizer_state_bytes(fresh) == 2 * 8 * (size - hidden)
assert isinstance(parameter_bytes(model), int) and isinstance(optimizer_state_bytes(fresh), int)
### END HIDDEN TESTS

# %% [markdown]
# ## Step 6 — Latency: warm-up, repeats, percentiles
#
# A single timing of a function is nearly worthless:
#
# - **The first calls are slow.** They allocate memory that later calls reuse, fill caches,
#   start BLAS threads, and (in frameworks with compilers) compile. A **warm-up** runs the
#   function a few times without timing it.
# - **Every run differs.** Other programs, interrupts and frequency scaling add noise, and the
#   noise is one-sided: nothing makes a run faster than the machine can go, many things make it
#   slower. So the **median** describes the typical run better than the mean, which a single
#   slow outlier drags up, and the **minimum** estimates the undisturbed cost.
# - **Users feel the tail.** A service that answers in 10 ms on median but 200 ms for one
#   request in a hundred is a slow service. The **90th and 99th percentiles** (p90, p99) say how
#   slow the slow runs are.
#
# For sorted samples $s_0 \le \dots \le s_{n-1}$, numpy's default percentile $q$ interpolates
# linearly at position $(n-1)\,q/100$: with ten samples, p90 lies at position $8.1$, i.e.
# $s_8 + 0.1\,(s_9 - s_8)$. Use `np.percentile` (and `np.median`, which is its 50th percentile).
#
# `measure_latency` takes the clock as a parameter, `time.perf_counter` by default. That is
# what makes it testable: a test passes in a fake clock that moves by known amounts, and every
# statistic is then known exactly.

# %% nbgrader={"grade": false, "grade_id": "latency-statistics-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
def measure_latency(fn, warmup=3, repeats=20, clock=time.perf_counter):
    """Time fn(): `warmup` untimed calls, then `repeats` timed ones.

    Each timed call is measured as `start = clock(); fn(); seconds = clock() - start` (the
    clock is read exactly twice per timed call and never during the warm-up). Return a dict
    of Python floats
        {"median", "mean", "p90", "p99", "min", "max"}
    computed with numpy (np.median, np.mean, np.percentile with its default interpolation),
    plus "samples": the numpy array of the `repeats` durations in the order they were measured.
    """
    if warmup < 0 or repeats < 1:
        raise ValueError(f"need warmup >= 0 and repeats >= 1, got warmup={warmup}, repeats={repeats}")
    ### BEGIN SOLUTION
    for _ in range(warmup):
        fn()
    samples = np.empty(repeats)
    for index in range(repeats):
        start = clock()
        fn()
        samples[index] = clock() - start
    return {
        "median": float(np.median(samples)),
        "mean": float(np.mean(samples)),
        "p90": float(np.percentile(samples, 90)),
        "p99": float(np.percentile(samples, 99)),
        "min": float(np.min(samples)),
        "max": float(np.max(samples)),
        "samples": samples,
    }
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "latency-statistics", "locked": true, "points": 3, "schema_version": 3, "solution": false}
class FakeClock:
    """Stands in for time.perf_counter: time moves only when the code under test says so."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def fake_work(clock, durations):
    """A function that 'takes' the next duration of the list each time it is called."""
    remaining = iter(durations)

    def work():
        clock.now += next(remaining)
    return work


clock = FakeClock()
durations = [100.0, 50.0] + [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0]
stats = measure_latency(fake_work(clock, durations), warmup=2, repeats=10, clock=clock)
np.testing.assert_array_equal(stats["samples"], durations[2:],
                              err_msg="samples: the 10 timed durations in order; the 2 warm-up calls (100, 50) are not timed")
assert stats["min"] == 1.0 and stats["max"] == 9.0, f"min 1 and max 9 expected, got {stats['min']}, {stats['max']}"
assert stats["median"] == 3.5, f"the median of the ten samples is 3.5, got {stats['median']}"
assert stats["mean"] == 3.9, f"mean 3.9 expected, got {stats['mean']}"
assert abs(stats["p90"] - 6.3) < 1e-12, f"p90 lies at position 8.1 of the sorted samples: 6 + 0.1 * (9 - 6) = 6.3, got {stats['p90']}"
assert abs(stats["p99"] - 8.73) < 1e-12, f"p99: 6 + 0.91 * (9 - 6) = 8.73, got {stats['p99']}"
calls = []
measure_latency(lambda: calls.append(1), warmup=3, repeats=5)
assert len(calls) == 8, f"3 warm-up calls and 5 timed calls, fn was called {len(calls)} times"
print("Step 6 passed: warm-up excluded, median and percentiles exact.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1406)
for _ in range(10):
    warmup, repeats = int(rng.integers(0, 5)), int(rng.integers(1, 40))
    durations = list(rng.exponential(1e-3, size=warmup + repeats))
    clock = FakeClock()
    stats = measure_latency(fake_work(clock, durations), warmup=warmup, repeats=repeats, clock=clock)
    timed = np.array(durations[warmup:])
    assert stats["samples"].shape == (repeats,)
    np.testing.assert_allclose(stats["samples"], timed, rtol=1e-9, atol=1e-15)
    for key, value in (("median", np.median(timed)), ("mean", timed.mean()), ("p90", np.percentile(timed, 90)),
                       ("p99", np.percentile(timed, 99)), ("min", timed.min()), ("max", timed.max())):
        assert isinstance(stats[key], float), key
        np.testing.assert_allclose(stats[key], value, rtol=1e-9, atol=1e-15, err_msg=key)
# the clock is read exactly twice per timed call
reads = []
def counting_clock():
    reads.append(1)
    return float(len(reads))
stats = measure_latency(lambda: None, warmup=4, repeats=7, clock=counting_clock)
assert len(reads) == 14 and np.all(stats["samples"] == 1.0)
for bad in ({"warmup": -1}, {"repeats": 0}):
    try:
        measure_latency(lambda: None, **bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"{bad} must raise ValueError")
### END HIDDEN TESTS

# %% [markdown]
# ### Systems view: why warm up, and what the tail looks like
#
# Below, the real clock on a real layer: one `Linear(512, 512)` on a batch of 256 rows. The
# first calls are timed on their own, then 200 calls after a warm-up.

# %%
np.random.seed(6)
layer = Linear(512, 512)
batch = Tensor(np.random.default_rng(6).standard_normal((256, 512)).astype(np.float32))
with no_grad():
    cold = measure_latency(lambda: layer(batch), warmup=0, repeats=3)
    warm = measure_latency(lambda: layer(batch), warmup=5, repeats=200)
print("first three calls (ms):", np.round(cold["samples"] * 1e3, 3))
print(f"after warm-up, 200 calls: min {warm['min'] * 1e3:.3f}  median {warm['median'] * 1e3:.3f}  "
      f"mean {warm['mean'] * 1e3:.3f}  p90 {warm['p90'] * 1e3:.3f}  p99 {warm['p99'] * 1e3:.3f}  "
      f"max {warm['max'] * 1e3:.3f} ms")

fig, ax = plt.subplots(figsize=(6.5, 3.2))
ax.hist(warm["samples"] * 1e3, bins=40, color="tab:gray")
for key, color in (("median", "tab:blue"), ("mean", "tab:orange"), ("p90", "tab:green"), ("p99", "tab:red")):
    ax.axvline(warm[key] * 1e3, color=color, label=f"{key} {warm[key] * 1e3:.2f} ms")
ax.set(xlabel="milliseconds per call", ylabel="calls", title="Linear(512, 512) on 256 rows: 200 timed calls")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# The histogram is not a bell: a tight peak near the minimum and a long tail to the right
# (runs that were interrupted or shared the core). The mean sits to the right of the median,
# pulled by the tail; p99 may be several times the median on a busy machine. Report the
# median for "how fast is it", the minimum for "how fast can it be", and p90/p99 for "how bad
# does it get" — never one run, and never a mean alone.
#
# ## Step 7 — The layer-by-layer profile
#
# Now the profiler itself. `Profiler.trace(model, *inputs)` runs **one forward pass** and
# records, for every call of every leaf layer, a `LayerCall`: the layer's name and type, the
# shapes of its inputs and output, the bytes of its output, and the time it took. How? By
# **wrapping** each leaf layer's `forward` for the duration of the pass:
#
# ```python
# original = layer.forward                  # the bound method
# def timed_forward(*args, **kwargs):
#     start = clock(); output = original(*args, **kwargs); seconds = clock() - start
#     records.append(LayerCall(...)); return output
# layer.forward = timed_forward             # an instance attribute hides the class method
# ...
# del layer.forward                         # the class method shows through again
# ```
#
# Calling a layer calls `self.forward(...)`, which finds the instance attribute first. Three
# rules make this safe — a profiler that changes what it measures is worse than none:
#
# 1. **Always restore**, in a `finally:` block, so that a model that raises in the middle of the
#    forward pass still gets its own `forward` back. Afterwards, `vars(layer)` must be exactly
#    what it was (no `"forward"` left behind).
# 2. **Record no graph.** Profiling measures the forward pass only: run it under `no_grad()`,
#    so no graph is built (faster, and no graph left holding memory). The output has no
#    `grad_fn`.
# 3. **Change nothing else.** No parameter, gradient or mode is touched; training after
#    profiling goes exactly as without it (the integration test checks gradients against an
#    unprofiled copy).
#
# `profile(model, *inputs)` then adds one row per leaf layer that ran, in the order of
# `leaf_layers(model)`: name, type, calls, parameters, FLOPs (with `layer_flops`), output bytes,
# and seconds (summed over the layer's calls). It first runs `warmup` untraced forward passes
# (under `no_grad()` too), so that one-off costs do not land on the first layer.
#
# The rest of the class — `flops`, `memory`, `latency`, `peak_memory` and the table printer —
# is given, built on what you wrote.

# %% nbgrader={"grade": false, "grade_id": "layer-profile-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
@dataclass
class LayerCall:
    """One forward call of one leaf layer, as recorded by Profiler.trace."""

    name: str                 # dotted path from leaf_layers, "" for the model itself
    layer: object             # the layer object
    input_shapes: list        # shape of each positional input (None for a non-array input, e.g. no mask)
    output_shape: tuple
    output_bytes: int         # nbytes of the output array
    seconds: float

    @property
    def layer_type(self):
        return type(self.layer).__name__


def shape_of(value):
    """The shape of a Tensor or numpy array; None for anything else."""
    return value.shape if isinstance(value, (Tensor, np.ndarray)) else None


class Profiler:
    """Parameters, FLOPs, memory and latency of TinyTorch models, measured on the models themselves.

    clock: a function returning seconds (time.perf_counter by default; tests pass a fake one).
    """

    def __init__(self, clock=time.perf_counter):
        self.clock = clock

    def trace(self, model, *inputs, **kwargs):
        """Run model(*inputs, **kwargs) once under no_grad(); return (output, records).

        records: a list of LayerCall, one per call of a leaf layer (leaf_layers(model)), in
        the order the calls finished. For each leaf, replace its forward by a wrapper that
        reads self.clock() before and after calling the original forward and appends
        LayerCall(name, layer, [shape_of(x) for x in args], output.shape,
        output.data.nbytes, seconds). In a `finally:` block, restore every wrapped layer: delete
        the instance attribute `forward` (or put back the one it had before, if it had one).

        Hint: make each wrapper in a small helper function taking (name, layer, original
        forward); a function defined directly in the loop body would see only the loop's last
        layer when it runs (Python closures look variables up when called).
        """
        records = []
        ### BEGIN SOLUTION
        def timed(name, layer, forward):
            def timed_forward(*args, **options):
                start = self.clock()
                output = forward(*args, **options)
                seconds = self.clock() - start
                records.append(LayerCall(name, layer, [shape_of(x) for x in args], output.shape,
                                         int(output.data.nbytes), seconds))
                return output
            return timed_forward

        wrapped = []  # (layer, the instance attribute it had before, or None)
        try:
            for name, layer in leaf_layers(model):
                wrapped.append((layer, vars(layer).get("forward")))
                layer.forward = timed(name, layer, layer.forward)
            with no_grad():
                output = model(*inputs, **kwargs)
        finally:
            for layer, previous in wrapped:
                if previous is None:
                    del layer.forward
                else:
                    layer.forward = previous
        return output, records
        ### END SOLUTION

    def profile(self, model, *inputs, warmup=1, **kwargs):
        """One row per leaf layer that ran, in leaf_layers(model) order, as a dict:
        {"name", "type", "calls", "params", "flops", "output_bytes", "seconds"}.

        Run `warmup` untraced forward passes under no_grad() first, then one trace. params is
        count_parameters(layer)[0]; flops, output_bytes and seconds are summed over the
        layer's calls (flops of one call: layer_flops(layer, input_shapes, output_shape)).
        """
        ### BEGIN SOLUTION
        with no_grad():
            for _ in range(warmup):
                model(*inputs, **kwargs)
        _, records = self.trace(model, *inputs, **kwargs)
        rows = []
        for name, layer in leaf_layers(model):
            calls = [record for record in records if record.layer is layer]
            if not calls:
                continue
            rows.append({
                "name": name,
                "type": type(layer).__name__,
                "calls": len(calls),
                "params": count_parameters(layer)[0],
                "flops": sum(layer_flops(layer, call.input_shapes, call.output_shape) for call in calls),
                "output_bytes": sum(call.output_bytes for call in calls),
                "seconds": sum(call.seconds for call in calls),
            })
        return rows
        ### END SOLUTION

    # ---- given: built on the steps above ---------------------------------------------------

    def count_parameters(self, model):
        """(total, {layer name: count}): see count_parameters."""
        return count_parameters(model)

    def flops(self, model, *inputs, **kwargs):
        """{layer type: FLOPs of one forward pass of the model on these inputs}."""
        _, records = self.trace(model, *inputs, **kwargs)
        totals = {}
        for record in records:
            flops = layer_flops(record.layer, record.input_shapes, record.output_shape)
            totals[record.layer_type] = totals.get(record.layer_type, 0) + flops
        return totals

    def memory(self, model, *inputs, optimizer=None, **kwargs):
        """Bytes of parameters, gradients (as they are now), optimizer state (if given) and,
        when inputs are given, activations: the leaf layers' outputs of one forward pass,
        which is what the graph keeps for backward (a lower bound: layers also keep inner
        intermediates)."""
        report = {"parameters": parameter_bytes(model), "gradients": gradient_bytes(model),
                  "optimizer_state": optimizer_state_bytes(optimizer) if optimizer is not None else 0}
        if inputs:
            _, records = self.trace(model, *inputs, **kwargs)
            report["activations"] = sum(record.output_bytes for record in records)
        return report

    def latency(self, fn, warmup=3, repeats=20):
        """measure_latency with this profiler's clock."""
        return measure_latency(fn, warmup=warmup, repeats=repeats, clock=self.clock)

    @staticmethod
    def peak_memory(fn):
        """Peak bytes that numpy and Python allocated while fn() ran (tracemalloc), and fn's result."""
        was_tracing = tracemalloc.is_tracing()
        if not was_tracing:
            tracemalloc.start()
        tracemalloc.reset_peak()
        start, _ = tracemalloc.get_traced_memory()
        try:
            result = fn()
            peak = tracemalloc.get_traced_memory()[1] - start
        finally:
            if not was_tracing:
                tracemalloc.stop()
        return peak, result

    @staticmethod
    def format_profile(rows):
        """The rows as a text table, with a total line and each layer's share of the time."""
        total_time = sum(row["seconds"] for row in rows) or 1.0
        lines = [f"{'layer':32s} {'type':26s} {'params':>9s} {'MFLOPs':>9s} {'out KB':>9s} {'ms':>8s} {'time':>6s}"]
        for row in rows:
            name = row["name"] or f"({row['type']})"
            lines.append(f"{name:32s} {row['type']:26s} {row['params']:9,d} {row['flops'] / 1e6:9.3f} "
                         f"{row['output_bytes'] / 1024:9.1f} {row['seconds'] * 1e3:8.3f} "
                         f"{row['seconds'] / total_time:6.1%}")
        lines.append(f"{'total':59s} {sum(r['params'] for r in rows):9,d} "
                     f"{sum(r['flops'] for r in rows) / 1e6:9.3f} {sum(r['output_bytes'] for r in rows) / 1024:9.1f} "
                     f"{sum(r['seconds'] for r in rows) * 1e3:8.3f}")
        return "\n".join(lines)


# %% nbgrader={"grade": true, "grade_id": "layer-profile", "locked": true, "points": 4, "schema_version": 3, "solution": false}
class TickClock:
    """A fake clock that advances by one second every time it is read."""

    def __init__(self):
        self.reads = 0

    def __call__(self):
        self.reads += 1
        return float(self.reads)


np.random.seed(7)
model = Sequential(Linear(5, 6), ReLU(), Linear(6, 2))
x = Tensor(np.random.default_rng(7).standard_normal((4, 5)).astype(np.float32))
attributes_before = [sorted(vars(layer)) for layer in model.layers]
expected_output = model(x).data

profiler = Profiler(clock=TickClock())
output, records = profiler.trace(model, x)
np.testing.assert_array_equal(output.data, expected_output, err_msg="trace must return the model's own output")
assert output.grad_fn is None, "trace runs under no_grad(): the output must not record a graph"
assert [r.name for r in records] == ["layers.0", "layers.1", "layers.2"], f"one record per leaf call, got {[r.name for r in records]}"
assert [r.output_shape for r in records] == [(4, 6), (4, 6), (4, 2)], f"output shapes: {[r.output_shape for r in records]}"
assert [r.input_shapes for r in records] == [[(4, 5)], [(4, 6)], [(4, 6)]], f"input shapes: {[r.input_shapes for r in records]}"
assert [r.output_bytes for r in records] == [96, 96, 32], "output bytes: 4*6*4, 4*6*4, 4*2*4"
assert all(r.seconds == 1.0 for r in records), "each layer read the clock before and after: one tick"
assert [sorted(vars(layer)) for layer in model.layers] == attributes_before, "trace must leave no wrapped forward behind"

rows = Profiler(clock=TickClock()).profile(model, x)
assert [(r["name"], r["type"], r["calls"], r["params"]) for r in rows] == \
    [("layers.0", "Linear", 1, 36), ("layers.1", "ReLU", 1, 0), ("layers.2", "Linear", 1, 14)], f"rows: {rows}"
assert [r["flops"] for r in rows] == [2 * 4 * 5 * 6 + 24, 24, 2 * 4 * 6 * 2 + 8], f"FLOPs per row: {[r['flops'] for r in rows]}"
assert [r["seconds"] for r in rows] == [1.0, 1.0, 1.0] and [r["output_bytes"] for r in rows] == [96, 96, 32]


class Exploding(Layer):
    def forward(self, x):
        raise RuntimeError("boom")


broken = Sequential(Linear(5, 5), Exploding())
try:
    Profiler().trace(broken, x)
except RuntimeError:
    pass
else:
    raise AssertionError("the model's own error must reach the caller")
assert "forward" not in vars(broken.layers[0]) and "forward" not in vars(broken.layers[1]), \
    "after an error inside the forward pass every layer must get its forward back (restore in finally:)"
print("Step 7 passed: the trace records every layer and leaves the model as it was.")
### BEGIN HIDDEN TESTS
from tinytorch.core.autograd import GradMode

rng = np.random.default_rng(1407)
np.random.seed(1407)
# a GPT: blocks in a list, attention timed as one unit, a mask passed positionally
gpt = GPT(vocab_size=11, embed_dim=8, num_layers=2, num_heads=2, max_seq_len=6)
ids = rng.integers(0, 11, size=(3, 5))
before = {name: sorted(vars(layer)) for name, layer in named_layers(gpt)}
reference = gpt(ids).data
clock = TickClock()
output, records = Profiler(clock=clock).trace(gpt, ids)
np.testing.assert_array_equal(output.data, reference)
assert output.grad_fn is None and GradMode.enabled, "no graph inside, and gradients on again afterwards"
assert {name: sorted(vars(layer)) for name, layer in named_layers(gpt)} == before
assert clock.reads == 2 * len(records) == 2 * len(leaf_layers(gpt))
attention = [r for r in records if r.layer_type == "MultiHeadAttention"]
assert [r.name for r in attention] == ["blocks.0.attention", "blocks.1.attention"]
assert attention[0].input_shapes == [(3, 5, 8), (5, 5)], attention[0].input_shapes
assert not any(".q_proj" in r.name for r in records), "attention's projections are inside the timed unit"
rows = Profiler(clock=TickClock()).profile(gpt, ids, warmup=2)
assert [r["name"] for r in rows] == [name for name, _ in leaf_layers(gpt)]
assert sum(r["params"] for r in rows) == gpt.num_parameters()
by_name = {r["name"]: r for r in rows}
assert by_name["blocks.1.attention"]["flops"] == sum(attention_flops(3, 5, 8, 2).values())
assert by_name["lm_head"]["flops"] == linear_flops((3, 5, 8), 8, 11)
assert by_name["blocks.0.mlp.activation"]["flops"] == 13 * 3 * 5 * 32
assert all(r["seconds"] == 1.0 and r["calls"] == 1 for r in rows)
# a layer used twice: one row, two calls, sums
shared = Linear(4, 4)
twice = Sequential(shared, Tanh(), shared)
x = Tensor(rng.standard_normal((2, 4)).astype(np.float32))
rows = Profiler(clock=TickClock()).profile(twice, x)
assert [(r["name"], r["calls"]) for r in rows] == [("layers.0", 2), ("layers.1", 1)]
assert rows[0]["flops"] == 2 * linear_flops((2, 4), 4, 4) and rows[0]["seconds"] == 2.0 and rows[0]["output_bytes"] == 64
# parameters that require grad: still no graph, no gradient, no change
model = Sequential(Linear(4, 3), Sigmoid())
x = Tensor(rng.standard_normal((2, 4)), requires_grad=True)
weights_before = [p.data.copy() for p in model.parameters()]
output, _ = Profiler().trace(model, x)
assert output.grad_fn is None and not output.requires_grad
assert all(p.grad is None for p in model.parameters()) and x.grad is None
assert all(np.array_equal(p.data, w) for p, w in zip(model.parameters(), weights_before))
# a layer that had its own instance forward keeps it
custom = Linear(4, 4)
custom.forward = lambda value: value
own = custom.forward
Profiler().trace(Sequential(custom), x)
assert vars(custom)["forward"] is own
# error in the middle of a GPT
gpt.blocks[1].mlp.fc2 = Exploding()
try:
    Profiler().profile(gpt, ids, warmup=0)
except RuntimeError:
    pass
assert all("forward" not in vars(layer) for _, layer in named_layers(gpt))
assert GradMode.enabled
### END HIDDEN TESTS

# %% [markdown]
# ## Where the time and memory go: the CNN of module 09
#
# A convolutional digit classifier in the style of module 09 (two conv–ReLU–pool stages and a
# linear classifier) on a batch of 256 of the shipped 8×8 digits. First the profile, then the
# achieved FLOP rate of each layer against the best rate this machine reaches on a large
# matrix product (measured here, in this notebook: the *matmul peak*).

# %%
def matmul_peak(n=512, repeats=7):
    """Best GFLOP/s of an n x n float32 matrix product (best of `repeats`)."""
    a = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
    stats = measure_latency(lambda: a @ a, warmup=2, repeats=repeats)
    return 2 * n**3 / stats["min"] / 1e9


def median_profile(profiler, model, *inputs, runs=5):
    """profile() `runs` times; each row's seconds replaced by its median over the runs (shared machine)."""
    runs_rows = [profiler.profile(model, *inputs) for _ in range(runs)]
    rows = runs_rows[0]
    for index, row in enumerate(rows):
        row["seconds"] = float(np.median([run[index]["seconds"] for run in runs_rows]))
    return rows


def by_type(rows, key):
    """{layer type: sum of `key` over its rows}."""
    totals = {}
    for row in rows:
        totals[row["type"]] = totals.get(row["type"], 0) + row[key]
    return totals


peak_gflops = matmul_peak()
print(f"matmul peak on this machine (512x512 float32, best of 7): {peak_gflops:.1f} GFLOP/s")

digits, labels = load_digits()
images = Tensor(digits[:256].reshape(-1, 1, 8, 8).astype(np.float32))
np.random.seed(9)
cnn = Sequential(Conv2d(1, 16, 3, padding=1), ReLU(), MaxPool2d(2),
                 Conv2d(16, 32, 3, padding=1), ReLU(), MaxPool2d(2),
                 Flatten(), Linear(32 * 2 * 2, 10))
profiler = Profiler()
cnn_rows = median_profile(profiler, cnn, images)
print(Profiler.format_profile(cnn_rows))
with no_grad():
    forward = profiler.latency(lambda: cnn(images), warmup=2, repeats=15)
print(f"\nwhole forward pass (no_grad), median of 15: {forward['median'] * 1e3:.2f} ms; "
      f"the leaf layers account for {sum(r['seconds'] for r in cnn_rows) / forward['median']:.0%} of it")
for row in cnn_rows:
    if row["flops"]:
        rate = row["flops"] / row["seconds"] / 1e9
        print(f"{row['name']:10s} {row['type']:10s} {rate:7.2f} GFLOP/s = {rate / peak_gflops:6.1%} of the matmul peak")

# %% [markdown]
# Read the table before the rates. The convolutions hold nearly all of the FLOPs, yet on the
# course machine the two `MaxPool2d` layers, with well under one percent of the FLOPs, take the
# largest share of the time — the kind of surprise a profiler exists to find. Module 09's
# `MaxPool2d.forward` explains it: it copies the strided window view into a new array (the
# `reshape` of a non-contiguous view), runs `argmax` over every window, and builds a one-hot
# mask of each window's winner for the backward pass — even under `no_grad()`, when no
# backward will come. Each of those is a pass over memory with almost no arithmetic.
#
# Then the rates: no layer comes near the matmul peak. The convolutions' matrix products are
# thin (16 kernels times 9 or 144 window values), and part of their time is building the im2col
# matrix, a copy; the ReLUs do one FLOP per value they read and write. A profile does not tell
# you *how* to make a layer faster, but it tells you which layer to look at first.
#
# (The leaf layers' times may add up to slightly more than the whole pass: every wrapper reads
# the clock and appends a record, and the two medians come from different runs.)
#
# The figure puts the two shares side by side for the CNN and for the GPT below.

# %% [markdown]
# ## Where the time and memory go: the GPT of module 13
#
# A small GPT in module 13's configuration family — vocabulary 64, $D = 64$, 2 blocks of 4
# heads, context 64 — on a batch of 8 sequences of 64 tokens.

# %%
np.random.seed(13)
gpt = GPT(vocab_size=64, embed_dim=64, num_layers=2, num_heads=4, max_seq_len=64)
token_ids = np.random.default_rng(13).integers(0, 64, size=(8, 64))
gpt_rows = median_profile(profiler, gpt, token_ids)
print(Profiler.format_profile(gpt_rows))
total_params, _ = profiler.count_parameters(gpt)
print(f"\nparameters: {total_params:,d} (module 13's own count: {gpt.num_parameters():,d})")
flops_by_type = profiler.flops(gpt, token_ids)
print("FLOPs by layer type:", {name: f"{value / 1e6:.2f} M" for name, value in flops_by_type.items()})
print(f"forward FLOPs per token: {sum(flops_by_type.values()) / token_ids.size / 1e3:.1f} k "
      f"(the rule of thumb 2 x parameters gives {2 * total_params / 1e3:.1f} k)")

fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
for ax, (title, rows) in zip(axes, (("CNN (module 09), batch 256", cnn_rows), ("GPT (module 13), 8 x 64 tokens", gpt_rows))):
    time_share, flop_share = by_type(rows, "seconds"), by_type(rows, "flops")
    types = sorted(time_share, key=time_share.get, reverse=True)
    total_time, total_flops = sum(time_share.values()), sum(flop_share.values())
    positions = np.arange(len(types))
    ax.barh(positions - 0.2, [time_share[t] / total_time for t in types], height=0.4, label="share of time")
    ax.barh(positions + 0.2, [flop_share[t] / total_flops for t in types], height=0.4, label="share of FLOPs")
    ax.set_yticks(positions, types)
    ax.invert_yaxis()
    ax.set(xlabel="share of the forward pass", title=title)
    ax.legend(fontsize=8)
fig.suptitle("Where the time goes (median of 5 profiles) against where the FLOPs are")
fig.tight_layout()
plt.show()

# %% [markdown]
# In the GPT the `Linear` layers (MLP, language-model head) and the attention hold nearly all
# the FLOPs. The time leans differently: the `Linear` layers, one large matrix product each,
# take a smaller share of the time than of the FLOPs; attention, a dozen operations (projections,
# head reshapes, two batched products, a softmax over $B \cdot H$ score matrices), takes a larger
# one; and `LayerNorm` and `GELU` take a visible share of the time for a sliver of the FLOPs,
# because each is a chain of elementwise numpy operations that reads and writes the whole
# activation several times. (On a shared machine one layer sometimes catches a slow run even in
# a median of five: compare the two blocks' rows, which do identical work.) The rule of thumb "a
# forward pass costs 2 FLOPs per parameter per token" comes out close, off by the attention's
# $T^2$ work and by the embedding table, whose parameters are looked up, not multiplied.
#
# ### Arithmetic intensity: why elementwise layers are slow
#
# A layer's **arithmetic intensity** is its FLOPs per byte of memory it must move (inputs,
# parameters, output). A matrix product of $n \times n$ matrices does $2n^3$ FLOPs on $12n^2$
# bytes: intensity $n/6$, growing with size. An elementwise layer does a few FLOPs per value
# and moves 8 bytes per value: intensity below one. When the intensity is low, the processor
# waits for memory and the FLOP rate falls — the "roofline" view of performance.

# %%
def intensity_points(rows, model, inputs):
    """(FLOPs per byte moved, achieved GFLOP/s, type) per row with FLOPs; bytes moved = the
    first input (float32, 4 bytes a value) + the parameters + the output."""
    leaves = dict(leaf_layers(model))
    _, records = profiler.trace(model, inputs)
    input_bytes = {}
    for record in records:
        input_bytes[record.name] = input_bytes.get(record.name, 0) + 4 * int(np.prod(record.input_shapes[0]))
    points = []
    for row in rows:
        if not row["flops"]:
            continue
        moved = input_bytes[row["name"]] + parameter_bytes(leaves[row["name"]]) + row["output_bytes"]
        points.append((row["flops"] / moved, row["flops"] / row["seconds"] / 1e9, row["type"]))
    return points


fig, ax = plt.subplots(figsize=(8, 4))
markers = {}
for model, inputs, rows, marker in ((cnn, images, cnn_rows, "o"), (gpt, token_ids, gpt_rows, "s")):
    for intensity, rate, kind in intensity_points(rows, model, inputs):
        color = markers.setdefault(kind, f"C{len(markers)}")
        ax.scatter(intensity, rate, color=color, marker=marker)
for kind, color in markers.items():
    ax.scatter([], [], color=color, label=kind)
ax.axhline(peak_gflops, color="k", linestyle="--", label=f"matmul peak {peak_gflops:.0f} GFLOP/s")
ax.set(xscale="log", yscale="log", xlabel="arithmetic intensity (FLOPs per byte moved)",
       ylabel="achieved GFLOP/s", title="Each layer of the CNN (circles) and the GPT (squares)")
ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
plt.show()

# %% [markdown]
# The trend runs from lower left to upper right: the more work a layer does per byte, the
# closer it can get to the matmul peak. Activations, normalizations and pools sit at the bottom
# left, memory-bound; the GPT's large linear layers sit highest. The points below the trend are
# as instructive: attention and the convolutions have a high intensity *by our count* but a
# modest rate, because their insides move bytes our count does not see — attention's $T \times T$
# score and weight matrices, its reshapes and softmax; the convolution's im2col copy. A byte
# count from the layer's boundary is a lower bound on its traffic. This is the picture
# behind the next modules: **fusing** elementwise layers (module 18) raises their intensity,
# **quantizing** weights (module 16) cuts the bytes moved, and a **KV cache** (module 15)
# avoids recomputing work at all.
#
# ### Memory of a training step
#
# Now the memory: parameters, gradients and optimizer state read from the arrays after one
# real training step, activations from the trace, and for comparison the peak that
# `tracemalloc` sees while one forward and backward pass runs.

# %%
def training_memory(model, inputs, loss_fn, optimizer):
    """Memory report after one training step, plus the tracemalloc peak of forward + backward."""
    optimizer.zero_grad()
    loss_fn(model(inputs)).backward()
    optimizer.step()
    report = profiler.memory(model, inputs, optimizer=optimizer)
    optimizer.zero_grad()
    report["peak (tracemalloc)"], _ = Profiler.peak_memory(lambda: loss_fn(model(inputs)).backward())
    return report


digit_targets = labels[:256]
cnn_memory = training_memory(cnn, images, lambda out: CrossEntropyLoss()(out, digit_targets),
                             SGD(cnn.parameters(), lr=0.05, momentum=0.9))
next_tokens = np.roll(token_ids, -1, axis=1)
gpt_memory = training_memory(gpt, token_ids,
                             lambda out: CrossEntropyLoss()(out.reshape(-1, 64), next_tokens.reshape(-1)),
                             Adam(gpt.parameters(), lr=1e-3))

parts = ["parameters", "gradients", "optimizer_state", "activations"]
fig, ax = plt.subplots(figsize=(9, 3.2))
for row, (title, report) in enumerate((("CNN + SGD momentum", cnn_memory), ("GPT + Adam", gpt_memory))):
    left = 0.0
    for index, part in enumerate(parts):
        ax.barh(row, report[part] / 2**20, left=left, color=f"C{index}", label=part if row == 0 else None)
        left += report[part] / 2**20
    ax.plot(report["peak (tracemalloc)"] / 2**20, row, "k|", markersize=25,
            label="tracemalloc peak of forward+backward" if row == 0 else None)
    print(f"{title:20s} " + "  ".join(f"{part} {report[part] / 1024:8.1f} KB" for part in parts)
          + f"  | peak {report['peak (tracemalloc)'] / 1024:8.1f} KB")
ax.set_yticks([0, 1], ["CNN + SGD momentum", "GPT + Adam"])
ax.set(xlabel="MB", title="Memory of one training step, read from the arrays")
ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
plt.show()

# %% [markdown]
# Three things to read off:
#
# - The gradients equal the parameters byte for byte, and the optimizer state is one (SGD with
#   momentum) or two (Adam) copies more: fixed costs of training, independent of the batch.
# - The **activations** depend on the batch, and for these small models they dominate. Double
#   the batch and they double; the rest stays.
# - The `tracemalloc` peak is **larger** than our activation count. The profiler counts the
#   leaf layers' outputs, but the graph also keeps what happens inside layers — LayerNorm's
#   centred values, attention's $T \times T$ score and weight matrices for every head, the
#   im2col matrices of the convolutions — and the backward pass allocates gradients of every
#   intermediate on its way. A profiler's count is a lower bound and a map; the peak is the
#   truth of one run. Knowing both tells you *what* to shrink.
#
# ## Putting it together — profiling changes nothing
#
# A profiler that alters what it measures is a bug. The integration test profiles a model
# (parameters, FLOPs, memory, latency, the full table), then checks that the model computes
# exactly what it computed before, that its gradients are those of an unprofiled copy — and, in
# the hidden part, that they match central differences — and that the totals agree with the
# per-type formulas.

# %% nbgrader={"grade": true, "grade_id": "profiling-integration", "locked": true, "points": 3, "schema_version": 3, "solution": false}
from autograder.gradcheck import check_model_gradients


def gradients_of(model, x, targets):
    for p in model.parameters():
        p.zero_grad()
    CrossEntropyLoss()(model(x), targets).backward()
    return [p.grad.copy() for p in model.parameters()]


np.random.seed(140)
model = Sequential(Conv2d(1, 3, 3, padding=1), Tanh(), AvgPool2d(2), Flatten(), Linear(3 * 2 * 2, 4), GELU(), Linear(4, 3))
twin = copy.deepcopy(model)
rng = np.random.default_rng(140)
x = Tensor(rng.standard_normal((5, 1, 4, 4)).astype(np.float32))
targets = rng.integers(0, 3, size=5)

profiler = Profiler()
rows = profiler.profile(model, x)
flops = profiler.flops(model, x)
total, _ = profiler.count_parameters(model)
latency = profiler.latency(lambda: model(x), warmup=1, repeats=3)
assert total == sum(p.data.size for p in model.parameters()) == sum(r["params"] for r in rows)
assert flops["Conv2d"] == conv2d_flops((5, 3, 4, 4), 1, 3), f"Conv2d FLOPs: {flops['Conv2d']}"
assert flops["Linear"] == linear_flops((5, 12), 12, 4) + linear_flops((5, 4), 4, 3), f"Linear FLOPs: {flops['Linear']}"
assert sum(flops.values()) == sum(r["flops"] for r in rows), "flops() and profile() must agree"
assert latency["min"] > 0 and latency["min"] <= latency["median"] <= latency["max"]
np.testing.assert_array_equal(model(x).data, twin(x).data, err_msg="the profiled model must compute what it computed before")
for index, (profiled, plain) in enumerate(zip(gradients_of(model, x, targets), gradients_of(twin, x, targets))):
    np.testing.assert_array_equal(profiled, plain, err_msg=f"gradient of parameter {index} changed after profiling")
assert profiler.memory(model)["gradients"] == profiler.memory(model)["parameters"], "after backward: gradient bytes = parameter bytes"
print("Integration passed: profiling measured the model and changed nothing.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1408)
np.random.seed(1408)
gpt = GPT(vocab_size=7, embed_dim=6, num_layers=1, num_heads=3, max_seq_len=5)
for p in gpt.parameters():
    p.data = p.data.astype(np.float64) + 0.2 * rng.standard_normal(p.data.shape)
twin = copy.deepcopy(gpt)
ids = rng.integers(0, 7, size=(2, 4))
next_ids = rng.integers(0, 7, size=(2, 4))
profiler = Profiler()
rows = profiler.profile(gpt, ids)
profiler.memory(gpt, ids)
flops = profiler.flops(gpt, ids)
assert flops["MultiHeadAttention"] == sum(attention_flops(2, 4, 6, 3).values())
assert flops["Linear"] == linear_flops((2, 4, 6), 6, 24) + linear_flops((2, 4, 24), 24, 6) + linear_flops((2, 4, 6), 6, 7)
assert profiler.count_parameters(gpt)[0] == gpt.num_parameters() == sum(r["params"] for r in rows)
assert all("forward" not in vars(layer) for _, layer in named_layers(gpt))
loss_of = lambda model: model.loss(ids, next_ids)
grads = []
for model in (gpt, twin):
    for p in model.parameters():
        p.zero_grad()
    loss_of(model).backward()
    grads.append([p.grad.copy() for p in model.parameters()])
for profiled, plain in zip(*grads):
    np.testing.assert_array_equal(profiled, plain)
assert profiler.memory(gpt)["gradients"] == sum(p.grad.nbytes for p in gpt.parameters())
# softmax ignores a constant added to every score, so the key bias has no gradient at all
check_model_gradients(gpt, lambda: loss_of(gpt), max_entries=6, zero_gradients=("GPT.blocks.0.attention.k_proj.bias",))
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# You built a profiler and used it on your own models:
#
# - `count_parameters`: totals and per-layer counts, buffers excluded, shared tensors once;
# - exact FLOP formulas — `linear_flops` ($2N\,\text{in}\,\text{out}$ + bias),
#   `conv2d_flops` (from the output size), `attention_flops` (projections $\propto TD^2$,
#   scores and weighted sum $\propto T^2D$, heads change only the softmax);
# - `parameter_bytes`, `gradient_bytes`, `optimizer_state_bytes`, read from the arrays: training
#   with Adam holds four copies of the model before a single activation;
# - `measure_latency`: warm-up, median, tail percentiles, and a clock you can replace in tests;
# - `Profiler.trace` and `profile`: every layer's shapes, FLOPs, bytes and time from one forward
#   pass, with the model restored exactly — always.
#
# And you measured where the time goes: matrix products reach a good share of the machine's
# peak; elementwise layers, memory-bound, take far more than their share of the FLOPs.
#
# **Next:** module 15 uses the profiler to show what a key–value cache saves in generation, and
# modules 16–19 report every gain against these measurements.
#
# **Export your work** into your own package: `python -m autograder export` with this notebook
# writes `tinytorch/perf/profiling.py`.
