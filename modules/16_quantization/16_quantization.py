# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Module 16 — Quantization
#
# A trained network stores every weight as a 32-bit float, yet it rarely needs that
# precision: the weights of a layer span a small range, and the network tolerates a little
# noise in them. **Quantization** stores each number as an 8-bit integer plus one shared
# float scale. The model becomes four times smaller, its matrix products can run on integer
# units, and — done carefully — it loses almost no accuracy.
#
# **What you build.**
# - `channel_range`, `quantize_with_scale`, `quantize_symmetric` and `dequantize`: int8
#   numbers with zero point 0, one scale per tensor;
# - `quantize_asymmetric`: uint8 numbers with a zero point, for data that is not centred on 0;
# - `quantize_weight`: one scale per *output channel* of a Linear or Conv2d weight;
# - `RangeObserver` and `calibrate`: record activation ranges on sample data;
# - `QuantizedLinear` (int8 × int8 products accumulated in int32, then rescaled) and
#   `quantize_model`, which turns every `Linear` of a `Sequential` into one;
# - `fake_quantize` and `FakeQuantize`: quantize→dequantize in the forward pass with a
#   *straight-through* gradient, so a model can be trained to survive quantization.
#
# **Why build it yourself.** Quantization is a handful of lines — a scale, a rounding, a
# clip — and each line is a place where a model silently breaks: a scale computed from the
# maximum instead of the maximum *magnitude*, an int8 product that overflows and wraps, a
# scale per row instead of per output channel. You will measure what each decision costs.
#
# **What you need.** Module 01's `Tensor`, module 03's `Layer`, `Linear` and `Sequential`,
# module 05's autograd (`Function`, `attach`, `no_grad`), and for the experiments modules
# 02, 04, 06, 07 and 08 (ReLU, cross-entropy, Adam, `Trainer`, the shipped digits).
#
# **Where it lands.** `tinytorch/perf/quantization.py`.
#
# **How this notebook works.** Fill in the places marked `# YOUR CODE HERE` (delete the
# `raise NotImplementedError()` line), run the cell, then the test cell below it. Hidden tests
# in the same cells try random shapes, seeds and bit widths when your notebook is graded.

# %%
#| default_exp perf.quantization
#| export
import numpy as np

import tinytorch.core.autograd  # noqa: F401  (gradients on)
from tinytorch.core.autograd import Function, attach, no_grad
from tinytorch.core.layers import Layer, Linear, Sequential
from tinytorch.core.tensor import Tensor

# %%
import time

import matplotlib.pyplot as plt

from tinytorch.core.activations import ReLU
from tinytorch.core.dataloader import DataLoader, TensorDataset, load_digits, train_test_split
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.optimizers import Adam
from tinytorch.core.training import Trainer

# %% [markdown]
# ## From floats to integers: the affine map
#
# Quantization maps a real number $x$ to an integer $q$ on a grid of equally spaced levels:
#
# $$q = \operatorname{clip}\!\left(\operatorname{round}\!\left(\frac{x}{s}\right) + z,\; q_{\min},\; q_{\max}\right),
# \qquad \hat x = s\,(q - z).$$
#
# - The **scale** $s > 0$ is the distance between two neighbouring levels (a float).
# - The **zero point** $z$ is the integer that stands for the real number 0.
# - **Rounding** picks the nearest level, so inside the grid's range the error is at most half
#   a step: $|x - \hat x| \le s/2$.
# - **Clipping** keeps $q$ inside what the integer type can hold. Without it, numpy's cast to
#   `int8` does not saturate: 130 comes out as $-126$, a huge error with the wrong sign.
#
# Two conventions cover almost every use:
#
# | | symmetric | asymmetric |
# |---|---|---|
# | integers | int8, $[-127, 127]$ | uint8, $[0, 255]$ |
# | zero point | $z = 0$ | $z = \operatorname{round}(-\min/s)$ |
# | scale | $s = \max\lvert x\rvert / 127$ | $s = (\max - \min)/255$ |
# | good for | weights (centred on 0) | activations after ReLU (all $\ge 0$) |
#
# The symmetric grid leaves out $-128$ on purpose: with $[-127, 127]$, $-x$ quantizes to
# exactly $-q$, and no level is wasted on one side only. With $b$ bits instead of 8 the same
# formulas hold with $q_{\max} = 2^{b-1} - 1$ (symmetric) or $2^b - 1$ (asymmetric); we will
# store fewer bits in an int8 array too, to measure what fewer levels cost.
#
# ## Step 1 — Symmetric quantization, one scale per tensor
#
# Three small functions, shared by everything after them:
#
# - `channel_range(x, axis=None)` returns the minimum and maximum of `x`. With `axis=None`
#   over the whole tensor (0-d arrays); with an `axis`, one value per index along that axis,
#   reduced over *all other* axes with `keepdims=True`, so the result broadcasts against `x`
#   (a weight of shape (64, 32) with `axis=1` gives ranges of shape (1, 32)). Step 3 uses it.
# - `quantize_with_scale(x, scale, zero_point=0, bits=8, signed=True)`: round, shift by the
#   zero point, **clip**, cast (int8 when `signed`, uint8 otherwise).
# - `quantize_symmetric(x, axis=None, bits=8)` returns `(q, scale)` with
#   $s = \max\lvert x\rvert / q_{\max}$ computed from `channel_range` — the maximum *magnitude*,
#   so that the most negative value fits too. A tensor of zeros has no range at all: use
#   $s = 1$ there (any scale represents 0 exactly) instead of dividing by zero.
# - `dequantize(q, scale, zero_point=0)` returns $s\,(q - z)$ in the scale's float dtype. Cast
#   `q` to float *before* subtracting: `uint8 - 200` stays uint8 in numpy and wraps around.

# %% nbgrader={"grade": false, "grade_id": "symmetric-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
def as_float_array(x):
    """The numbers of a Tensor or array-like as a float numpy array (float32 unless already float)."""
    values = x.data if isinstance(x, Tensor) else np.asarray(x)
    return values if np.issubdtype(values.dtype, np.floating) else values.astype(np.float32)


def integer_limits(bits=8, signed=True):
    """(q_min, q_max): [-(2^(b-1) - 1), 2^(b-1) - 1] when signed, [0, 2^b - 1] otherwise."""
    if not 2 <= bits <= 8:
        raise ValueError(f"bits must be between 2 and 8 (values are stored in 8-bit integers), got {bits}")
    return (-(2 ** (bits - 1) - 1), 2 ** (bits - 1) - 1) if signed else (0, 2 ** bits - 1)


def channel_range(x, axis=None):
    """(low, high): min and max of x, per tensor (axis=None) or per index along `axis`.

    axis=None: two 0-d numpy arrays. With an axis (negative allowed): reduce over every
    other axis with keepdims=True, so low and high have x's number of dimensions, size 1
    everywhere except along `axis`, and broadcast against x.
    """
    values = as_float_array(x)
    ### BEGIN SOLUTION
    if axis is None:
        return np.asarray(values.min()), np.asarray(values.max())
    axis = axis % values.ndim
    others = tuple(a for a in range(values.ndim) if a != axis)
    return values.min(axis=others, keepdims=True), values.max(axis=others, keepdims=True)
    ### END SOLUTION


def quantize_with_scale(x, scale, zero_point=0, bits=8, signed=True):
    """clip(round(x / scale) + zero_point, q_min, q_max) as int8 (signed) or uint8.

    scale and zero_point may be numbers or arrays that broadcast against x.
    """
    values = as_float_array(x)
    q_min, q_max = integer_limits(bits, signed)
    ### BEGIN SOLUTION
    levels = np.clip(np.round(values / scale) + zero_point, q_min, q_max)
    return levels.astype(np.int8 if signed else np.uint8)
    ### END SOLUTION


def quantize_symmetric(x, axis=None, bits=8):
    """(q int8, scale): scale = max|x| / q_max per tensor or per index along `axis`, zero point 0.

    scale is a numpy array in x's float dtype, shaped like channel_range's results; where
    max|x| is 0, the scale is 1.
    """
    values = as_float_array(x)
    _, q_max = integer_limits(bits, signed=True)
    ### BEGIN SOLUTION
    low, high = channel_range(values, axis)
    max_abs = np.maximum(np.abs(low), np.abs(high))
    scale = np.where(max_abs > 0, max_abs / q_max, 1.0).astype(values.dtype)
    return quantize_with_scale(values, scale, bits=bits), scale
    ### END SOLUTION


def dequantize(q, scale, zero_point=0):
    """scale * (q - zero_point), in the float dtype of `scale`."""
    scale = as_float_array(scale)
    ### BEGIN SOLUTION
    return (np.asarray(q).astype(scale.dtype) - zero_point) * scale
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "symmetric-quantization", "locked": true, "points": 2, "schema_version": 3, "solution": false}
x = np.array([-1.27, -0.5, 0.0, 0.004, 0.006, 1.0], dtype=np.float32)
q, scale = quantize_symmetric(x)
assert q.dtype == np.int8, f"symmetric quantization stores int8, got {q.dtype}"
np.testing.assert_allclose(scale, 0.01, rtol=1e-6, err_msg="scale = max|x| / 127 = 1.27 / 127 (from the magnitude of -1.27)")
np.testing.assert_array_equal(q, [-127, -50, 0, 0, 1, 100], err_msg="q = round(x / scale)")
restored = dequantize(q, scale)
assert restored.dtype == np.float32, f"float32 scale -> float32 values, got {restored.dtype}"
np.testing.assert_allclose(restored, [-1.27, -0.5, 0.0, 0.0, 0.01, 1.0], atol=1e-6)
assert np.abs(restored - x).max() <= scale / 2 + 1e-7, "inside the range the error is at most half a step"
# clipping: a value outside the range saturates instead of wrapping around
clipped = quantize_with_scale(np.array([3.0, -3.0]), 0.01)
np.testing.assert_array_equal(clipped, [127, -127], err_msg="300 steps do not fit in int8: clip to [-127, 127]")
zeros_q, zeros_scale = quantize_symmetric(np.zeros(4, dtype=np.float32))
assert float(zeros_scale) == 1.0 and not np.any(zeros_q), "an all-zero tensor: scale 1, every q 0 (no division by zero)"
q4, scale4 = quantize_symmetric(x, bits=4)
assert np.abs(q4).max() == 7, f"4 bits: q_max = 2^3 - 1 = 7, got {np.abs(q4).max()}"
print(f"scale {float(scale):.4f}, q {q.tolist()}, max error {np.abs(restored - x).max():.5f} <= {float(scale) / 2:.5f}")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1601)
for _ in range(6):
    shape = tuple(int(n) for n in rng.integers(1, 7, size=int(rng.integers(1, 4))))
    bits = int(rng.integers(2, 9))
    data = rng.standard_normal(shape) * rng.uniform(0.01, 100) + rng.uniform(-1, 1)
    q, scale = quantize_symmetric(data, bits=bits)
    q_max = 2 ** (bits - 1) - 1
    assert q.dtype == np.int8 and q.shape == shape
    assert np.abs(q).max() == q_max, "the largest magnitude lands on the last level"
    np.testing.assert_allclose(scale, np.abs(data).max() / q_max, rtol=1e-12)
    assert scale.dtype == np.float64, "float64 data keeps a float64 scale"
    error = np.abs(dequantize(q, scale) - data).max()
    assert error <= scale / 2 * (1 + 1e-9), f"round-trip error {error} > scale / 2 = {scale / 2}"
    np.testing.assert_array_equal(quantize_symmetric(-data, bits=bits)[0], -q, err_msg="symmetric: -x -> -q")
big = rng.uniform(2, 5, size=20)
np.testing.assert_array_equal(quantize_with_scale(big, 0.01), 127)
np.testing.assert_array_equal(quantize_with_scale(-big, 0.01), -127)
np.testing.assert_array_equal(quantize_with_scale(big, 0.01, bits=4), 7)
np.testing.assert_array_equal(quantize_with_scale(Tensor(np.array([0.5], dtype=np.float32)), 0.25), [2])
### END HIDDEN TESTS

# %% [markdown]
# ## Step 2 — Asymmetric quantization: a zero point
#
# After a ReLU every activation is $\ge 0$. A symmetric grid would spend half its levels on
# negative numbers that never occur. The asymmetric grid spans exactly $[\min, \max]$ with the
# 256 levels of a uint8:
#
# $$s = \frac{\max - \min}{q_{\max} - q_{\min}}, \qquad z = \operatorname{round}\!\left(q_{\min} - \frac{\min}{s}\right).$$
#
# Two details matter:
#
# 1. **Widen the range to include 0**: use $\min(x_{\min}, 0)$ and $\max(x_{\max}, 0)$. Zero is
#    the most common number in a network (padding, ReLU outputs, masked entries) and must come
#    back *exactly* as 0.0.
# 2. **Round the zero point to an integer.** Then $x = 0$ quantizes to $q = z$ and dequantizes
#    to $s(z - z) = 0$ exactly. A fractional zero point would not fit in the integer type, and
#    0 would come back as a small non-zero number — a bias added to every padded position.
#    Rounding $z$ shifts the grid by at most half a step, so the error inside
#    $[\min, \max]$ is still at most $s/2$.
#
# `quantize_asymmetric(x, axis=None, bits=8)` returns `(q uint8, scale, zero_point)`, the
# zero point as an int32 array shaped like the scale. Use `channel_range`, then
# `quantize_with_scale(..., signed=False)`, and scale 1 where the range is empty.

# %% nbgrader={"grade": false, "grade_id": "asymmetric-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
def quantize_asymmetric(x, axis=None, bits=8):
    """(q uint8, scale, zero_point) with the grid spanning [min(x, 0), max(x, 0)].

    scale: numpy array in x's float dtype (1 where the range is empty); zero_point: int32
    numpy array of the same shape, round(q_min - low / scale), clipped to [q_min, q_max].
    """
    values = as_float_array(x)
    q_min, q_max = integer_limits(bits, signed=False)
    ### BEGIN SOLUTION
    low, high = channel_range(values, axis)
    low, high = np.minimum(low, 0.0), np.maximum(high, 0.0)
    scale = np.where(high > low, (high - low) / (q_max - q_min), 1.0).astype(values.dtype)
    zero_point = np.clip(np.round(q_min - low / scale), q_min, q_max).astype(np.int32)
    return quantize_with_scale(values, scale, zero_point, bits=bits, signed=False), scale, zero_point
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "asymmetric-quantization", "locked": true, "points": 2, "schema_version": 3, "solution": false}
activations = np.array([0.0, 0.1, 0.5, 2.0, 5.1], dtype=np.float32)  # after a ReLU: all >= 0
q, scale, zero_point = quantize_asymmetric(activations)
assert q.dtype == np.uint8, f"asymmetric quantization stores uint8, got {q.dtype}"
np.testing.assert_allclose(scale, 5.1 / 255, rtol=1e-6, err_msg="scale = (max - min) / 255 with min = 0")
assert int(zero_point) == 0, f"min = 0 maps to q = 0: zero point 0, got {zero_point}"
np.testing.assert_array_equal(q, [0, 5, 25, 100, 255])
shifted = np.array([-1.0, 0.0, 0.5, 3.0], dtype=np.float32)
q, scale, zero_point = quantize_asymmetric(shifted)
np.testing.assert_allclose(scale, 4.0 / 255, rtol=1e-6)
assert np.issubdtype(zero_point.dtype, np.integer), f"the zero point is an integer, got {zero_point.dtype}"
assert int(zero_point) == 64, f"zero point = round(0 - (-1) / (4 / 255)) = round(63.75) = 64, got {zero_point}"
restored = dequantize(q, scale, zero_point)
assert restored[1] == 0.0, f"0.0 must come back exactly as 0.0, got {restored[1]}"
assert np.abs(restored - shifted).max() <= scale / 2 + 1e-6, "error at most half a step inside [min, max]"
positive = np.array([2.0, 3.0], dtype=np.float32)
q, scale, zero_point = quantize_asymmetric(positive)
assert int(zero_point) == 0 and int(q[0]) > 0, "the range is widened to include 0: [0, 3], not [2, 3]"
print(f"scale {float(scale):.5f}, zero point {int(zero_point)}, restored {restored}")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1602)
for _ in range(6):
    shape = tuple(int(n) for n in rng.integers(1, 7, size=int(rng.integers(1, 4))))
    bits = int(rng.integers(2, 9))
    data = rng.standard_normal(shape) * rng.uniform(0.1, 10) + rng.uniform(-3, 3)
    data.flat[0] = 0.0
    q, scale, zero_point = quantize_asymmetric(data, bits=bits)
    assert q.dtype == np.uint8 and q.shape == shape and q.max() <= 2 ** bits - 1
    low, high = min(data.min(), 0.0), max(data.max(), 0.0)
    np.testing.assert_allclose(scale, (high - low) / (2 ** bits - 1) if high > low else 1.0, rtol=1e-12)
    assert np.issubdtype(zero_point.dtype, np.integer)
    np.testing.assert_array_equal(zero_point, np.clip(np.round(-low / scale), 0, 2 ** bits - 1))
    restored = dequantize(q, scale, zero_point)
    assert restored.flat[0] == 0.0, "zero is exact"
    error = np.abs(restored - data).max()
    assert error <= scale / 2 * (1 + 1e-9) + 1e-12, f"round-trip error {error} > scale / 2 = {scale / 2}"
q, scale, zero_point = quantize_asymmetric(np.zeros(3))
assert float(scale) == 1.0 and int(zero_point) == 0 and not np.any(q)
negative = -rng.uniform(1, 2, size=8)
q, scale, zero_point = quantize_asymmetric(negative)
assert int(zero_point) == 255, "all negative: 0 is the top of the range"
assert np.abs(dequantize(q, scale, zero_point) - negative).max() <= scale / 2 * (1 + 1e-9)
### END HIDDEN TESTS

# %% [markdown]
# ## Step 3 — One scale per output channel
#
# One scale per tensor is set by the tensor's single largest entry. If one output unit of a
# layer has weights ten times larger than the others, every other unit gets only a tenth of
# the levels. **Per-channel** quantization gives each output channel its own scale. It costs
# one float per channel — nothing next to the weights — and it is what every production int8
# scheme does for weights.
#
# Which axis is the output channel depends on how the layer stores its weight:
#
# | layer | weight shape | output channel axis |
# |---|---|---|
# | `Linear` (module 03) | (in_features, out_features) | 1 (the last) |
# | `Conv2d` (module 09) | (out_channels, in_channels, kH, kW) | 0 (the first) |
#
# One scale per *output* channel is what makes the integer product cheap to rescale: output
# $j$ of a Linear is $\sum_i x_i W_{ij}$, and if all $W_{ij}$ of column $j$ share the scale
# $s_j$, it factors out of the sum: $\sum_i x_i\, s_j q_{ij} = s_j \sum_i x_i q_{ij}$. A scale
# per *input* row would sit inside the sum and could not be pulled out.
#
# `quantize_weight(weight, layout="linear", per_channel=True, bits=8)` returns `(q, scale)`
# from `quantize_symmetric`, with the axis picked from the layout (or `axis=None` when
# `per_channel` is False). Raise `ValueError` for an unknown layout.

# %% nbgrader={"grade": false, "grade_id": "per-channel-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
def quantize_weight(weight, layout="linear", per_channel=True, bits=8):
    """Symmetric quantization of a weight, one scale per output channel (or per tensor).

    layout "linear": weight (in, out), output channels along axis 1.
    layout "conv":   weight (out, in, kH, kW), output channels along axis 0.
    Returns quantize_symmetric's (q, scale).
    """
    if layout not in ("linear", "conv"):
        raise ValueError(f"unknown layout {layout!r}: use 'linear' (weight (in, out)) or 'conv' (weight (out, in, kH, kW))")
    ### BEGIN SOLUTION
    axis = (1 if layout == "linear" else 0) if per_channel else None
    return quantize_symmetric(weight, axis=axis, bits=bits)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "per-channel", "locked": true, "points": 2, "schema_version": 3, "solution": false}
weight = np.array([[0.1, -2.0, 0.01],
                   [-0.2, 1.0, 0.02],
                   [0.05, 0.5, -0.03],
                   [0.0, -1.5, 0.0]], dtype=np.float32)  # Linear(4, 3): columns are output channels
low, high = channel_range(weight, axis=1)
assert low.shape == (1, 3) and high.shape == (1, 3), f"channel_range(axis=1) keeps dims: (1, 3), got {low.shape}"
np.testing.assert_allclose(high, [[0.1, 1.0, 0.02]])
q, scale = quantize_weight(weight)
assert scale.shape == (1, 3), f"one scale per output channel of a (4, 3) Linear weight: shape (1, 3), got {scale.shape}"
np.testing.assert_allclose(scale, [[0.2 / 127, 2.0 / 127, 0.03 / 127]], rtol=1e-6)
assert q.dtype == np.int8 and np.all(np.abs(q).max(axis=0) == 127), "every channel uses its full range"
q_tensor, scale_tensor = quantize_weight(weight, per_channel=False)
assert scale_tensor.shape == (), "per_channel=False: one scale"
error_channel = np.abs(dequantize(q, scale) - weight)[:, 2].max()
error_tensor = np.abs(dequantize(q_tensor, scale_tensor) - weight)[:, 2].max()
assert error_channel < error_tensor / 10, "the small channel is much more precise with its own scale"
conv_weight = np.random.default_rng(0).standard_normal((5, 2, 3, 3)).astype(np.float32)
q, scale = quantize_weight(conv_weight, layout="conv")
assert scale.shape == (5, 1, 1, 1), f"Conv2d weight (out, in, kH, kW): scales (5, 1, 1, 1), got {scale.shape}"
print(f"per-channel error on the small channel {error_channel:.2e}, per-tensor {error_tensor:.2e}")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1603)
for _ in range(5):
    n_in, n_out = (int(n) for n in rng.integers(1, 9, size=2))
    w = rng.standard_normal((n_in, n_out)) * rng.uniform(0.01, 5, size=n_out)
    bits = int(rng.integers(2, 9))
    q, scale = quantize_weight(w, bits=bits)
    assert scale.shape == (1, n_out)
    np.testing.assert_allclose(scale, np.abs(w).max(axis=0, keepdims=True) / (2 ** (bits - 1) - 1), rtol=1e-12)
    assert np.all(np.abs(dequantize(q, scale) - w) <= scale / 2 * (1 + 1e-9))
    c_out, c_in, k = (int(n) for n in rng.integers(1, 5, size=3))
    cw = rng.standard_normal((c_out, c_in, k, k))
    q, scale = quantize_weight(cw, layout="conv", bits=bits)
    assert scale.shape == (c_out, 1, 1, 1)
    np.testing.assert_allclose(scale.ravel(), np.abs(cw).reshape(c_out, -1).max(axis=1) / (2 ** (bits - 1) - 1), rtol=1e-12)
    q, scale, zp = quantize_asymmetric(w, axis=-1)
    assert scale.shape == (1, n_out) and zp.shape == (1, n_out)
    assert np.all(np.abs(dequantize(q, scale, zp) - w) <= scale / 2 * (1 + 1e-9) + 1e-12)
low, high = channel_range(np.arange(24.0).reshape(2, 3, 4), axis=1)
np.testing.assert_array_equal(low.ravel(), [0, 4, 8])
np.testing.assert_array_equal(high.ravel(), [15, 19, 23])
try:
    quantize_weight(w, layout="rows")
except ValueError:
    pass
else:
    raise AssertionError("an unknown layout should raise ValueError")
### END HIDDEN TESTS

# %% [markdown]
# ### See it: the levels on a real weight distribution
#
# A randomly initialised `Linear(64, 32)` weight, with the levels of a 4-bit per-tensor grid
# drawn on top (8 bits would give 255 lines, too dense to see): every weight is moved to the
# nearest line. The right plot shows the per-channel scales of the same weight after one
# column was made ten times larger: per tensor, that column sets the scale for everyone.

# %%
np.random.seed(0)
demo_weight = Linear(64, 32).weight.data.copy()
q4, scale4 = quantize_symmetric(demo_weight, bits=4)
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
axes[0].hist(demo_weight.ravel(), bins=80, color="steelblue", alpha=0.8)
for level in np.arange(-7, 8) * float(scale4):
    axes[0].axvline(level, color="crimson", lw=0.8, alpha=0.7)
axes[0].set(xlabel="weight value", ylabel="count", title="Linear(64, 32) weights and the 15 levels of 4-bit symmetric")
outlier_weight = demo_weight.copy()
outlier_weight[:, 0] *= 10
_, channel_scales = quantize_weight(outlier_weight)
_, tensor_scale = quantize_weight(outlier_weight, per_channel=False)
axes[1].bar(np.arange(32), channel_scales.ravel(), color="steelblue", label="per-channel scale")
axes[1].axhline(float(tensor_scale), color="crimson", label="per-tensor scale")
axes[1].set(xlabel="output channel", ylabel="scale (step size)", yscale="log", title="Column 0 made 10x larger")
axes[1].legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Step 4 — Calibration: the range of the activations
#
# Weights are known after training; their scales can be computed once. Activations change with
# every input. An int8 matrix product needs the *input* in int8 too, so we need its scale.
# Two choices:
#
# - **dynamic**: compute $\max\lvert x\rvert$ of every batch at run time (simple, costs one pass over
#   the input per layer);
# - **static**: run a few representative batches through the float model once, *record* the
#   range at each layer's input, and fix the scale. That is **calibration**.
#
# A `RangeObserver` watches the values that pass by. `observe(x)` updates the running
# `min_value`, `max_value` and `max_abs` (the bound used for the scale) and counts `batches`.
# One rare outlier can stretch a min/max range and waste levels on values that almost never
# occur; with `percentile=p` the bound of a batch is the $p$-th percentile of $|x|$ instead of
# its maximum (values above it will be clipped). Either way `max_abs` is the largest bound
# seen over *all* batches so far, not the last batch's. `scale(bits=8)` returns the
# symmetric scale `max_abs / q_max` (1.0 when `max_abs` is 0) and raises `RuntimeError`
# before any batch was observed.
#
# `calibrate(model, batches, percentile=None)` runs the batches through a `Sequential` layer by
# layer, without recording a graph, and returns `{index: observer}` with one observer for the
# *input* of every `Linear` in `model.layers`. A batch may be an array, a Tensor, or an
# `(x, y)` pair from a `DataLoader` (only `x` is used).

# %% nbgrader={"grade": false, "grade_id": "calibration-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
class RangeObserver:
    """Records the range of the values it observes, to choose a quantization scale."""

    def __init__(self, percentile=None):
        self.percentile = percentile  # None: the max of |x|; p: the p-th percentile of |x| per batch
        self.min_value = np.inf
        self.max_value = -np.inf
        self.max_abs = 0.0
        self.batches = 0

    def observe(self, x):
        """Update min_value, max_value, max_abs (largest bound over all batches) and batches; return x."""
        values = as_float_array(x)
        ### BEGIN SOLUTION
        self.min_value = min(self.min_value, float(values.min()))
        self.max_value = max(self.max_value, float(values.max()))
        magnitudes = np.abs(values)
        if self.percentile is None:
            bound = float(magnitudes.max())
        else:
            bound = float(np.percentile(magnitudes, self.percentile))
        self.max_abs = max(self.max_abs, bound)
        self.batches += 1
        ### END SOLUTION
        return x

    def scale(self, bits=8):
        """The symmetric scale max_abs / q_max (1.0 when max_abs is 0); RuntimeError before any batch."""
        ### BEGIN SOLUTION
        if self.batches == 0:
            raise RuntimeError("RangeObserver.scale(): no batch observed yet; run calibrate() first")
        _, q_max = integer_limits(bits, signed=True)
        return self.max_abs / q_max if self.max_abs > 0 else 1.0
        ### END SOLUTION

    def __repr__(self):
        return (f"RangeObserver(batches={self.batches}, min={self.min_value:.4g}, max={self.max_value:.4g}, "
                f"max_abs={self.max_abs:.4g})")


def calibrate(model, batches, percentile=None):
    """{index: RangeObserver} recording the input of every Linear in model.layers over `batches`."""
    observers = {index: RangeObserver(percentile) for index, layer in enumerate(model.layers)
                 if isinstance(layer, Linear)}
    was_training = model.training
    model.eval()  # calibrate what inference will see (dropout off)
    ### BEGIN SOLUTION
    with no_grad():
        for batch in batches:
            x = batch[0] if isinstance(batch, (tuple, list)) else batch
            x = x if isinstance(x, Tensor) else Tensor(x)
            for index, layer in enumerate(model.layers):
                if index in observers:
                    observers[index].observe(x)
                x = layer(x)
    ### END SOLUTION
    model.train(was_training)
    return observers


# %% nbgrader={"grade": true, "grade_id": "calibration", "locked": true, "points": 2, "schema_version": 3, "solution": false}
observer = RangeObserver()
observer.observe(np.array([-1.0, 0.5, 2.0]))
observer.observe(Tensor(np.array([0.1, -3.0, 0.2])))
observer.observe(np.array([0.0, 1.0]))
assert observer.batches == 3, f"three batches observed, got {observer.batches}"
assert (observer.min_value, observer.max_value) == (-3.0, 2.0), f"running min/max: (-3, 2), got {(observer.min_value, observer.max_value)}"
assert observer.max_abs == 3.0, f"max_abs is the largest |x| over ALL batches: 3.0, got {observer.max_abs}"
np.testing.assert_allclose(observer.scale(), 3.0 / 127, err_msg="scale = max_abs / 127")
np.testing.assert_allclose(observer.scale(bits=4), 3.0 / 7)
robust = RangeObserver(percentile=90)
robust.observe(np.concatenate([np.linspace(0, 1, 99), [50.0]]))
assert robust.max_abs < 2.0, f"the 90th percentile ignores the single outlier 50: got {robust.max_abs}"
try:
    RangeObserver().scale()
except RuntimeError:
    pass
else:
    raise AssertionError("scale() before any observed batch should raise RuntimeError")

np.random.seed(0)
model = Sequential(Linear(4, 8), ReLU(), Linear(8, 2))
inputs = [np.random.default_rng(i).standard_normal((5, 4)).astype(np.float32) for i in range(3)]
observers = calibrate(model, [(x, None) for x in inputs])
assert sorted(observers) == [0, 2], f"one observer per Linear, keyed by position: [0, 2], got {sorted(observers)}"
assert observers[0].max_abs == max(np.abs(x).max() for x in inputs), "layer 0 sees the raw inputs"
hidden_max = max(np.maximum(x @ model.layers[0].weight.data + model.layers[0].bias.data, 0).max() for x in inputs)
np.testing.assert_allclose(observers[2].max_abs, hidden_max, rtol=1e-6, err_msg="layer 2 sees the ReLU outputs")
assert observers[2].min_value >= 0.0, "after a ReLU nothing is negative"
print(observers)
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1604)
batches = [rng.standard_normal(int(rng.integers(1, 30))) * rng.uniform(0.1, 10) for _ in range(6)]
observer = RangeObserver()
for batch in batches:
    observer.observe(batch)
everything = np.concatenate(batches)
assert observer.batches == 6
assert observer.min_value == everything.min() and observer.max_value == everything.max()
assert observer.max_abs == np.abs(everything).max()
np.testing.assert_allclose(observer.scale(bits=6), np.abs(everything).max() / 31)
p_observer = RangeObserver(percentile=75)
for batch in batches:
    p_observer.observe(batch)
np.testing.assert_allclose(p_observer.max_abs, max(np.percentile(np.abs(b), 75) for b in batches))
empty = RangeObserver()
empty.observe(np.zeros(3))
assert empty.scale() == 1.0
np.random.seed(1604)
model = Sequential(Linear(3, 6), ReLU(), Linear(6, 4), ReLU(), Linear(4, 2))
xs = [Tensor(rng.standard_normal((4, 3))) for _ in range(3)]
observers = calibrate(model, xs)
assert sorted(observers) == [0, 2, 4]
h = [x.data for x in xs]
for index in (0, 2, 4):
    np.testing.assert_allclose(observers[index].max_abs, max(np.abs(v).max() for v in h), rtol=1e-6)
    h = [np.maximum(model.layers[index](Tensor(v)).data, 0) for v in h]
assert model.training, "calibrate restores the training mode"
### END HIDDEN TESTS

# %% [markdown]
# ## Step 5 — `QuantizedLinear`: integer arithmetic, then one rescale
#
# Two ways to run a Linear layer with int8 weights:
#
# 1. **Dequantize on the fly**: turn the int8 weights back into floats at every call and do a
#    float matmul. Saves memory on disk and in RAM, but the arithmetic is still float.
# 2. **Integer matmul**: quantize the *input* too, multiply int8 by int8, accumulate in int32,
#    and rescale the result once. This is what int8 hardware units (and PyTorch's quantized
#    kernels) do, and it is what we build.
#
# With the input quantized symmetrically ($x \approx s_x q^x$) and weight column $j$ per
# channel ($W_{ij} \approx s_j q^w_{ij}$), both scales factor out of the sum:
#
# $$y_j = \sum_i x_i W_{ij} + b_j \approx s_x\, s_j \underbrace{\sum_i q^x_i\, q^w_{ij}}_{\text{int32 accumulator}} + b_j.$$
#
# **Why int32?** One product of two int8 numbers reaches $127^2 = 16129$; a sum of 64 of them
# reaches about a million. In int8 (or int16) the sum overflows and numpy *wraps around*
# silently. An int32 accumulator holds $2^{31} / 127^2 \approx 133\,000$ worst-case products.
# The **bias** stays float: it is one number per output and adding it after the rescale costs
# nothing.
#
# `QuantizedLinear(linear, input_scale=None)` keeps, from a trained `Linear`: `weight_q` (int8,
# (in, out)) and `weight_scale` ((1, out)) from `quantize_weight`, `bias` as a float32 numpy
# copy (or None), and `input_scale` (a calibrated scale, or None for dynamic quantization:
# `quantize_symmetric` of each input). `forward(x)` returns a float32 Tensor. It is an
# inference layer: its numbers are plain numpy arrays, so `parameters()` finds nothing to
# train. `nbytes()` counts the bytes of the stored arrays.

# %% nbgrader={"grade": false, "grade_id": "quantized-linear-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
class QuantizedLinear(Layer):
    """A Linear layer with int8 weights (one scale per output channel) and int32 accumulation."""

    def __init__(self, linear, input_scale=None):
        """Quantize `linear.weight` per output channel; keep the bias as a float32 numpy copy."""
        self.in_features, self.out_features = linear.in_features, linear.out_features
        ### BEGIN SOLUTION
        self.weight_q, self.weight_scale = quantize_weight(linear.weight.data, layout="linear")
        self.bias = None if linear.bias is None else linear.bias.data.astype(np.float32)
        self.input_scale = input_scale
        ### END SOLUTION

    def forward(self, x):
        """x (..., in) -> float32 Tensor (..., out): int8 input @ int8 weight in int32, rescaled, + bias."""
        values = as_float_array(x)
        ### BEGIN SOLUTION
        if self.input_scale is None:
            x_q, input_scale = quantize_symmetric(values)
        else:
            input_scale = self.input_scale
            x_q = quantize_with_scale(values, input_scale)
        accumulated = x_q.astype(np.int32) @ self.weight_q.astype(np.int32)
        output = accumulated * (input_scale * self.weight_scale)
        if self.bias is not None:
            output = output + self.bias
        return Tensor(output.astype(np.float32))
        ### END SOLUTION

    def nbytes(self):
        """Bytes stored: int8 weights, their scales, and the float bias."""
        arrays = [self.weight_q, np.asarray(self.weight_scale)] + ([] if self.bias is None else [self.bias])
        return sum(a.nbytes for a in arrays)

    def __repr__(self):
        mode = "dynamic" if self.input_scale is None else f"input_scale={self.input_scale:.3g}"
        return f"QuantizedLinear(in_features={self.in_features}, out_features={self.out_features}, {mode})"


# %% nbgrader={"grade": true, "grade_id": "quantized-linear", "locked": true, "points": 3, "schema_version": 3, "solution": false}
np.random.seed(1)
float_layer = Linear(16, 8)
float_layer.bias.data[:] = np.linspace(-1, 1, 8)
quantized = QuantizedLinear(float_layer)
assert quantized.weight_q.dtype == np.int8 and quantized.weight_q.shape == (16, 8), "int8 weights of shape (in, out)"
assert np.shape(quantized.weight_scale) == (1, 8), f"one weight scale per output: (1, 8), got {np.shape(quantized.weight_scale)}"
assert quantized.parameters() == [], "an inference layer: nothing to train"
x = np.random.default_rng(0).standard_normal((10, 16)).astype(np.float32)
expected = float_layer(Tensor(x)).data
found = quantized(Tensor(x))
assert isinstance(found, Tensor) and found.dtype == np.float32 and found.shape == (10, 8)
relative = np.linalg.norm(found.data - expected) / np.linalg.norm(expected)
assert relative < 0.02, f"int8 output should be within 2% of the float layer, relative error {relative:.4f}"
# a large layer: an int8 accumulator would overflow, int32 does not
np.random.seed(2)
wide = Linear(512, 4)
wide_x = np.abs(np.random.default_rng(1).standard_normal((3, 512))).astype(np.float32)
wide_relative = np.linalg.norm(QuantizedLinear(wide)(wide_x).data - wide(Tensor(wide_x)).data) / np.linalg.norm(wide(Tensor(wide_x)).data)
assert wide_relative < 0.02, f"512 inputs: relative error {wide_relative:.4f} (is the accumulator int32?)"
calibrated = QuantizedLinear(float_layer, input_scale=3.0 / 127)
outside = calibrated(np.full((1, 16), 10.0, dtype=np.float32)).data
np.testing.assert_allclose(outside, float_layer(Tensor(np.full((1, 16), 3.0, dtype=np.float32))).data, rtol=0.02, atol=0.02,
                           err_msg="inputs beyond the calibrated range saturate at +-127 steps (clip), they do not wrap")
print(f"relative error {relative:.4f}; bytes {quantized.nbytes()} int8 vs {float_layer.weight.data.nbytes + float_layer.bias.data.nbytes} float32")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1605)
for trial in range(5):
    n_in, n_out, batch = int(rng.integers(2, 200)), int(rng.integers(1, 20)), int(rng.integers(1, 8))
    np.random.seed(1605 + trial)
    layer = Linear(n_in, n_out, bias=bool(trial % 2))
    if layer.bias is not None:
        layer.bias.data[:] = rng.standard_normal(n_out)
    layer.weight.data *= rng.uniform(0.1, 3, size=n_out).astype(np.float32)
    xq = rng.standard_normal((batch, n_in)).astype(np.float32)
    reference = xq @ layer.weight.data + (0 if layer.bias is None else layer.bias.data)
    for scale_in in (None, float(np.abs(xq).max() / 127)):
        out = QuantizedLinear(layer, input_scale=scale_in)(Tensor(xq)).data
        error = np.linalg.norm(out - reference) / max(np.linalg.norm(reference), 1e-6)
        assert error < 0.03, f"Linear({n_in}, {n_out}): relative error {error:.4f}"
    q_layer = QuantizedLinear(layer)
    expected_bytes = n_in * n_out + 4 * n_out + (0 if layer.bias is None else 4 * n_out)
    assert q_layer.nbytes() == expected_bytes, f"{q_layer.nbytes()} != {expected_bytes}"
# exact integer arithmetic: inputs and weights already on their grids
layer = Linear(300, 3)
layer.weight.data[:] = 127 * 0.5
layer.bias.data[:] = 0
out = QuantizedLinear(layer, input_scale=1.0)(np.full((1, 300), 127.0, dtype=np.float32)).data
np.testing.assert_allclose(out, 127 * 127 * 300 * 0.5, rtol=1e-6)
batched = rng.standard_normal((2, 3, 300)).astype(np.float32)
assert QuantizedLinear(layer)(Tensor(batched)).shape == (2, 3, 3)
### END HIDDEN TESTS

# %% [markdown]
# ## Step 6 — `quantize_model`: a new, smaller model
#
# `quantize_model(model, calibration_batches=None, percentile=None)` returns a **new**
# `Sequential` in which every `Linear` of `model.layers` is a `QuantizedLinear`; the other
# layers (activations, which hold no numbers) are reused. The original model is not changed —
# you will want to compare the two. With calibration batches, each `QuantizedLinear` gets the
# static input scale its `calibrate` observer recorded; without them, it quantizes its input
# dynamically.
#
# `model_nbytes(model)` measures a model's size: for each layer of a `Sequential` (or the
# model itself, if it is a single layer), `nbytes()` for a `QuantizedLinear`, and the bytes of
# its `parameters()` otherwise.

# %% nbgrader={"grade": false, "grade_id": "quantize-model-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
def quantize_model(model, calibration_batches=None, percentile=None):
    """A new Sequential with every Linear replaced by a QuantizedLinear; `model` is unchanged."""
    ### BEGIN SOLUTION
    observers = {} if calibration_batches is None else calibrate(model, calibration_batches, percentile)
    layers = []
    for index, layer in enumerate(model.layers):
        if isinstance(layer, Linear):
            input_scale = observers[index].scale() if index in observers else None
            layers.append(QuantizedLinear(layer, input_scale=input_scale))
        else:
            layers.append(layer)
    return Sequential(*layers)
    ### END SOLUTION


def model_nbytes(model):
    """Bytes of a model's numbers: QuantizedLinear.nbytes(), else the bytes of parameters()."""
    layers = model.layers if isinstance(model, Sequential) else [model]
    ### BEGIN SOLUTION
    total = 0
    for layer in layers:
        if isinstance(layer, QuantizedLinear):
            total += layer.nbytes()
        else:
            total += sum(p.data.nbytes for p in layer.parameters())
    return total
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "quantize-model", "locked": true, "points": 2, "schema_version": 3, "solution": false}
np.random.seed(3)
model = Sequential(Linear(64, 32), ReLU(), Linear(32, 10))
before = [p.data.copy() for p in model.parameters()]
small = quantize_model(model)
assert isinstance(small, Sequential) and small is not model, "quantize_model returns a new Sequential"
assert [type(layer).__name__ for layer in small.layers] == ["QuantizedLinear", "ReLU", "QuantizedLinear"]
assert all(isinstance(layer, Linear) for layer in (model.layers[0], model.layers[2])), "the original keeps its Linear layers"
assert all(np.array_equal(a, p.data) for a, p in zip(before, model.parameters())), "the original weights are unchanged"
float_bytes, int8_bytes = model_nbytes(model), model_nbytes(small)
assert float_bytes == 4 * (64 * 32 + 32 + 32 * 10 + 10), f"float32 model: {float_bytes} bytes"
assert int8_bytes == (64 * 32 + 32 * 10) + 4 * (32 + 32 + 10 + 10), f"int8 weights + float scales and biases: {int8_bytes}"
x = np.random.default_rng(3).standard_normal((20, 64)).astype(np.float32)
agree = np.mean(small(Tensor(x)).data.argmax(axis=1) == model(Tensor(x)).data.argmax(axis=1))
assert agree >= 0.95, f"the quantized model should predict like the float one: agreement {agree:.0%}"
static = quantize_model(model, calibration_batches=[x[:10], x[10:]])
assert np.isclose(static.layers[0].input_scale, np.abs(x).max() / 127), "calibrated: static input scale of the first layer"
print(f"{float_bytes} bytes -> {int8_bytes} bytes ({float_bytes / int8_bytes:.2f}x smaller), agreement {agree:.0%}")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1606)
sizes = [int(n) for n in rng.integers(2, 40, size=4)]
np.random.seed(1606)
layers = []
for n_in, n_out in zip(sizes[:-1], sizes[1:]):
    layers += [Linear(n_in, n_out), ReLU()]
model = Sequential(*layers[:-1])
xs = rng.standard_normal((30, sizes[0])).astype(np.float32)
for batches in (None, [xs]):
    small = quantize_model(model, calibration_batches=batches)
    assert all(isinstance(a, QuantizedLinear) == isinstance(b, Linear) for a, b in zip(small.layers, model.layers))
    assert all(isinstance(layer, Linear) or isinstance(layer, ReLU) for layer in model.layers)
    out, ref = small(Tensor(xs)).data, model(Tensor(xs)).data
    assert np.linalg.norm(out - ref) / np.linalg.norm(ref) < 0.05
weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
outputs = sum(sizes[1:])
assert model_nbytes(model) == 4 * (weights + outputs)
assert model_nbytes(small) == weights + 8 * outputs
assert model_nbytes(Linear(5, 3)) == 4 * 18
### END HIDDEN TESTS

# %% [markdown]
# ## Systems view — bytes and time
#
# Size is exact: `.nbytes` of the stored arrays. For time we compare three ways of computing
# one $(64 \times 512) @ (512 \times 512)$ layer: the float32 matmul, dequantize-on-the-fly
# (turn int8 back into float32, then the float matmul), and our int8×int8→int32 matmul — best of
# three runs each (the machine is shared, so single timings are noisy).

# %%
def best_ms(run, repeats=3):
    """Best wall-clock time of `repeats` runs, in milliseconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return 1e3 * min(times)


np.random.seed(0)
big_layer = Linear(512, 512)
big_quantized = QuantizedLinear(big_layer)
big_x = np.random.default_rng(0).standard_normal((64, 512)).astype(np.float32)
float_bytes, int8_bytes = model_nbytes(big_layer), model_nbytes(big_quantized)
with no_grad():
    float_ms = best_ms(lambda: big_layer(Tensor(big_x)))
    dequant_ms = best_ms(lambda: big_x @ dequantize(big_quantized.weight_q, big_quantized.weight_scale) + big_quantized.bias)
    int_ms = best_ms(lambda: big_quantized(Tensor(big_x)))
print(f"weights + bias: float32 {float_bytes / 2**10:.0f} KiB, int8 {int8_bytes / 2**10:.0f} KiB "
      f"({float_bytes / int8_bytes:.2f}x smaller)")
print(f"float32 matmul           {float_ms:7.1f} ms")
print(f"dequantize, then float   {dequant_ms:7.1f} ms")
print(f"int8 x int8 -> int32     {int_ms:7.1f} ms")

# %% [markdown]
# The memory saving is the promised factor of four, minus a few bytes for the scales and the
# float bias. Read the timings with care (a shared machine: compare them with each other, not
# with other runs). Numpy's float matmul calls an optimized BLAS, but its *integer* matmul is a
# plain loop: on an idle machine it is many times slower, and it never wins. Integer
# arithmetic pays off only on hardware and libraries built for it (int8 dot-product
# instructions on CPUs, tensor cores on GPUs, FBGEMM and oneDNN behind PyTorch), where an int8
# multiply-add costs a fraction of a float one *and* four times more numbers fit in every
# cache line and every byte of memory bandwidth. Dequantize-on-the-fly keeps numpy's fast float
# path and still stores a quarter of the bytes: that is the right choice here when speed
# matters, and why "weight-only" quantization is popular for large language models, whose
# inference is limited by the bandwidth needed to read the weights.

# %% [markdown]
# ## Step 7 — Gradients through a rounding: the straight-through estimator
#
# Quantizing a trained model costs a little accuracy — at 8 bits almost none, at 4 bits or
# fewer a lot. **Quantization-aware training** (QAT) trains the model *with* the quantization
# in its forward pass, so the weights learn to sit where the rounding hurts least. The forward
# pass uses **fake quantization** — quantize, then immediately dequantize, so the numbers stay
# floats but can only take the grid's values:
#
# $$\operatorname{fq}(x) = s \cdot \operatorname{clip}\!\left(\operatorname{round}(x / s),\, -q_{\max},\, q_{\max}\right).$$
#
# **The problem**: $\operatorname{fq}$ is a staircase. Its derivative is 0 on every step and
# undefined at every jump. The true gradient is zero almost everywhere: nothing would train.
#
# **The straight-through estimator** (Bengio et al., 2013) pretends the rounding is the
# identity in the backward pass, and keeps only what the clip really does:
#
# $$\frac{\partial \operatorname{fq}}{\partial x} \approx \begin{cases} 1 & \lvert\operatorname{round}(x/s)\rvert \le q_{\max} \text{ (inside the grid)} \\ 0 & \text{otherwise (clipped: changing } x \text{ does not change the output)} \end{cases}$$
#
# So the backward pass is `grad_output * inside`. "Inside" is decided on the rounded level
# (as PyTorch's fake quantization does), not by comparing $x$ with $q_{\max} s$: the largest
# weight divided by its own scale is $q_{\max}$ only up to rounding error, and must not lose
# its gradient for being one float32 ulp too large. Why zero outside? A clipped value is stuck at
# the end of the grid; passing it a gradient would push it further out forever with no effect on
# the loss.
#
# **Why no central-difference check here.** Central differences estimate
# $(\operatorname{fq}(x + h) - \operatorname{fq}(x - h)) / 2h$. With $h = 10^{-6}$ and a step of,
# say, $s = 0.01$, that is almost always exactly 0 (both points on the same step) and, when
# $x$ is within $h$ of a jump, $s / 2h = 5000$. Neither is the STE's 1: the STE is a *chosen*
# gradient, not the derivative of the forward function, so a numerical check would fail on the
# correct code. We check it exactly instead: the gradient must *equal* `grad_output` inside the
# range and 0 outside. The next cell shows the numbers.
#
# Write `FakeQuantizeBackward.backward` (a `Function` from module 05: its one input is `x`, and
# `inside` is the boolean mask saved by the forward pass), then `fake_quantize(x, scale, bits=8)`:
# compute the rounded levels `round(x / scale)`, the mask `|levels| <= q_max`, and the values
# `clip(levels, -q_max, q_max) * scale` in x's dtype, all in numpy, and finish with `return attach(Tensor(values), FakeQuantizeBackward(x, inside))`.
# `scale` may be a number or an array that broadcasts against `x`; it is a constant (no gradient).
#
# The layer `FakeQuantize(bits=8, scale=None)` applies it to whatever passes through: with a
# fixed `scale` (for instance a calibrated one) values beyond the range are clipped; with
# `scale=None` it uses the symmetric scale of each input itself. `QATLinear(linear, bits=8)`
# fake-quantizes a Linear's weight per output channel in every forward pass, so the layer trains
# its float weights while always *computing* with their quantized values.

# %% nbgrader={"grade": false, "grade_id": "fake-quant-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
class FakeQuantizeBackward(Function):
    """Straight-through estimator: the gradient passes unchanged inside the range, 0 outside."""

    def __init__(self, x, inside):
        super().__init__(x)
        self.inside = inside  # boolean numpy array, True where x was not clipped

    def backward(self, grad_output):
        ### BEGIN SOLUTION
        return (grad_output * self.inside,)
        ### END SOLUTION


def fake_quantize(x, scale, bits=8):
    """Quantize then dequantize x (a Tensor) on the symmetric grid; STE gradient. Returns a Tensor."""
    values = as_float_array(x)
    scale = np.asarray(scale, dtype=values.dtype)
    _, q_max = integer_limits(bits, signed=True)
    ### BEGIN SOLUTION
    levels = np.round(values / scale)
    inside = np.abs(levels) <= q_max
    restored = (np.clip(levels, -q_max, q_max) * scale).astype(values.dtype)
    return attach(Tensor(restored), FakeQuantizeBackward(x, inside))
    ### END SOLUTION


class FakeQuantize(Layer):
    """fake_quantize as a layer: a fixed scale, or (scale=None) the symmetric scale of each input."""

    def __init__(self, bits=8, scale=None):
        self.bits = bits
        self.scale = scale

    def forward(self, x):
        scale = self.scale if self.scale is not None else quantize_symmetric(x, bits=self.bits)[1]
        return fake_quantize(x, scale, self.bits)

    def __repr__(self):
        return f"FakeQuantize(bits={self.bits}, scale={self.scale})"


class QATLinear(Layer):
    """A Linear whose forward uses its weight fake-quantized per output channel (for QAT)."""

    def __init__(self, linear, bits=8):
        self.linear = linear  # trains the float weight and bias of this Linear
        self.bits = bits

    def forward(self, x):
        x = x if isinstance(x, Tensor) else Tensor(x)
        _, scale = quantize_weight(self.linear.weight, layout="linear", bits=self.bits)
        output = x @ fake_quantize(self.linear.weight, scale, self.bits)
        if self.linear.bias is not None:
            output = output + self.linear.bias
        return output

    def __repr__(self):
        return f"QATLinear({self.linear.in_features}, {self.linear.out_features}, bits={self.bits})"


# %% nbgrader={"grade": true, "grade_id": "fake-quant-ste", "locked": true, "points": 3, "schema_version": 3, "solution": false}
x = Tensor(np.array([-0.5, -0.26, -0.1, 0.0, 0.04, 0.24, 0.3, 1.0]), requires_grad=True)
y = fake_quantize(x, scale=0.1, bits=2)  # q_max = 1: levels -0.1, 0, 0.1; range [-0.1, 0.1]
np.testing.assert_allclose(y.data, [-0.1, -0.1, -0.1, 0.0, 0.0, 0.1, 0.1, 0.1], atol=1e-12,
                           err_msg="forward: round to the grid, clip to [-0.1, 0.1]")
assert y.dtype == np.float64 and y.requires_grad, "same dtype as the input, and part of the graph"
upstream = np.arange(1.0, 9.0)
(y * Tensor(upstream)).sum().backward()
np.testing.assert_array_equal(x.grad, [0, 0, 3, 4, 5, 0, 0, 0],
                              err_msg="STE: the upstream gradient inside [-0.1, 0.1], exactly 0 where x was clipped")
w = Tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)
(fake_quantize(w, quantize_symmetric(w, bits=4)[1], bits=4) * 2.0).sum().backward()
np.testing.assert_array_equal(w.grad, 2.0, err_msg="a scale from max|w| clips nothing: the gradient is the identity")
layer = FakeQuantize(bits=4, scale=0.25)
out = layer(Tensor(np.array([0.3, 5.0])))
np.testing.assert_allclose(out.data, [0.25, 1.75], err_msg="FakeQuantize(4 bits, scale 0.25): 0.3 -> 0.25, 5.0 clipped to 7 * 0.25")
# why not central differences: the staircase's slope is 0 or huge, never the STE's 1
h, point = 1e-6, 0.04
numeric = (fake_quantize(Tensor(np.array([point + h])), 0.1).data - fake_quantize(Tensor(np.array([point - h])), 0.1).data) / (2 * h)
jump = (fake_quantize(Tensor(np.array([0.05 + h])), 0.1).data - fake_quantize(Tensor(np.array([0.05 - h])), 0.1).data) / (2 * h)
print(f"central difference at x=0.04: {numeric[0]:.1f}; at the jump x=0.05: {jump[0]:.1f}; STE gradient: 1")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1607)
for _ in range(6):
    shape = tuple(int(n) for n in rng.integers(1, 6, size=int(rng.integers(1, 4))))
    bits = int(rng.integers(2, 9))
    q_max = 2 ** (bits - 1) - 1
    data = rng.standard_normal(shape) * 2
    scale = float(rng.uniform(0.05, 0.5))
    xt = Tensor(data, requires_grad=True)
    out = fake_quantize(xt, scale, bits)
    np.testing.assert_allclose(out.data, scale * np.clip(np.round(data / scale), -q_max, q_max), rtol=1e-12)
    upstream = rng.standard_normal(shape)
    (out * Tensor(upstream)).sum().backward()
    inside = np.abs(np.round(data / scale)) <= q_max
    np.testing.assert_array_equal(xt.grad, np.where(inside, upstream, 0.0))
# per-channel scale broadcasts, and FakeQuantize(scale=None) never clips
wt = Tensor(rng.standard_normal((5, 3)), requires_grad=True)
scale = np.array([[0.1, 1.0, 10.0]])
fake_quantize(wt, scale, 3).sum().backward()
np.testing.assert_array_equal(wt.grad, (np.abs(np.round(wt.data / scale)) <= 3).astype(float))
xt = Tensor(rng.standard_normal(7), requires_grad=True)
FakeQuantize(bits=3)(xt).sum().backward()
np.testing.assert_array_equal(xt.grad, 1.0)
with no_grad():
    assert fake_quantize(Tensor(data, requires_grad=True), 0.1).grad_fn is None
assert fake_quantize(Tensor(np.ones(2, dtype=np.float32)), 0.3).dtype == np.float32
### END HIDDEN TESTS

# %% [markdown]
# ### Gradient flow through a fake-quantized model
#
# A QAT model for the digits: fake-quantize the input, `QATLinear` layers (weights
# fake-quantized), a ReLU, and a fake-quantized hidden activation. After one backward pass every
# parameter must have a gradient of its own shape, not all zeros — the STE is what lets it through
# the rounding. And the gradient of each weight must be *exactly* what the float Linear would get
# at the quantized weights (nothing is clipped, so the STE passes it unchanged).

# %%
from autograder.gradcheck import check_gradient_flow, check_parameter_coverage

np.random.seed(4)
qat_probe = Sequential(FakeQuantize(bits=4), QATLinear(Linear(6, 5), bits=4), ReLU(), FakeQuantize(bits=4),
                       QATLinear(Linear(5, 3), bits=4))
probe_x = Tensor(np.random.default_rng(4).standard_normal((8, 6)), requires_grad=True)
probe_targets = np.random.default_rng(5).integers(0, 3, size=8)
named = check_parameter_coverage(qat_probe)
check_gradient_flow(lambda: CrossEntropyLoss()(qat_probe(probe_x), probe_targets), {"x": probe_x, **named},
                    check_values=False)
print("every parameter and the input got a gradient of the right shape:", list(named))

# %% [markdown]
# ## Putting it together — the digits, quantized
#
# The integration test trains a small MLP on the shipped 8×8 digits (module 08's loader,
# module 06's Adam, module 07's `Trainer`, seeded, a few seconds), then:
#
# 1. quantizes it with calibration: the weights must take about 4× fewer bytes, and the test
#    accuracy may change by at most 1.5 percentage points;
# 2. fake-quantizes a copy of it to 2 bits per output channel — far too coarse, accuracy drops —
#    and runs a few epochs of quantization-aware training with `QATLinear(bits=2)`: the training
#    loss must fall and the accuracy recover.

# %%
def load_digit_splits():
    """Digits as float32 vectors in [0, 1] (64 features), split 80/20 with a fixed seed."""
    images, labels = load_digits()
    features = (images.reshape(len(images), -1) / 16.0).astype(np.float32)
    return train_test_split(features, labels, test_fraction=0.2, seed=0)


def train_digit_mlp(x_train, y_train, epochs=15, seed=0):
    """A seeded 64-32-10 ReLU MLP trained with Adam through the Trainer."""
    np.random.seed(seed)
    model = Sequential(Linear(64, 32, init="he"), ReLU(), Linear(32, 10))
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True, seed=seed)
    Trainer(model, Adam(model.parameters(), lr=0.01), CrossEntropyLoss()).fit(loader, epochs=epochs, progress=False)
    return model


def copy_linear(layer):
    """A new Linear with the same weight and bias values (training the copy leaves `layer` alone)."""
    copy = Linear(layer.in_features, layer.out_features)
    copy.weight.data = layer.weight.data.copy()
    copy.bias.data = layer.bias.data.copy()
    return copy


def accuracy(model, x, y):
    """Fraction of examples whose largest logit is the label."""
    with no_grad():
        return float(np.mean(model(Tensor(x)).data.argmax(axis=1) == y))


x_train, x_test, y_train, y_test = load_digit_splits()

# %% nbgrader={"grade": true, "grade_id": "quantization-integration", "locked": true, "points": 3, "schema_version": 3, "solution": false}
start = time.perf_counter()
digit_model = train_digit_mlp(x_train, y_train)
float_accuracy = accuracy(digit_model, x_test, y_test)
int8_model = quantize_model(digit_model, calibration_batches=[x_train[i:i + 256] for i in range(0, 1024, 256)])
int8_accuracy = accuracy(int8_model, x_test, y_test)
float_bytes, int8_bytes = model_nbytes(digit_model), model_nbytes(int8_model)
weight_float = sum(layer.weight.data.nbytes for layer in digit_model.layers if isinstance(layer, Linear))
weight_int8 = sum(layer.weight_q.nbytes for layer in int8_model.layers if isinstance(layer, QuantizedLinear))
print(f"trained in {time.perf_counter() - start:.1f} s")
print(f"float32: {float_bytes} bytes, test accuracy {float_accuracy:.2%}")
print(f"int8:    {int8_bytes} bytes, test accuracy {int8_accuracy:.2%} (weights {weight_float} -> {weight_int8} bytes)")
assert float_accuracy > 0.9, f"the float MLP should learn the digits: {float_accuracy:.2%}"
assert weight_float == 4 * weight_int8, "int8 weights: exactly 4x fewer bytes"
assert float_bytes / int8_bytes > 3.5, f"the whole model is about 4x smaller: {float_bytes} -> {int8_bytes}"
assert abs(int8_accuracy - float_accuracy) <= 0.015, f"int8 costs at most 1.5 points: {float_accuracy:.2%} -> {int8_accuracy:.2%}"

# quantization-aware training at 2 bits: the loss falls
qat_model = Sequential(QATLinear(copy_linear(digit_model.layers[0]), bits=2), ReLU(),
                       QATLinear(copy_linear(digit_model.layers[2]), bits=2))
qat_before = accuracy(qat_model, x_test, y_test)
loader = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True, seed=1)
history = Trainer(qat_model, Adam(qat_model.parameters(), lr=0.005), CrossEntropyLoss()).fit(loader, epochs=4, progress=False)
qat_after = accuracy(qat_model, x_test, y_test)
print(f"2-bit weights: accuracy {qat_before:.2%} before QAT, {qat_after:.2%} after; "
      f"training loss per epoch {np.round(history['train_loss'], 3).tolist()}")
assert history["train_loss"][-1] < history["train_loss"][0], "QAT: the training loss falls through the STE"
assert qat_after > qat_before, "QAT recovers accuracy at 2 bits"
### BEGIN HIDDEN TESTS
from autograder.gradcheck import check_gradient_flow, check_parameter_coverage

rng = np.random.default_rng(1608)
np.random.seed(1608)
probe = Sequential(FakeQuantize(bits=6), QATLinear(Linear(7, 6), bits=3), ReLU(), QATLinear(Linear(6, 4), bits=3))
xt = Tensor(rng.standard_normal((5, 7)), requires_grad=True)
targets = rng.integers(0, 4, size=5)
named = check_parameter_coverage(probe)
assert len(named) == 4
check_gradient_flow(lambda: CrossEntropyLoss()(probe(xt), targets), {"x": xt, **named}, check_values=False)
# exact STE rule for a weight: the float gradient at the fake-quantized weight
first = probe.layers[1].linear
first.weight.grad = first.bias.grad = None
out = probe.layers[1](Tensor(xt.data))
upstream = rng.standard_normal(out.shape)
(out * Tensor(upstream)).sum().backward()
np.testing.assert_allclose(first.weight.grad, xt.data.T @ upstream, rtol=1e-5, atol=1e-6)
np.testing.assert_allclose(first.bias.grad, upstream.sum(axis=0), rtol=1e-5, atol=1e-6)
# quantize the trained model again with dynamic scales: still within 1.5 points
assert abs(accuracy(quantize_model(digit_model), x_test, y_test) - float_accuracy) <= 0.015
### END HIDDEN TESTS

# %% [markdown]
# ### Accuracy against bits: per tensor or per channel
#
# The same trained float model, its weights quantized (and dequantized, so only the weights'
# precision changes) with 8, 6, 4, 3 and 2 bits, one scale per tensor or per output channel.

# %%
def weight_quantized_copy(model, bits, per_channel):
    """A copy of a Linear/ReLU Sequential whose weights went through `bits`-bit quantization."""
    layers = []
    for layer in model.layers:
        if isinstance(layer, Linear):
            copy = Linear(layer.in_features, layer.out_features)
            q, scale = quantize_weight(layer.weight.data, per_channel=per_channel, bits=bits)
            copy.weight.data = dequantize(q, scale)
            copy.bias.data = layer.bias.data.copy()
            layers.append(copy)
        else:
            layers.append(layer)
    return Sequential(*layers)


float_digits = train_digit_mlp(x_train, y_train)
bit_widths = [8, 6, 4, 3, 2]
curves = {per_channel: [accuracy(weight_quantized_copy(float_digits, bits, per_channel), x_test, y_test)
                        for bits in bit_widths] for per_channel in (False, True)}
print("bits  per-tensor  per-channel")
for i, bits in enumerate(bit_widths):
    print(f"{bits:4d}  {curves[False][i]:10.2%}  {curves[True][i]:11.2%}")
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
axes[0].plot(bit_widths, curves[False], "o-", label="per tensor")
axes[0].plot(bit_widths, curves[True], "s-", label="per output channel")
axes[0].axhline(accuracy(float_digits, x_test, y_test), color="gray", ls="--", label="float32")
axes[0].set(xlabel="bits per weight", ylabel="test accuracy", title="Digits MLP: accuracy vs weight bits")
axes[0].invert_xaxis()
axes[0].legend()
first_weight = float_digits.layers[0].weight.data
_, scale8 = quantize_weight(first_weight, per_channel=False)
axes[1].hist(first_weight.ravel(), bins=120, color="steelblue")
_, scale4 = quantize_weight(first_weight, per_channel=False, bits=4)
for level in np.arange(-7, 8) * float(scale4):
    axes[1].axvline(level, color="crimson", lw=0.8, alpha=0.7)
axes[1].set(xlabel="weight", ylabel="count", yscale="log",
            title=f"Trained first layer: 4-bit levels (8-bit step {float(scale8):.4f})")
plt.tight_layout()
plt.show()

# %% [markdown]
# At 8 bits both are indistinguishable from float32. Down to about 4 bits the two differ by a
# point or so either way — the test set has 359 examples, so one example is 0.28 points, and
# such differences are noise. At 3 and 2 bits per-channel scales hold up much better: a trained
# layer has some output units with large weights and many with small ones, and one shared
# scale spends the few levels on the large ones. The histogram shows why
# low-bit grids are hard: trained weights pile up near zero, where a coarse grid has a single
# level (0), and a long tail sets the scale.

# %% [markdown]
# ## Summary
#
# - **Affine quantization** $q = \operatorname{clip}(\operatorname{round}(x/s) + z)$, $\hat x = s(q - z)$:
#   rounding costs at most $s/2$ inside the range; clipping keeps integers from wrapping.
# - **Symmetric** (int8, $z = 0$, $s = \max\lvert x\rvert/127$) for weights; **asymmetric** (uint8,
#   integer zero point, range widened to include 0 so that 0.0 is exact) for one-sided data.
# - **Per-channel** scales, one per *output* channel (axis 1 of a Linear weight, axis 0 of a
#   Conv2d weight), factor out of the matmul and keep small channels precise.
# - **Calibration** records activation ranges on sample data (min/max or a percentile) to fix
#   static input scales.
# - **QuantizedLinear**: int8 × int8 products accumulated in int32, one rescale by
#   $s_x s_w$, float bias; `quantize_model` builds a new model. You measured 4× fewer bytes
#   for the weights and about 1 point of accuracy or less on the digits; numpy's integer matmul
#   is slow, which is why real int8 speed needs int8 hardware.
# - **Fake quantization with a straight-through estimator** gives the rounding a usable
#   gradient — identity inside the range, zero outside — checked exactly, since central
#   differences on a staircase are 0 or huge. A few epochs of QAT recover accuracy at 2 bits.
#
# **Next:** module 17 shrinks models another way — by removing weights (pruning), factoring
# them (low rank), and distilling a large model into a small one.
#
# **Export your work** into your own package: `python -m autograder export` with this notebook
# writes `tinytorch/perf/quantization.py`.
