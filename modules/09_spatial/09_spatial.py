# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Module 09 — Spatial: convolution, pooling, batch normalization
#
# A dense layer sees an image as a long list of numbers: it does not know that pixel 57 sits
# next to pixel 58, and it must learn "an edge here" separately for every place an edge can be.
# **Convolutional** layers build in what we know about images: nearby pixels belong together,
# and a pattern means the same thing wherever it appears. In this module you build the layers
# of a convolutional network (CNN).
#
# **What you build.**
# - `conv2d_naive`, a convolution written as plain loops, so you see exactly what it computes;
# - `Conv2d`, the same computation vectorized: windows as a strided view of the image
#   (`im2col`), ONE matrix product forward, and a hand-written backward (`Conv2dBackward`)
#   whose input gradient folds the windows back onto the image (`col2im`);
# - `MaxPool2d` and `AvgPool2d`, which shrink feature maps, each with its own backward;
# - `BatchNorm2d`, which normalizes every channel over the batch, with running statistics for
#   evaluation;
# - `Flatten`, the bridge from feature maps to a `Linear` classifier.
#
# **Why.** Convolutions are what made deep learning work on images, and they are a lesson in
# systems thinking: written naively they are six nested loops and hopelessly slow; rearranged
# as one matrix product they run at the speed of the hardware. You will measure the difference.
#
# **What you need.** `Tensor` (module 01), `ReLU` (02), `Layer`, `Linear`, `Sequential` (03),
# `CrossEntropyLoss` (04) and autograd (05): `Function`, `attach`, `no_grad`, `.backward()`.
#
# **Where it lands.** Your classes are exported to `tinytorch/core/spatial.py`; later code
# writes `from tinytorch.core.spatial import Conv2d, MaxPool2d, AvgPool2d, BatchNorm2d, Flatten`.
#
# **How this notebook works.** Fill in the places marked `# YOUR CODE HERE` (delete the
# `raise NotImplementedError()` line), run the cell, then run the test cell below it. Visible
# tests give you feedback now; when your notebook is graded, hidden tests in the same cells try
# random shapes, strides and paddings, and compare your gradients with numerical ones.

# %%
#| default_exp core.spatial
#| export
import numpy as np

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from tinytorch.core.autograd import Function, attach
from tinytorch.core.layers import Layer
from tinytorch.core.tensor import Tensor

# %%
import time

import matplotlib.pyplot as plt

from autograder.gradcheck import check_gradient_flow, check_model_gradients
from tinytorch.core.activations import ReLU
from tinytorch.core.autograd import no_grad
from tinytorch.core.layers import Linear, Sequential
from tinytorch.core.losses import CrossEntropyLoss

# %% [markdown]
# ## What a convolution computes
#
# Images arrive as 4-D tensors of shape $(N, C, H, W)$: $N$ images, $C$ channels (3 for RGB, 1
# for grey), $H \times W$ pixels. A convolution layer holds $C_\text{out}$ small **kernels**
# (filters), each of shape $(C, k_H, k_W)$, so its weight has shape
# $(C_\text{out}, C, k_H, k_W)$. Each kernel slides over the image; at every position it
# multiplies the window under it element by element and adds everything up, plus a bias:
#
# $$y[n, o, h, w] \;=\; b_o + \sum_{c=0}^{C-1} \sum_{i=0}^{k_H-1} \sum_{j=0}^{k_W-1}
#   W[o, c, i, j]\; x_p[n,\, c,\, h s + i,\, w s + j]$$
#
# where $s$ is the **stride** (how far the window moves per step) and $x_p$ is the input with
# **padding**: $p$ rows and columns of zeros added on every side. Every output channel $o$ is
# a **feature map**: where in the image its kernel's pattern appears.
#
# ```
#  input 5x5 (padding 0), kernel 3x3, stride 1       output 3x3
#  +---+---+---+---+---+
#  | a | b | c | . | . |     window at (0, 0):        +----+---+---+
#  +---+---+---+---+---+     y[0,0] = sum(window      | y00| . | . |
#  | d | e | f | . | . |              * kernel) + b   +----+---+---+
#  +---+---+---+---+---+                              |  . | . | . |
#  | g | h | i | . | . |     then slide right by      +----+---+---+
#  +---+---+---+---+---+     the stride: y[0,1] ...   |  . | . | . |
#  | . | . | . | . | . |                              +----+---+---+
#  +---+---+---+---+---+
# ```
#
# (Strictly, this is a *cross-correlation*: mathematics' convolution flips the kernel first.
# Deep-learning libraries all skip the flip — the kernel is learned, so the flip would only
# relabel it.)
#
# Two things make this layer cheap in parameters: **local connectivity** (each output looks at
# a $k_H \times k_W$ window, not the whole image) and **weight sharing** (the same kernel at
# every position). A $3 \times 3$ kernel on a grey image has 10 parameters whatever the image
# size.
#
# ## Step 1 — The output size
#
# Along one axis, an input of size $H$ padded by $p$ on both sides has $H + 2p$ positions. A
# window of size $k$ fits at starting positions $0, 1, \dots, H + 2p - k$; taking every $s$-th
# of them leaves
#
# $$H_\text{out} = \left\lfloor \frac{H + 2p - k}{s} \right\rfloor + 1 .$$
#
# Examples: $H = 32, k = 3, p = 1, s = 1$ gives 32 ("same" padding: $p = (k-1)/2$ keeps the
# size); with $s = 2$ it gives 16 (a stride of 2 halves the map). When $k > H + 2p$ no window
# fits: that is an error, not an empty output. The same formula sizes pooling windows.

# %% nbgrader={"grade": false, "grade_id": "output-size", "locked": false, "schema_version": 3, "solution": true}
#| export
def _pair(value):
    """An int or a pair of ints as a pair (height, width): 3 -> (3, 3), (3, 5) -> (3, 5)."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"expected an int or a pair (height, width), got {value!r}")
        return int(value[0]), int(value[1])
    return int(value), int(value)


def conv_output_size(size, kernel_size, stride=1, padding=0):
    """Number of window positions along one axis: floor((size + 2*padding - kernel_size) / stride) + 1.

    Raise ValueError when stride < 1, padding < 0, or the kernel is larger than the padded
    input (size + 2*padding): say which sizes do not fit.
    """
    ### BEGIN SOLUTION
    if stride < 1 or padding < 0:
        raise ValueError(f"stride must be at least 1 and padding at least 0, got stride={stride}, padding={padding}")
    if kernel_size > size + 2 * padding:
        raise ValueError(
            f"kernel size {kernel_size} is larger than the padded input: {size} + 2*{padding} = {size + 2 * padding}"
        )
    return (size + 2 * padding - kernel_size) // stride + 1
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "conv-output-shape", "locked": true, "points": 2, "schema_version": 3, "solution": false}
for args, expected in [((32, 3), 30), ((32, 3, 1, 1), 32), ((32, 3, 2, 1), 16), ((7, 3, 2), 3), ((28, 5, 1, 2), 28), ((5, 5), 1)]:
    got = conv_output_size(*args)
    assert got == expected, f"conv_output_size{args} (size, kernel, stride, padding) should be {expected}, got {got}"
for bad in [(2, 5), (4, 3, 0), (4, 3, 1, -1)]:
    try:
        conv_output_size(*bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"conv_output_size{bad} must raise ValueError")
print("Output sizes correct.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(9001)
for _ in range(50):
    size, kernel, stride, padding = (int(v) for v in (rng.integers(1, 40), rng.integers(1, 8), rng.integers(1, 5), rng.integers(0, 4)))
    if kernel > size + 2 * padding:
        try:
            conv_output_size(size, kernel, stride, padding)
        except ValueError:
            continue
        raise AssertionError(f"kernel {kernel} does not fit in {size} + 2*{padding}: raise ValueError")
    positions = len(range(0, size + 2 * padding - kernel + 1, stride))
    got = conv_output_size(size, kernel, stride, padding)
    assert got == positions, f"conv_output_size({size}, {kernel}, {stride}, {padding}) should be {positions}, got {got}"
### END HIDDEN TESTS

# %% [markdown]
# ## Step 2 — The convolution as loops
#
# Before making it fast, write it the way the formula reads: for every sample, every output
# channel, every output row and column, take the window of the padded input (all channels at
# once) and sum its product with that channel's kernel. Four loops, each iteration doing one
# small `np.sum(window * kernel)`.
#
# `np.pad(x, ((0, 0), (0, 0), (p_h, p_h), (p_w, p_w)))` pads only the two spatial axes.
# The window of output position `(row, col)` starts at `(row * s_h, col * s_w)` of the padded
# input.

# %% nbgrader={"grade": false, "grade_id": "naive-conv", "locked": false, "schema_version": 3, "solution": true}
#| export
def conv2d_naive(x, weight, bias=None, stride=1, padding=0):
    """The convolution of numpy arrays x (N, C, H, W) and weight (C_out, C, kH, kW), by loops.

    bias: None or an array (C_out,). stride, padding: an int or a pair (height, width).
    Returns an array (N, C_out, H_out, W_out) of x's and weight's common dtype
    (np.result_type(x, weight)), sizes from conv_output_size.
    """
    batch, channels, height, width = x.shape
    out_channels, in_channels, kernel_h, kernel_w = weight.shape
    if channels != in_channels:
        raise ValueError(f"input has {channels} channels but the kernels expect {in_channels}")
    (stride_h, stride_w), (pad_h, pad_w) = _pair(stride), _pair(padding)
    ### BEGIN SOLUTION
    out_h = conv_output_size(height, kernel_h, stride_h, pad_h)
    out_w = conv_output_size(width, kernel_w, stride_w, pad_w)
    padded = np.pad(x, ((0, 0), (0, 0), (pad_h, pad_h), (pad_w, pad_w)))
    out = np.zeros((batch, out_channels, out_h, out_w), dtype=np.result_type(x, weight))
    for sample in range(batch):
        for channel in range(out_channels):
            for row in range(out_h):
                for col in range(out_w):
                    top, left = row * stride_h, col * stride_w
                    window = padded[sample, :, top:top + kernel_h, left:left + kernel_w]
                    out[sample, channel, row, col] = np.sum(window * weight[channel])
            if bias is not None:
                out[sample, channel] += bias[channel]
    return out
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "conv2d-naive", "locked": true, "points": 3, "schema_version": 3, "solution": false}
image = np.arange(16, dtype=np.float64).reshape(1, 1, 4, 4)
box = np.ones((1, 1, 2, 2))
out = conv2d_naive(image, box)
assert out.shape == (1, 1, 3, 3), f"4x4 input, 2x2 kernel: output (1, 1, 3, 3), got {out.shape}"
np.testing.assert_allclose(out[0, 0], [[10, 14, 18], [26, 30, 34], [42, 46, 50]], err_msg="sums of 2x2 windows")
np.testing.assert_allclose(conv2d_naive(image, box, stride=2)[0, 0], [[10, 18], [42, 50]], err_msg="stride 2")
np.testing.assert_allclose(conv2d_naive(image, box, bias=np.array([1.0]), stride=2)[0, 0], [[11, 19], [43, 51]], err_msg="bias")
padded_out = conv2d_naive(image, np.ones((1, 1, 1, 1)), padding=1)[0, 0]
np.testing.assert_allclose(padded_out, np.pad(image[0, 0], 1), err_msg="a 1x1 kernel of 1 with padding 1 returns the padded image")
two_channels = np.stack([np.ones((3, 3)), 2 * np.ones((3, 3))])[None]  # (1, 2, 3, 3)
kernels = np.ones((4, 2, 3, 3)) * np.arange(1, 5)[:, None, None, None]
np.testing.assert_allclose(conv2d_naive(two_channels, kernels).ravel(), [27, 54, 81, 108], err_msg="sums over every input channel")
print("conv2d_naive computes convolutions.")
### BEGIN HIDDEN TESTS
def reference_conv(x, weight, bias, stride, padding):
    (sh, sw), (ph, pw) = stride, padding
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, weight.shape[2:], axis=(2, 3))[:, :, ::sh, ::sw]
    return np.einsum("nchwij,ocij->nohw", windows, weight) + bias[None, :, None, None]

rng = np.random.default_rng(9002)
for _ in range(6):
    n, c, c_out = (int(v) for v in rng.integers(1, 4, size=3))
    kh, kw, sh, sw, ph, pw = (int(v) for v in rng.integers([1, 1, 1, 1, 0, 0], [4, 4, 3, 3, 3, 3]))
    h, w = int(rng.integers(kh, 8)), int(rng.integers(kw, 8))
    x, weight, bias = rng.standard_normal((n, c, h, w)), rng.standard_normal((c_out, c, kh, kw)), rng.standard_normal(c_out)
    got = conv2d_naive(x, weight, bias, stride=(sh, sw), padding=(ph, pw))
    np.testing.assert_allclose(got, reference_conv(x, weight, bias, (sh, sw), (ph, pw)), rtol=1e-10, atol=1e-12,
                               err_msg=f"x {x.shape}, weight {weight.shape}, stride {(sh, sw)}, padding {(ph, pw)}")
assert conv2d_naive(x.astype(np.float32), weight.astype(np.float32)).dtype == np.float32, "float32 in, float32 out"
### END HIDDEN TESTS

# %% [markdown]
# ## Step 3 — Windows without loops: strided views and im2col
#
# The loops above do very little arithmetic per Python step, so the interpreter's overhead
# dominates. The way out is to hand *all* the windows to numpy at once.
#
# **Windows as a view.** A numpy array is a block of memory plus *strides* (module 01). The
# array of all $k_H \times k_W$ windows of an image needs no new memory: it is the same buffer
# read with two more axes, whose strides are the image's own row and column strides.
# `np.lib.stride_tricks.sliding_window_view(padded, (kH, kW), axis=(2, 3))` builds that view,
# of shape $(N, C, H_p - k_H + 1, W_p - k_W + 1, k_H, k_W)$; slicing its position axes with
# `[:, :, ::s_h, ::s_w]` applies the stride. Result: `windows[n, c, h, w]` is the $k_H \times
# k_W$ window of channel $c$ that output position $(h, w)$ reads — for free.
#
# **im2col: one matrix product.** Now rearrange: one **column** per output position $(n, h,
# w)$, holding its window over all channels, $C k_H k_W$ numbers. That matrix, of shape
# $(C k_H k_W,\; N H_\text{out} W_\text{out})$, is the *image-to-columns* matrix. Flatten each
# kernel into a row, $W_2$ of shape $(C_\text{out}, C k_H k_W)$, and the whole convolution is
#
# $$Y_2 = W_2 \,\cdot\, \text{cols} \qquad (C_\text{out}, C k_H k_W) \times (C k_H k_W, N H_\text{out} W_\text{out}),$$
#
# one matrix product that BLAS runs at full speed; reshape $Y_2$ to $(C_\text{out}, N,
# H_\text{out}, W_\text{out})$ and swap the first two axes to get $(N, C_\text{out},
# H_\text{out}, W_\text{out})$. The price: this reshape *copies*, and every input pixel appears
# in up to $k_H k_W$ columns — you will measure that blow-up in the systems view.
#
# The column order must match $W_2$'s: `weight.reshape(C_out, -1)` lists each kernel as
# $(c, i, j)$, so the rows of `cols` must be ordered $(c, i, j)$ too, and its columns
# $(n, h, w)$. From `windows` of shape $(N, C, H_\text{out}, W_\text{out}, k_H, k_W)$ that is
# `windows.transpose(1, 4, 5, 0, 2, 3).reshape(C * kH * kW, -1)`.
#
# Padding value: zeros for a convolution and for average pooling; max pooling will pad with
# $-\infty$ so that padding never wins a max. Hence `pad_value`.

# %% nbgrader={"grade": false, "grade_id": "im2col", "locked": false, "schema_version": 3, "solution": true}
#| export
def sliding_windows(x, kernel_size, stride=1, padding=0, pad_value=0.0):
    """Every window of the numpy array x (N, C, H, W), as a view (N, C, H_out, W_out, kH, kW).

    windows[n, c, h, w] is the kH x kW window of channel c that output position (h, w) reads.
    kernel_size, stride, padding: an int or a pair. The input is padded with `pad_value`
    (np.pad(..., constant_values=pad_value); skip it when there is no padding, so that the
    result stays a view of x), then viewed with
    np.lib.stride_tricks.sliding_window_view, then the stride is applied by slicing. Use
    conv_output_size for H_out and W_out: it also raises the error when the kernel does not fit.
    """
    (kernel_h, kernel_w), (stride_h, stride_w), (pad_h, pad_w) = _pair(kernel_size), _pair(stride), _pair(padding)
    ### BEGIN SOLUTION
    out_h = conv_output_size(x.shape[2], kernel_h, stride_h, pad_h)
    out_w = conv_output_size(x.shape[3], kernel_w, stride_w, pad_w)
    if pad_h or pad_w:
        x = np.pad(x, ((0, 0), (0, 0), (pad_h, pad_h), (pad_w, pad_w)), constant_values=pad_value)
    windows = np.lib.stride_tricks.sliding_window_view(x, (kernel_h, kernel_w), axis=(2, 3))
    return windows[:, :, : out_h * stride_h : stride_h, : out_w * stride_w : stride_w]
    ### END SOLUTION


def im2col(x, kernel_size, stride=1, padding=0):
    """The column matrix (C*kH*kW, N*H_out*W_out) of x (N, C, H, W): one column per output
    position (n, h, w), holding that position's window over all channels, ordered (c, i, j).
    """
    ### BEGIN SOLUTION
    windows = sliding_windows(x, kernel_size, stride, padding)
    batch, channels, out_h, out_w, kernel_h, kernel_w = windows.shape
    return windows.transpose(1, 4, 5, 0, 2, 3).reshape(channels * kernel_h * kernel_w, batch * out_h * out_w)
    ### END SOLUTION

# %% [markdown]
# ## Step 4 — `Conv2d`, forward
#
# The layer keeps
# - `weight` of shape $(C_\text{out}, C, k_H, k_W)$, **He-initialized** (module 03): normal
#   with standard deviation $\sqrt{2 / \text{fan\_in}}$, where a kernel's fan-in is
#   $C k_H k_W$, the number of inputs each output sums over; float32, drawn from `np.random`
#   so that `np.random.seed` makes it reproducible;
# - `bias` of shape $(C_\text{out},)$, zeros (or `None` with `bias=False`);
# - `kernel_size`, `stride`, `padding` as pairs, whatever the caller passed.
#
# `forward` builds the columns, does the one matrix product, adds the bias to every column
# (`bias[:, None]` broadcasts along the positions), reshapes, and finishes like every layer
# with a Function of its own:
#
# ```python
# return attach(Tensor(out), Conv2dBackward(x, self.weight, self.bias, cols, self.stride, self.padding))
# ```
#
# `attach` records the node only when gradients are on and something needs them. Keeping
# `cols` in the node spares the backward pass from rebuilding it — memory traded for time, as
# every framework does. `Conv2dBackward.backward` is Step 5: leave it for now.
#
# Use `np.ascontiguousarray` on the final transposed output: the next layer reads it, and
# reads of memory in order are fast (module 01).

# %% nbgrader={"grade": false, "grade_id": "conv2d-class", "locked": false, "schema_version": 3, "solution": true}
#| export
class Conv2dBackward(Function):
    """The convolution as one graph node: inputs (x, weight, bias), bias possibly None."""

    def __init__(self, x, weight, bias, cols, stride, padding):
        super().__init__(x, weight, bias)
        self.cols = cols  # the im2col matrix of the forward pass
        self.stride, self.padding = stride, padding

    def backward(self, grad_output):
        """(grad_x, grad_weight, grad_bias) as numpy arrays; grad_bias is None without a bias,
        and grad_x is None when x does not require a gradient (the input of a first layer is
        data: skipping it saves the largest part of the work). Step 5 derives the formulas.
        """
        x, weight, bias = self.inputs
        out_channels, in_channels, kernel_h, kernel_w = weight.shape
        batch, _, out_h, out_w = grad_output.shape
        ### BEGIN SOLUTION
        # (C_out, N*H_out*W_out), matching the columns; contiguous, because the gradient of a
        # sum arrives as a broadcast view, and matmul on such a view is not handed to BLAS.
        grad_rows = np.ascontiguousarray(grad_output.transpose(1, 0, 2, 3)).reshape(out_channels, -1)
        grad_weight = (grad_rows @ self.cols.T).reshape(weight.shape)
        grad_bias = grad_rows.sum(axis=1) if bias is not None else None
        grad_x = None
        if x.requires_grad:
            grad_cols = weight.data.reshape(out_channels, -1).T @ grad_rows
            grad_windows = grad_cols.reshape(in_channels, kernel_h, kernel_w, batch, out_h, out_w).transpose(3, 0, 4, 5, 1, 2)
            grad_x = col2im(grad_windows, x.shape, self.stride, self.padding)
        return grad_x, grad_weight, grad_bias
        ### END SOLUTION


class Conv2d(Layer):
    """2-D convolution of (N, C_in, H, W) inputs with C_out learned kernels."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True):
        """Keep in_channels, out_channels, and kernel_size, stride, padding as pairs (_pair).

        weight: float32 Tensor (out, in, kH, kW), requires_grad=True, from
          np.random.normal(0.0, sqrt(2 / (in_channels * kH * kW)), size=...).
        bias: float32 zeros (out_channels,) with requires_grad=True, or None when bias=False.
        """
        ### BEGIN SOLUTION
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = _pair(kernel_size), _pair(stride), _pair(padding)
        kernel_h, kernel_w = self.kernel_size
        std = np.sqrt(2.0 / (in_channels * kernel_h * kernel_w))
        weight = np.random.normal(0.0, std, size=(out_channels, in_channels, kernel_h, kernel_w))
        self.weight = Tensor(weight.astype(np.float32), requires_grad=True)
        self.bias = Tensor(np.zeros(out_channels, dtype=np.float32), requires_grad=True) if bias else None
        ### END SOLUTION

    def forward(self, x):
        """x (N, C_in, H, W) -> (N, C_out, H_out, W_out) by im2col and one matrix product."""
        if not isinstance(x, Tensor):
            x = Tensor(x)
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"Conv2d expects input (N, {self.in_channels}, H, W), got shape {x.shape}")
        ### BEGIN SOLUTION
        batch, _, height, width = x.shape
        out_h = conv_output_size(height, self.kernel_size[0], self.stride[0], self.padding[0])
        out_w = conv_output_size(width, self.kernel_size[1], self.stride[1], self.padding[1])
        cols = im2col(x.data, self.kernel_size, self.stride, self.padding)
        out = self.weight.data.reshape(self.out_channels, -1) @ cols
        if self.bias is not None:
            out = out + self.bias.data[:, None]
        out = np.ascontiguousarray(out.reshape(self.out_channels, batch, out_h, out_w).transpose(1, 0, 2, 3))
        return attach(Tensor(out), Conv2dBackward(x, self.weight, self.bias, cols, self.stride, self.padding))
        ### END SOLUTION

    def __repr__(self):
        return (f"Conv2d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, bias={self.bias is not None})")

# %% nbgrader={"grade": true, "grade_id": "conv2d-forward", "locked": true, "points": 4, "schema_version": 3, "solution": false}
tiny = np.arange(9, dtype=np.float32).reshape(1, 1, 3, 3)
windows = sliding_windows(tiny, 2)
assert windows.shape == (1, 1, 2, 2, 2, 2), f"windows of a 3x3 image with a 2x2 kernel: (1, 1, 2, 2, 2, 2), got {windows.shape}"
np.testing.assert_allclose(windows[0, 0, 1, 0], [[3, 4], [6, 7]], err_msg="windows[0, 0, 1, 0] is the window at row 1, column 0")
assert np.shares_memory(sliding_windows(tiny, 2, padding=0), tiny), "without padding, the windows are a view of x: no copy"
cols = im2col(tiny, 2)
assert cols.shape == (4, 4), f"im2col of a 3x3 image, 2x2 kernel: (C*kH*kW, N*H_out*W_out) = (4, 4), got {cols.shape}"
np.testing.assert_allclose(cols[:, 0], [0, 1, 3, 4], err_msg="column 0 holds the first window, read row by row")
np.testing.assert_allclose(cols[0], [0, 1, 3, 4], err_msg="row 0 holds every window's top-left pixel")

np.random.seed(0)
conv = Conv2d(3, 8, 3)
assert conv.weight.shape == (8, 3, 3, 3) and conv.weight.dtype == np.float32 and conv.weight.requires_grad, \
    f"weight: float32 (out, in, kH, kW) with requires_grad, got {conv.weight.shape} {conv.weight.dtype}"
assert conv.bias.shape == (8,) and not np.any(conv.bias.data), "bias: zeros of shape (out_channels,)"
assert conv.kernel_size == (3, 3) and conv.stride == (1, 1) and conv.padding == (0, 0), "kernel_size, stride, padding as pairs"
wide = Conv2d(16, 64, 3)
std = wide.weight.data.std()
assert abs(std - np.sqrt(2 / 144)) < 0.1 * np.sqrt(2 / 144), f"He init: std sqrt(2 / (16*3*3)) = {np.sqrt(2 / 144):.4f}, got {std:.4f}"
assert Conv2d(2, 3, 3, bias=False).bias is None, "bias=False: no bias"
assert len(conv.parameters()) == 2, "parameters(): weight and bias"

step = np.zeros((1, 1, 4, 4), dtype=np.float32)
step[..., 2:] = 1.0  # dark left half, bright right half
edge = Conv2d(1, 1, (1, 2))
edge.weight.data[...] = np.array([[[[-1.0, 1.0]]]])
out = edge(Tensor(step))
assert isinstance(out, Tensor) and out.shape == (1, 1, 4, 3), f"4x4 input, 1x2 kernel: (1, 1, 4, 3), got {out.shape}"
np.testing.assert_allclose(out.data[0, 0], [[0, 1, 0]] * 4, err_msg="the [-1, 1] kernel fires where dark turns bright")
assert out.dtype == np.float32, f"a float32 layer on float32 input gives float32, got {out.dtype}"
shaped = Conv2d(2, 4, (3, 5), stride=(2, 1), padding=(1, 2))
assert shaped.weight.shape == (4, 2, 3, 5), "kernel_size (3, 5)"
assert shaped(Tensor(np.ones((2, 2, 9, 10)))).shape == (2, 4, 5, 10), "pair stride and padding: (2, 4, 5, 10)"
for bad in [np.ones((1, 2, 5, 5)), np.ones((3, 5, 5))]:
    try:
        conv(Tensor(bad))
    except ValueError:
        pass
    else:
        raise AssertionError(f"Conv2d(3, ...) on input {bad.shape} must raise ValueError")
print("Conv2d forward works.")
### BEGIN HIDDEN TESTS
def reference_conv(x, weight, bias, stride, padding):
    (sh, sw), (ph, pw) = stride, padding
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, weight.shape[2:], axis=(2, 3))[:, :, ::sh, ::sw]
    out = np.einsum("nchwij,ocij->nohw", windows, weight)
    return out if bias is None else out + bias[None, :, None, None]

rng = np.random.default_rng(9004)
for trial in range(10):
    n, c, c_out = (int(v) for v in rng.integers(1, 5, size=3))
    kh, kw, sh, sw, ph, pw = (int(v) for v in rng.integers([1, 1, 1, 1, 0, 0], [5, 5, 4, 4, 3, 3]))
    h, w = int(rng.integers(max(1, kh - 2 * ph), 12)), int(rng.integers(max(1, kw - 2 * pw), 12))
    has_bias = trial % 3 != 0
    layer = Conv2d(c, c_out, (kh, kw), stride=(sh, sw), padding=(ph, pw), bias=has_bias)
    layer.weight = Tensor(rng.standard_normal(layer.weight.shape), requires_grad=True)
    if has_bias:
        layer.bias = Tensor(rng.standard_normal(c_out), requires_grad=True)
    x = rng.standard_normal((n, c, h, w))
    expected = reference_conv(x, layer.weight.data, layer.bias.data if has_bias else None, (sh, sw), (ph, pw))
    got = layer(Tensor(x))
    assert got.shape == expected.shape, f"{layer!r} on {x.shape}: shape {got.shape}, expected {expected.shape}"
    np.testing.assert_allclose(got.data, expected, rtol=1e-9, atol=1e-10, err_msg=f"{layer!r} on input {x.shape}")
    cols = im2col(x, (kh, kw), (sh, sw), (ph, pw))
    assert cols.shape == (c * kh * kw, n * expected.shape[2] * expected.shape[3]), f"im2col shape {cols.shape}"
np.random.seed(5)
first = Conv2d(2, 3, 3).weight.data.copy()
np.random.seed(5)
np.testing.assert_array_equal(Conv2d(2, 3, 3).weight.data, first, err_msg="weights come from np.random: seeding must reproduce them")
try:
    Conv2d(1, 1, 5)(Tensor(np.ones((1, 1, 3, 3))))
except ValueError:
    pass
else:
    raise AssertionError("a 5x5 kernel on a 3x3 input without padding must raise ValueError")
### END HIDDEN TESTS

# %% [markdown]
# ### Seeing what a kernel does
#
# Kernels are pattern detectors. Before any learning, set a few by hand and look at their
# feature maps on a digit-like image: the classic **Sobel** kernels respond to changes of
# brightness from left to right (vertical edges) and from top to bottom (horizontal edges), a
# **Laplacian** responds to any sharp change, and a box of $1/9$ blurs. A CNN's first layer
# learns kernels much like these.

# %%
def draw_seven(size=28):
    """A smooth grey-level '7': a top bar and a diagonal stroke, blurred a little."""
    rows, cols = np.mgrid[0:size, 0:size] / (size - 1)
    top_bar = (np.abs(rows - 0.2) < 0.06) & (cols > 0.2) & (cols < 0.8)
    # the diagonal runs from the bar's right end (0.2, 0.78) down to (0.85, 0.38)
    along = (rows - 0.2) / 0.65
    diagonal = (np.abs(cols - (0.78 - 0.4 * along)) < 0.07) & (along > 0) & (along < 1)
    ink = (top_bar | diagonal).astype(np.float32)[None, None]
    blur = Conv2d(1, 1, 3, padding=1, bias=False)
    blur.weight.data[...] = 1 / 9
    return blur(Tensor(ink)).data


seven = draw_seven()
filters = {
    "vertical edges (Sobel x)": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "horizontal edges (Sobel y)": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "any edge (Laplacian)": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "blur (box 1/9)": [[1 / 9] * 3] * 3,
}
detector = Conv2d(1, len(filters), 3, padding=1, bias=False)
detector.weight.data[:, 0] = np.array(list(filters.values()), dtype=np.float32)
feature_maps = detector(Tensor(seven)).data[0]

figure, axes = plt.subplots(1, 1 + len(filters), figsize=(14, 3))
axes[0].imshow(seven[0, 0], cmap="gray")
axes[0].set_title("input")
for axis, name, feature_map in zip(axes[1:], filters, feature_maps):
    limit = np.abs(feature_map).max()
    axis.imshow(feature_map, cmap="RdBu_r", vmin=-limit, vmax=limit)
    axis.set_title(name, fontsize=9)
for axis in axes:
    axis.axis("off")
figure.suptitle("One Conv2d(1, 4, 3, padding=1) with hand-set kernels: red positive, blue negative")
figure.tight_layout()
plt.show()

# %% [markdown]
# Read the maps: the vertical-edge kernel lights up on the left and right borders of the
# diagonal stroke (red where ink begins, blue where it ends) and ignores the flat top bar's
# middle; the horizontal-edge kernel does the opposite. A stack of such layers combines edges
# into corners, strokes, and eventually whole digits.
#
# ## Step 5 — `Conv2d`, backward
#
# Write $G = \partial L / \partial y$ (shape $(N, C_\text{out}, H_\text{out}, W_\text{out})$)
# and reuse the matrix view: $Y_2 = W_2 \cdot \text{cols}$ with $G_2$, the gradient arranged
# like $Y_2$: `grad_output.transpose(1, 0, 2, 3).reshape(C_out, -1)`. A convolution is a matrix
# product in disguise, so module 03's matrix-product gradients apply:
#
# $$\frac{\partial L}{\partial W_2} = G_2 \cdot \text{cols}^\top
#   \quad (C_\text{out}, N H_\text{out} W_\text{out}) \times (N H_\text{out} W_\text{out}, C k_H k_W),
# \qquad
# \frac{\partial L}{\partial b_o} = \sum_{n, h, w} G[n, o, h, w],$$
#
# $$\frac{\partial L}{\partial\, \text{cols}} = W_2^\top \cdot G_2
#   \quad (C k_H k_W, C_\text{out}) \times (C_\text{out}, N H_\text{out} W_\text{out}).$$
#
# The weight gradient sums over every position the kernel was used at — weight sharing in
# reverse — and the shapes leave only one way to write each product. Reshape
# $\partial L/\partial W_2$ to the weight's shape.
#
# **From columns back to the image: col2im.** Each column entry was a *copy* of one padded
# input pixel, and a pixel is copied into every window that covers it. So the gradient of a
# pixel is the **sum** of the gradients of all its copies. Reshape $\partial L / \partial\,
# \text{cols}$ back to the window layout $(N, C, H_\text{out}, W_\text{out}, k_H, k_W)$ (undo
# im2col's transpose) and add every window back where it came from. Looping over windows would
# be slow; loop over the $k_H k_W$ **kernel offsets** instead. Offset $(i, j)$ of the window at
# $(h, w)$ is pixel $(h s_h + i,\, w s_w + j)$ — for all windows at once, that is the strided
# slice `[i : i + s_h*H_out : s_h, j : j + s_w*W_out : s_w]` of the padded gradient:
#
# ```python
# for i in range(kH):
#     for j in range(kW):
#         grad_padded[:, :, i:i + sh*H_out:sh, j:j + sw*W_out:sw] += grad_windows[:, :, :, :, i, j]
# ```
#
# With stride 1 and a $3 \times 3$ kernel, each pixel receives from up to 9 windows: the `+=`
# is essential. Finally **crop the padding**: the padded zeros are not inputs, so their
# gradient is dropped, and the result has $x$'s shape.
#
# Write `col2im` below, then go back to the `Conv2d` cell, fill in `Conv2dBackward.backward`,
# and run both cells again.

# %% nbgrader={"grade": false, "grade_id": "col2im", "locked": false, "schema_version": 3, "solution": true}
#| export
def col2im(grad_windows, input_shape, stride=1, padding=0):
    """Add every window's gradient back onto the pixels it was read from: the adjoint of
    sliding_windows.

    grad_windows: (N, C, H_out, W_out, kH, kW). input_shape: (N, C, H, W) of the unpadded
    input. Returns the gradient of shape input_shape, padding cropped off. Loop over the
    kH*kW kernel offsets, adding one strided slice each (overlapping windows accumulate).
    """
    batch, channels, height, width = input_shape
    _, _, out_h, out_w, kernel_h, kernel_w = grad_windows.shape
    (stride_h, stride_w), (pad_h, pad_w) = _pair(stride), _pair(padding)
    ### BEGIN SOLUTION
    grad_padded = np.zeros((batch, channels, height + 2 * pad_h, width + 2 * pad_w), dtype=grad_windows.dtype)
    for i in range(kernel_h):
        for j in range(kernel_w):
            grad_padded[:, :, i:i + stride_h * out_h:stride_h, j:j + stride_w * out_w:stride_w] += grad_windows[:, :, :, :, i, j]
    return grad_padded[:, :, pad_h:pad_h + height, pad_w:pad_w + width]
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "conv2d-backward", "locked": true, "points": 5, "schema_version": 3, "solution": false}
counts = col2im(np.ones((1, 1, 2, 2, 2, 2)), (1, 1, 3, 3))
np.testing.assert_allclose(counts[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]],
                           err_msg="2x2 windows, stride 1, on 3x3: each pixel gets one 1 per window covering it (accumulate with +=)")
cropped = col2im(np.ones((1, 1, 3, 3, 2, 2)), (1, 1, 2, 2), stride=1, padding=1)
assert cropped.shape == (1, 1, 2, 2), f"col2im must crop the padding: shape (1, 1, 2, 2), got {cropped.shape}"
np.testing.assert_allclose(cropped[0, 0], [[4, 4], [4, 4]], err_msg="with padding 1, each real pixel is in 4 windows")

np.random.seed(1)
conv = Conv2d(3, 4, 3, padding=1)
x = Tensor(np.random.default_rng(0).standard_normal((2, 3, 6, 6)).astype(np.float32), requires_grad=True)
conv(x).sum().backward()
for name, tensor in [("x", x), ("weight", conv.weight), ("bias", conv.bias)]:
    assert tensor.grad is not None, f"{name}.grad is None after backward: does forward end with attach(...)?"
    assert tensor.grad.shape == tensor.shape, f"{name}.grad shape {tensor.grad.shape}, expected {tensor.shape}"
np.testing.assert_allclose(conv.bias.grad, np.full(4, 2 * 6 * 6), err_msg="d(sum)/d(bias) counts the N*H_out*W_out positions")

rng = np.random.default_rng(9005)
conv = Conv2d(2, 3, 3, padding=1)
conv.weight, conv.bias = Tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True), Tensor(rng.standard_normal(3), requires_grad=True)
x = Tensor(rng.standard_normal((2, 2, 5, 5)), requires_grad=True)
upstream = Tensor(rng.standard_normal((2, 3, 5, 5)))
errors = check_gradient_flow(lambda: (conv(x) * upstream).sum(), {"x": x, "weight": conv.weight, "bias": conv.bias})
print(errors)
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(9006)
for trial in range(6):
    n, c, c_out = (int(v) for v in rng.integers(1, 4, size=3))
    kh, kw, sh, sw, ph, pw = (int(v) for v in rng.integers([1, 1, 1, 1, 0, 0], [4, 4, 4, 4, 3, 3]))
    h, w = int(rng.integers(max(1, kh - 2 * ph), 7)), int(rng.integers(max(1, kw - 2 * pw), 7))
    has_bias = trial != 2
    layer = Conv2d(c, c_out, (kh, kw), stride=(sh, sw), padding=(ph, pw), bias=has_bias)
    tensors = {"x": Tensor(rng.standard_normal((n, c, h, w)), requires_grad=True),
               "weight": Tensor(rng.standard_normal(layer.weight.shape), requires_grad=True)}
    layer.weight = tensors["weight"]
    if has_bias:
        layer.bias = tensors["bias"] = Tensor(rng.standard_normal(c_out), requires_grad=True)
    upstream = Tensor(rng.standard_normal(layer(tensors["x"]).shape))
    check_gradient_flow(lambda: (layer(tensors["x"]) * upstream).sum(), tensors)
# a square case with C_out == C*kH*kW so a transposed weight gradient keeps its shape
layer = Conv2d(1, 4, 2)
layer.weight, layer.bias = Tensor(rng.standard_normal((4, 1, 2, 2)), requires_grad=True), Tensor(rng.standard_normal(4), requires_grad=True)
x = Tensor(rng.standard_normal((2, 1, 4, 4)), requires_grad=True)
upstream = Tensor(rng.standard_normal((2, 4, 3, 3)))
check_gradient_flow(lambda: (layer(x) * upstream).sum(), {"x": x, "weight": layer.weight, "bias": layer.bias})
frozen = Tensor(rng.standard_normal((2, 1, 4, 4)))
layer(frozen).sum().backward()
assert frozen.grad is None, "an input without requires_grad gets no gradient"
### END HIDDEN TESTS

# %% [markdown]
# ### Systems view: loops against one matrix product
#
# Time your naive loops against your `Conv2d` on the same problem, and check they agree. The
# machine this runs on may be shared, so every timing below is the **best of several runs**
# (the least disturbed one).

# %%
def best_time(function, repeats=5):
    """Best wall-clock time of `repeats` calls, after one warm-up call."""
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


rng = np.random.default_rng(0)
np.random.seed(0)
layer = Conv2d(3, 8, 3, padding=1)
images = Tensor(rng.standard_normal((8, 3, 16, 16)).astype(np.float32))
naive_seconds = best_time(lambda: conv2d_naive(images.data, layer.weight.data, layer.bias.data, padding=1), repeats=1)
fast_seconds = best_time(lambda: layer(images), repeats=20)
difference = np.abs(layer(images).data - conv2d_naive(images.data, layer.weight.data, layer.bias.data, padding=1)).max()
print(f"N=8, C 3->8, 16x16, k=3: loops {naive_seconds * 1e3:8.1f} ms   im2col + matmul {fast_seconds * 1e3:6.3f} ms   "
      f"speed-up {naive_seconds / fast_seconds:,.0f}x   largest difference {difference:.1e}")

# %% [markdown]
# The two agree to float32 rounding, and the vectorized layer is hundreds to thousands of
# times faster (the exact factor depends on the machine).
# It does exactly the same multiply-adds; what disappeared is Python's overhead per window.
#
# **FLOPs.** Each output value is a dot product of length $C k_H k_W$ (a multiply and an add
# per term), so a forward pass costs
#
# $$\text{FLOPs} = 2\, N\, C_\text{out} H_\text{out} W_\text{out}\, C\, k_H k_W ,$$
#
# and the backward pass about twice that (one product for the weight gradient, one for the
# columns). **Memory.** The column matrix holds $C k_H k_W \cdot N H_\text{out} W_\text{out}$
# numbers: about $k_H k_W$ times the input. The table measures both, and the time of a forward
# plus a backward pass, on a few layer shapes.

# %%
def measure_conv(batch, in_channels, out_channels, size, kernel, padding, repeats=5):
    """Forward and forward+backward times, FLOPs and im2col memory of one Conv2d layer."""
    np.random.seed(0)
    layer = Conv2d(in_channels, out_channels, kernel, padding=padding)
    x = Tensor(np.random.default_rng(0).standard_normal((batch, in_channels, size, size)).astype(np.float32),
               requires_grad=True)
    out = layer(x)
    flops = 2 * out.data.size * in_channels * kernel * kernel
    cols = im2col(x.data, kernel, 1, padding)

    def forward_backward():
        layer.weight.grad = layer.bias.grad = x.grad = None
        layer(x).sum().backward()

    return {"forward": best_time(lambda: layer(x), repeats), "forward+backward": best_time(forward_backward, repeats),
            "flops": flops, "input_bytes": x.data.nbytes, "cols_bytes": cols.nbytes}


print(f"{'layer':32s} {'forward':>9s} {'fwd+bwd':>9s} {'MFLOPs fwd':>11s} {'GFLOP/s':>8s} {'input':>9s} {'im2col':>9s} {'blow-up':>8s}")
shapes = [(32, 3, 16, 32, 3, 1), (32, 16, 32, 16, 3, 1), (32, 16, 16, 16, 5, 2)]
for batch, c_in, c_out, size, kernel, padding in shapes:
    m = measure_conv(batch, c_in, c_out, size, kernel, padding)
    name = f"N={batch} C {c_in}->{c_out} {size}x{size} k={kernel}"
    print(f"{name:32s} {m['forward'] * 1e3:7.2f}ms {m['forward+backward'] * 1e3:7.2f}ms {m['flops'] / 1e6:11.1f} "
          f"{m['flops'] / m['forward'] / 1e9:8.2f} {m['input_bytes'] / 1e6:7.2f}MB {m['cols_bytes'] / 1e6:7.2f}MB "
          f"{m['cols_bytes'] / m['input_bytes']:7.1f}x")

# %% [markdown]
# Read the last column: the column matrix is $k_H k_W$ times the input (9x for $3 \times 3$,
# 25x for $5 \times 5$) — im2col buys its speed with memory, and with many channels and big
# images it becomes the largest allocation of the layer. That is why fast libraries avoid
# building it whole (they tile it, or use other algorithms such as Winograd or FFT for big
# kernels). The first row is the layer the course measures: $N=32$, $C$ 3→16, $32 \times 32$,
# $k=3$: a few milliseconds for a forward and backward pass on a quiet machine.
#
# **Parameters: convolution against a dense layer.** A dense layer mapping the same $3 \times
# 32 \times 32$ image to the same $16 \times 32 \times 32$ output would need a weight for every
# input-output pair:

# %%
conv_params = sum(p.data.size for p in Conv2d(3, 16, 3, padding=1).parameters())
dense_params = (3 * 32 * 32) * (16 * 32 * 32) + 16 * 32 * 32
print(f"Conv2d(3, 16, 3):                  {conv_params:>12,d} parameters ({conv_params * 4 / 1e3:.1f} KB in float32)")
print(f"Linear(3*32*32, 16*32*32), same map: {dense_params:>12,d} parameters ({dense_params * 4 / 1e6:.0f} MB in float32)")
print(f"ratio: {dense_params / conv_params:,.0f}x")

# %% [markdown]
# Weight sharing is a factor of about a hundred thousand here — and it is not only a saving:
# the convolution *generalizes* across positions, because a pattern learned anywhere is
# recognized everywhere.
#
# ## Step 6 — `MaxPool2d`
#
# Pooling shrinks feature maps: fewer positions to compute on, a wider view for the next
# layer, and a little robustness to small shifts. **Max pooling** keeps the largest value of
# each window, per channel:
#
# $$y[n, c, h, w] = \max_{i, j}\; x_p[n, c, h s + i, w s + j]$$
#
# with the stride defaulting to the kernel size (non-overlapping windows, as in PyTorch).
# Padding uses $-\infty$, which never wins a max. (PyTorch allows at most half the kernel of
# padding, so no window is all padding; so do we.)
#
# **Forward.** `sliding_windows(x, k, s, p, pad_value=-np.inf)` gives the windows; flatten
# each one to $k_H k_W$ values (a reshape of the view, which copies) and take `max` over that
# last axis.
#
# **Backward.** The max passes its input's value straight through, so only the **winner**
# of each window receives the window's gradient; the others get nothing. When several values
# tie, PyTorch's rule is one winner per window, the first; `argmax` returns exactly the first.
# Store, in forward, a one-hot mask `chosen` of shape $(N, C, H_\text{out}, W_\text{out},
# k_H k_W)$: `np.arange(kH * kW) == winners[..., None]`. Backward is then a one-liner plus a
# call you already have: the window gradient is `chosen * grad_output[..., None]`, reshaped to
# $(\dots, k_H, k_W)$, and **`col2im`** puts it back onto the image — adding up where
# overlapping windows share a pixel (a pixel can win several windows when the stride is
# smaller than the kernel).

# %% nbgrader={"grade": false, "grade_id": "maxpool-class", "locked": false, "schema_version": 3, "solution": true}
#| export
class MaxPool2dBackward(Function):
    """Routes each window's gradient to its first largest input."""

    def __init__(self, x, chosen, kernel_size, stride, padding):
        super().__init__(x)
        self.chosen = chosen  # one-hot (N, C, H_out, W_out, kH*kW): each window's winner
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def backward(self, grad_output):
        """(grad_x,): chosen * grad_output[..., None], reshaped to windows, through col2im."""
        x = self.inputs[0]
        ### BEGIN SOLUTION
        grad_windows = (self.chosen * grad_output[..., None]).reshape(grad_output.shape + self.kernel_size)
        return (col2im(grad_windows, x.shape, self.stride, self.padding),)
        ### END SOLUTION


class Pool2d(Layer):
    """What MaxPool2d and AvgPool2d share: the window geometry, the input check and the repr."""

    def __init__(self, kernel_size, stride=None, padding=0):
        self.kernel_size = _pair(kernel_size)
        self.stride = self.kernel_size if stride is None else _pair(stride)
        self.padding = _pair(padding)
        if any(2 * p > k for p, k in zip(self.padding, self.kernel_size)):
            raise ValueError(f"padding {self.padding} must be at most half the kernel size {self.kernel_size}")

    def _check_input(self, x):
        """Pooling layers take (N, C, H, W) Tensors (or arrays)."""
        x = x if isinstance(x, Tensor) else Tensor(x)
        if x.ndim != 4:
            raise ValueError(f"{type(self).__name__} expects input (N, C, H, W), got shape {x.shape}")
        return x

    def __repr__(self):
        return f"{type(self).__name__}(kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding})"


class MaxPool2d(Pool2d):
    """The largest value of every kernel_size window, per channel."""

    def forward(self, x):
        """(N, C, H, W) -> (N, C, H_out, W_out); records MaxPool2dBackward with the winners' mask."""
        x = self._check_input(x)
        ### BEGIN SOLUTION
        windows = sliding_windows(x.data, self.kernel_size, self.stride, self.padding, pad_value=-np.inf)
        window_size = self.kernel_size[0] * self.kernel_size[1]
        flat = windows.reshape(windows.shape[:4] + (window_size,))
        chosen = np.arange(window_size) == flat.argmax(axis=-1)[..., None]
        out = flat.max(axis=-1)
        return attach(Tensor(out), MaxPool2dBackward(x, chosen, self.kernel_size, self.stride, self.padding))
        ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "maxpool", "locked": true, "points": 3, "schema_version": 3, "solution": false}
grid = Tensor(np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4), requires_grad=True)
pool = MaxPool2d(2)
assert pool.stride == (2, 2), f"the stride defaults to the kernel size, got {pool.stride}"
out = pool(grid)
np.testing.assert_allclose(out.data[0, 0], [[5, 7], [13, 15]], err_msg="max of each 2x2 block")
out.sum().backward()
np.testing.assert_allclose(grid.grad[0, 0], [[0, 0, 0, 0], [0, 1, 0, 1], [0, 0, 0, 0], [0, 1, 0, 1]],
                           err_msg="the gradient goes to each window's largest element only")

peak = np.random.default_rng(0).uniform(0, 1, size=(1, 1, 4, 4)).astype(np.float32)
peak[0, 0, 1, 1] = 9.0
peak = Tensor(peak, requires_grad=True)
MaxPool2d(2, stride=1)(peak).sum().backward()
assert peak.grad[0, 0, 1, 1] == 4.0, \
    f"overlapping 2x2 windows, stride 1: the peak wins 4 windows, so its gradient is 4, got {peak.grad[0, 0, 1, 1]}"

flat_image = Tensor(np.ones((1, 1, 4, 4), dtype=np.float32), requires_grad=True)
MaxPool2d(2)(flat_image).sum().backward()
np.testing.assert_allclose(flat_image.grad[0, 0], [[1, 0, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]],
                           err_msg="ties: one winner per window, the first (top-left)")

negative = Tensor(-np.arange(1, 5, dtype=np.float32).reshape(1, 1, 2, 2))
np.testing.assert_allclose(MaxPool2d(2, stride=1, padding=1)(negative).data[0, 0],
                           [[-1, -1, -2], [-1, -1, -2], [-3, -3, -4]], err_msg="padding never wins a max: pad with -inf")
try:
    pool(Tensor(np.ones((4, 4))))
except ValueError:
    pass
else:
    raise AssertionError("MaxPool2d on a 2-D input must raise ValueError")
print("MaxPool2d forward and backward work.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(9007)
for _ in range(6):
    k, s = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    p = int(rng.integers(0, k // 2 + 1))
    n, c = (int(v) for v in rng.integers(1, 4, size=2))
    h, w = (int(v) for v in rng.integers(max(1, k - 2 * p), 8, size=2))
    layer = MaxPool2d(k, stride=s, padding=p)
    x = rng.standard_normal((n, c, h, w))
    # the routing reference: every window sends its gradient to its first maximum
    padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
    out_h, out_w = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    upstream = rng.standard_normal((n, c, out_h, out_w))
    expected_out, expected_grad = np.zeros((n, c, out_h, out_w)), np.zeros_like(padded)
    for index in np.ndindex(n, c, out_h, out_w):
        window = padded[index[0], index[1], index[2] * s:index[2] * s + k, index[3] * s:index[3] * s + k]
        i, j = np.unravel_index(np.argmax(window), window.shape)
        expected_out[index] = window[i, j]
        expected_grad[index[0], index[1], index[2] * s + i, index[3] * s + j] += upstream[index]
    tensor = Tensor(x, requires_grad=True)
    out = layer(tensor)
    np.testing.assert_allclose(out.data, expected_out, err_msg=f"{layer!r} on {x.shape}")
    (out * Tensor(upstream)).sum().backward()
    np.testing.assert_allclose(tensor.grad, expected_grad[:, :, p:p + h, p:p + w], atol=1e-12, err_msg=f"routing of {layer!r}")
    check_gradient_flow(lambda: (layer(tensor) * Tensor(upstream)).sum(), {"x": tensor})
ties = Tensor(np.zeros((2, 3, 5, 5)), requires_grad=True)
MaxPool2d(3, stride=1)(ties).sum().backward()
assert ties.grad.sum() == 2 * 3 * 9, "each of the 9 windows per map routes to one winner only"
np.testing.assert_allclose(ties.grad[0, 0], np.pad(np.ones((3, 3)), ((0, 2), (0, 2))), err_msg="ties: the first element wins")
### END HIDDEN TESTS

# %% [markdown]
# ## Step 7 — `AvgPool2d`
#
# Average pooling keeps each window's mean; padding counts as zeros and the divisor is always
# $k_H k_W$ (PyTorch's default, `count_include_pad=True`):
#
# $$y[n, c, h, w] = \frac{1}{k_H k_W} \sum_{i, j} x_p[n, c, h s + i, w s + j].$$
#
# Every input in the window contributes $1/(k_H k_W)$ of the output, so the backward pass
# spreads each window's gradient **evenly**: every position of the window gets
# `grad_output / (kH * kW)`. Broadcast that to the window shape (`np.broadcast_to`, no copy)
# and hand it to `col2im`, which adds overlapping windows and crops the padding.

# %% nbgrader={"grade": false, "grade_id": "avgpool-class", "locked": false, "schema_version": 3, "solution": true}
#| export
class AvgPool2dBackward(Function):
    """Spreads each window's gradient evenly over the window."""

    def __init__(self, x, kernel_size, stride, padding):
        super().__init__(x)
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def backward(self, grad_output):
        """(grad_x,): grad_output / (kH * kW) broadcast to every window position, through col2im."""
        x = self.inputs[0]
        ### BEGIN SOLUTION
        share = grad_output / (self.kernel_size[0] * self.kernel_size[1])
        grad_windows = np.broadcast_to(share[..., None, None], grad_output.shape + self.kernel_size)
        return (col2im(grad_windows, x.shape, self.stride, self.padding),)
        ### END SOLUTION


class AvgPool2d(Pool2d):
    """The mean of every kernel_size window, per channel (zero padding counted)."""

    def forward(self, x):
        """(N, C, H, W) -> (N, C, H_out, W_out); records AvgPool2dBackward."""
        x = self._check_input(x)
        ### BEGIN SOLUTION
        windows = sliding_windows(x.data, self.kernel_size, self.stride, self.padding)
        out = windows.mean(axis=(-2, -1))
        return attach(Tensor(out), AvgPool2dBackward(x, self.kernel_size, self.stride, self.padding))
        ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "avgpool", "locked": true, "points": 2, "schema_version": 3, "solution": false}
grid = Tensor(np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4), requires_grad=True)
out = AvgPool2d(2)(grid)
np.testing.assert_allclose(out.data[0, 0], [[2.5, 4.5], [10.5, 12.5]], err_msg="mean of each 2x2 block")
assert out.dtype == np.float32, f"float32 in, float32 out, got {out.dtype}"
out.sum().backward()
np.testing.assert_allclose(grid.grad, np.full((1, 1, 4, 4), 0.25), err_msg="each input gets 1/4 of its window's gradient")

overlap = Tensor(np.ones((1, 1, 3, 3)), requires_grad=True)
AvgPool2d(2, stride=1)(overlap).sum().backward()
np.testing.assert_allclose(overlap.grad[0, 0], [[0.25, 0.5, 0.25], [0.5, 1.0, 0.5], [0.25, 0.5, 0.25]],
                           err_msg="overlapping windows add their shares")
padded = Tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
corner_out = AvgPool2d(2, stride=1, padding=1)(padded)
np.testing.assert_allclose(corner_out.data[0, 0], [[0.25, 0.5, 0.25], [0.5, 1.0, 0.5], [0.25, 0.5, 0.25]],
                           err_msg="padding counts as zeros, the divisor stays kH*kW")
corner_out.sum().backward()
np.testing.assert_allclose(padded.grad[0, 0], [[1.0, 1.0], [1.0, 1.0]], err_msg="4 windows x 1/4 each, padding cropped")
print("AvgPool2d forward and backward work.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(9008)
for _ in range(6):
    kh, kw, sh, sw = (int(v) for v in rng.integers(1, 4, size=4))
    ph, pw = int(rng.integers(0, kh // 2 + 1)), int(rng.integers(0, kw // 2 + 1))
    n, c = (int(v) for v in rng.integers(1, 4, size=2))
    h, w = int(rng.integers(max(1, kh - 2 * ph), 8)), int(rng.integers(max(1, kw - 2 * pw), 8))
    layer = AvgPool2d((kh, kw), stride=(sh, sw), padding=(ph, pw))
    x = Tensor(rng.standard_normal((n, c, h, w)), requires_grad=True)
    expected = np.lib.stride_tricks.sliding_window_view(
        np.pad(x.data, ((0, 0), (0, 0), (ph, ph), (pw, pw))), (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw].mean(axis=(-2, -1))
    np.testing.assert_allclose(layer(x).data, expected, rtol=1e-12, err_msg=f"{layer!r} on {x.shape}")
    upstream = Tensor(rng.standard_normal(expected.shape))
    check_gradient_flow(lambda: (layer(x) * upstream).sum(), {"x": x})
### END HIDDEN TESTS

# %% [markdown]
# ## Step 8 — `BatchNorm2d`
#
# Deep networks train faster when each layer's inputs keep a steady scale. **Batch
# normalization** (Ioffe and Szegedy, 2015) standardizes every channel with the statistics of
# the current batch, then lets the network choose the scale and shift it wants back:
#
# $$\mu_c = \frac{1}{NHW} \sum_{n, h, w} x[n, c, h, w], \qquad
#   \sigma_c^2 = \frac{1}{NHW} \sum_{n, h, w} (x[n, c, h, w] - \mu_c)^2,$$
#
# $$\hat x = \frac{x - \mu_c}{\sqrt{\sigma_c^2 + \epsilon}}, \qquad y = \gamma_c\, \hat x + \beta_c .$$
#
# One mean and variance **per channel**, over the batch and both spatial axes — $(0, 2, 3)$ —
# because a channel is one feature detector applied everywhere. $\gamma$ (ones) and $\beta$
# (zeros) are trainable, shape $(C,)$; reshape them to $(1, C, 1, 1)$ to broadcast. $\epsilon$
# keeps the division safe for a constant channel.
#
# **Evaluation.** At test time there may be a single image, and a prediction must not depend
# on what else is in the batch. So, during training, the layer keeps **running estimates** of
# each channel's mean and variance, and `eval()` mode normalizes with those instead:
#
# $$r_\mu \leftarrow (1 - m)\, r_\mu + m\, \mu_c, \qquad
#   r_{\sigma^2} \leftarrow (1 - m)\, r_{\sigma^2} + m\, \sigma^2_{c,\text{unbiased}},
#   \qquad \sigma^2_{c,\text{unbiased}} = \sigma_c^2 \cdot \frac{NHW}{NHW - 1},$$
#
# with momentum $m = 0.1$ and starting values 0 and 1 (PyTorch's convention: the
# normalization itself uses the biased $\sigma_c^2$, the running estimate the unbiased one).
# The running statistics are **buffers**: numpy arrays, not trainable Tensors, so
# `parameters()` skips them and no optimizer touches them.
#
# One consequence: a constant added to a channel before batch normalization is subtracted
# again with the mean, so its gradient is exactly zero. A `Conv2d` followed by `BatchNorm2d`
# is therefore built with `bias=False` — $\beta$ plays the bias's role.
#
# **Gradients for free.** Build the training-mode forward from Tensor operations (`mean`,
# `-`, `*`, `/`, `**`) and autograd differentiates it exactly — including the subtle part,
# that $\mu_c$ and $\sigma_c^2$ depend on every input too. Update the running statistics from
# the `.data` of the batch statistics (plain numpy: not part of the graph).

# %% nbgrader={"grade": false, "grade_id": "batchnorm-class", "locked": false, "schema_version": 3, "solution": true}
#| export
class BatchNorm2d(Layer):
    """Per-channel normalization of (N, C, H, W) inputs, with running statistics for eval()."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.gamma = Tensor(np.ones(num_features, dtype=np.float32), requires_grad=True)
        self.beta = Tensor(np.zeros(num_features, dtype=np.float32), requires_grad=True)
        self.running_mean = np.zeros(num_features, dtype=np.float32)
        self.running_var = np.ones(num_features, dtype=np.float32)

    def forward(self, x):
        """Training: normalize with the batch's statistics over (0, 2, 3), built from Tensor
        operations, and update running_mean / running_var (float32, unbiased variance).
        Evaluation: normalize with the running statistics. Then y = gamma * x_hat + beta.
        """
        if not isinstance(x, Tensor):
            x = Tensor(x)
        if x.ndim != 4 or x.shape[1] != self.num_features:
            raise ValueError(f"BatchNorm2d expects input (N, {self.num_features}, H, W), got shape {x.shape}")
        count = x.data.size // self.num_features  # values per channel: N * H * W
        if self.training and count < 2:
            raise ValueError("BatchNorm2d needs more than one value per channel to train: use a bigger batch or eval()")
        per_channel = (1, self.num_features, 1, 1)
        ### BEGIN SOLUTION
        if self.training:
            axes = (0, 2, 3)
            mean = x.mean(axis=axes, keepdims=True)
            centered = x - mean
            variance = (centered * centered).mean(axis=axes, keepdims=True)
            x_hat = centered / (variance + self.eps) ** 0.5
            unbiased = variance.data.reshape(-1) * (count / (count - 1))
            m = self.momentum
            self.running_mean = ((1 - m) * self.running_mean + m * mean.data.reshape(-1)).astype(np.float32)
            self.running_var = ((1 - m) * self.running_var + m * unbiased).astype(np.float32)
        else:
            mean = Tensor(self.running_mean.reshape(per_channel))
            std = Tensor(np.sqrt(self.running_var + self.eps).reshape(per_channel))
            x_hat = (x - mean) / std
        return x_hat * self.gamma.reshape(per_channel) + self.beta.reshape(per_channel)
        ### END SOLUTION

    def __repr__(self):
        return f"BatchNorm2d({self.num_features}, eps={self.eps}, momentum={self.momentum})"

# %% nbgrader={"grade": true, "grade_id": "batchnorm", "locked": true, "points": 4, "schema_version": 3, "solution": false}
rng = np.random.default_rng(9009)
x_values = (rng.standard_normal((4, 3, 5, 5)) * np.array([1.0, 3.0, 0.5])[:, None, None] + np.array([2.0, -1.0, 0.0])[:, None, None]).astype(np.float32)
bn = BatchNorm2d(3)
assert [id(p) for p in bn.parameters()] == [id(bn.gamma), id(bn.beta)], "parameters(): gamma and beta only (the running stats are buffers)"
y = bn(Tensor(x_values))
assert isinstance(y, Tensor) and y.shape == (4, 3, 5, 5), f"output shape (4, 3, 5, 5), got {y.shape}"
np.testing.assert_allclose(y.data.mean(axis=(0, 2, 3)), 0.0, atol=1e-5, err_msg="training mode: every channel has mean 0")
np.testing.assert_allclose(y.data.var(axis=(0, 2, 3)), 1.0, atol=1e-3, err_msg="training mode: every channel has variance 1")
batch_mean, batch_var = x_values.mean(axis=(0, 2, 3)), x_values.var(axis=(0, 2, 3), ddof=1)
np.testing.assert_allclose(bn.running_mean, 0.1 * batch_mean, rtol=1e-5, err_msg="running_mean = 0.9 * 0 + 0.1 * batch mean")
np.testing.assert_allclose(bn.running_var, 0.9 + 0.1 * batch_var, rtol=1e-5,
                           err_msg="running_var = 0.9 * 1 + 0.1 * the UNBIASED batch variance (divide by N*H*W - 1)")
assert bn.running_mean.dtype == np.float32 and bn.running_var.dtype == np.float32, "running statistics stay float32 arrays"
bn.eval()
expected = (x_values - bn.running_mean[:, None, None]) / np.sqrt(bn.running_var[:, None, None] + 1e-5)
np.testing.assert_allclose(bn(Tensor(x_values)).data, expected, rtol=1e-4, atol=1e-5, err_msg="eval mode: normalize with the running statistics")
frozen_mean = bn.running_mean.copy()
bn(Tensor(x_values))
np.testing.assert_array_equal(bn.running_mean, frozen_mean, err_msg="eval mode must not update the running statistics")
print("BatchNorm2d normalizes and keeps running statistics.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(9010)
for _ in range(3):
    n, c, h, w = (int(v) for v in rng.integers([2, 1, 1, 1], [4, 4, 4, 4]))
    momentum = float(rng.uniform(0.05, 0.5))
    bn = BatchNorm2d(c, momentum=momentum)
    bn.gamma = Tensor(rng.uniform(0.5, 2.0, size=c), requires_grad=True)
    bn.beta = Tensor(rng.standard_normal(c), requires_grad=True)
    x = Tensor(rng.standard_normal((n, c, h, w)) * 2 + 1, requires_grad=True)
    upstream = Tensor(rng.standard_normal((n, c, h, w)))
    check_gradient_flow(lambda: (bn(x) * upstream).sum(), {"x": x, "gamma": bn.gamma, "beta": bn.beta})
    # running statistics after several steps, against numpy
    bn = BatchNorm2d(c, momentum=momentum)
    running_mean, running_var = np.zeros(c), np.ones(c)
    for _ in range(3):
        batch = rng.standard_normal((n, c, h, w)) * 3 - 2
        bn(Tensor(batch))
        running_mean = (1 - momentum) * running_mean + momentum * batch.mean(axis=(0, 2, 3))
        running_var = (1 - momentum) * running_var + momentum * batch.var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(bn.running_mean, running_mean, rtol=1e-5, atol=1e-6, err_msg="running mean over 3 steps")
    np.testing.assert_allclose(bn.running_var, running_var, rtol=1e-5, atol=1e-6, err_msg="running variance over 3 steps")
    bn.eval()
    bn.gamma = Tensor(rng.uniform(0.5, 2.0, size=c), requires_grad=True)
    bn.beta = Tensor(rng.standard_normal(c), requires_grad=True)
    single = Tensor(rng.standard_normal((1, c, h, w)), requires_grad=True)
    expected = ((single.data - running_mean[:, None, None]) / np.sqrt(running_var[:, None, None] + 1e-5)
                * bn.gamma.data[:, None, None] + bn.beta.data[:, None, None])
    np.testing.assert_allclose(bn(single).data, expected, rtol=1e-5, atol=1e-6, err_msg="eval mode on one image")
    upstream = Tensor(rng.standard_normal((1, c, h, w)))
    check_gradient_flow(lambda: (bn(single) * upstream).sum(), {"x": single, "gamma": bn.gamma, "beta": bn.beta})
### END HIDDEN TESTS

# %% [markdown]
# ## Step 9 — `Flatten`, and a CNN that learns
#
# The feature maps of the last convolution, $(N, C, H, W)$, must become one vector per image
# for a `Linear` classifier: $(N, C H W)$. `Flatten` is a reshape, written with the Tensor's
# own `reshape` so that autograd passes the gradient back through it.

# %% nbgrader={"grade": false, "grade_id": "flatten-class", "locked": false, "schema_version": 3, "solution": true}
#| export
class Flatten(Layer):
    """(N, d1, d2, ...) -> (N, d1 * d2 * ...): keeps the batch axis, joins the rest."""

    def forward(self, x):
        """A Tensor reshape to (N, -1)."""
        if not isinstance(x, Tensor):
            x = Tensor(x)
        ### BEGIN SOLUTION
        return x.reshape(x.shape[0], -1)
        ### END SOLUTION

    def __repr__(self):
        return "Flatten()"

# %% [markdown]
# ### Learning filters: horizontal against vertical bars
#
# A tiny task where the right filters are obvious: images of $12 \times 12$ noisy pixels with
# one bright bar, horizontal or vertical, somewhere. The CNN is
# `Conv2d(1, 4, 5, padding=2) → ReLU → MaxPool2d(2) → Flatten → Linear(144, 2)`, trained with
# plain gradient descent with momentum (module 06 packages this as an optimizer):
#
# $$v \leftarrow \mu v + \nabla_\theta L, \qquad \theta \leftarrow \theta - \eta\, v .$$
#
# Watch what the four $5 \times 5$ kernels become. (They start at a tenth of the He scale, so
# that the picture shows what training put into them rather than the random starting point.)

# %%
def make_bars(count, size=12, noise=0.3, seed=0):
    """`count` images (count, 1, size, size) with one bar each; label 0 horizontal, 1 vertical."""
    rng = np.random.default_rng(seed)
    images = rng.normal(0.0, noise, size=(count, 1, size, size)).astype(np.float32)
    labels = rng.integers(0, 2, size=count)
    positions = rng.integers(1, size - 1, size=count)
    for image, label, position in zip(images, labels, positions):
        if label == 0:
            image[0, position, :] += 1.0
        else:
            image[0, :, position] += 1.0
    return images, labels


def train_cnn(model, images, labels, steps, batch_size=64, learning_rate=0.05, momentum=0.9, seed=0):
    """Minibatch gradient descent with momentum; returns the loss of every step."""
    rng = np.random.default_rng(seed)
    velocities = [np.zeros_like(p.data) for p in model.parameters()]
    loss_function, losses = CrossEntropyLoss(), []
    for _ in range(steps):
        batch = rng.choice(len(images), size=batch_size, replace=False)
        for p in model.parameters():
            p.zero_grad()
        loss = loss_function(model(Tensor(images[batch])), labels[batch])
        loss.backward()
        with no_grad():
            for p, velocity in zip(model.parameters(), velocities):
                velocity *= momentum
                velocity += p.grad
                p.data -= learning_rate * velocity
        losses.append(loss.item())
    return losses


def accuracy(model, images, labels):
    with no_grad():
        return float(np.mean(model(Tensor(images)).data.argmax(axis=1) == labels))


train_images, train_labels = make_bars(1024, seed=0)
test_images, test_labels = make_bars(256, seed=1)
np.random.seed(0)
bar_model = Sequential(Conv2d(1, 4, 5, padding=2), ReLU(), MaxPool2d(2), Flatten(), Linear(4 * 6 * 6, 2))
bar_model.layers[0].weight.data *= 0.1  # start small, so what training adds is not hidden under the initial noise
start = time.perf_counter()
bar_losses = train_cnn(bar_model, train_images, train_labels, steps=150)
print(f"150 steps in {time.perf_counter() - start:.2f} s; test accuracy {accuracy(bar_model, test_images, test_labels):.1%}")

figure, axes = plt.subplots(1, 7, figsize=(15, 2.6), gridspec_kw={"width_ratios": [1.6, 1, 1, 1, 1, 1, 1]})
axes[0].plot(bar_losses)
axes[0].set(xlabel="step", ylabel="cross-entropy", title="training loss")
for axis, image, label in zip(axes[1:3], train_images[:2], train_labels[:2]):
    axis.imshow(image[0], cmap="gray")
    axis.set_title(["horizontal", "vertical"][label])
for index, axis in enumerate(axes[3:]):
    kernel = bar_model.layers[0].weight.data[index, 0]
    limit = np.abs(kernel).max()
    axis.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
    axis.set_title(f"learned kernel {index}")
for axis in axes[1:]:
    axis.axis("off")
figure.tight_layout()
plt.show()

# %% [markdown]
# Read the kernels (red positive, blue negative): some have become clean stripes — a
# horizontal stripe fires on horizontal bars, a vertical one on vertical bars — the same
# oriented line detectors you set by hand above, now found by gradient descent from random
# numbers. Others mix a stripe with leftover noise: once the task is solved (the loss is
# near 0) nothing pushes them further. Max pooling then reports "this pattern appeared
# somewhere around here", and the linear layer weighs the evidence.
#
# ## Putting it together — a small CNN, end to end
#
# The integration test builds `Conv2d → ReLU → MaxPool2d → Flatten → Linear`, checks the shape
# after every layer, checks every parameter's gradient (and the input's) against central
# differences in float64 with `check_model_gradients`, and trains a few steps on a fixed batch.

# %% nbgrader={"grade": true, "grade_id": "spatial-integration", "locked": true, "points": 4, "schema_version": 3, "solution": false}
def small_cnn(seed=0):
    np.random.seed(seed)
    return Sequential(Conv2d(1, 4, 3, padding=1), ReLU(), MaxPool2d(2), Flatten(), Linear(4 * 4 * 4, 3))


rng = np.random.default_rng(9011)
model = small_cnn()
x = Tensor(rng.standard_normal((5, 1, 8, 8)).astype(np.float32))
expected_shapes = [(5, 4, 8, 8), (5, 4, 8, 8), (5, 4, 4, 4), (5, 64), (5, 3)]
h = x
for layer, shape in zip(model.layers, expected_shapes):
    h = layer(h)
    assert h.shape == shape, f"after {layer!r}: shape {shape}, got {h.shape}"
assert len(model.parameters()) == 4, "parameters(): Conv2d weight and bias, Linear weight and bias"

for p in model.parameters():
    p.data = p.data.astype(np.float64)
x64 = Tensor(rng.standard_normal((5, 1, 8, 8)), requires_grad=True)
targets = np.array([0, 1, 2, 1, 0])
errors = check_model_gradients(model, lambda: CrossEntropyLoss()(model(x64), targets), inputs={"x": x64}, max_entries=20)
print(errors)

model = small_cnn(seed=1)
batch_images = rng.standard_normal((16, 1, 8, 8)).astype(np.float32)
batch_labels = rng.integers(0, 3, size=16)
losses = []
velocities = [np.zeros_like(p.data) for p in model.parameters()]
for _ in range(30):
    for p in model.parameters():
        p.zero_grad()
    loss = CrossEntropyLoss()(model(Tensor(batch_images)), batch_labels)
    loss.backward()
    with no_grad():
        for p, velocity in zip(model.parameters(), velocities):
            velocity *= 0.9
            velocity += p.grad
            p.data -= 0.05 * velocity
    losses.append(loss.item())
assert losses[-1] < 0.5 * losses[0], f"30 steps on one batch should at least halve the loss: {losses[0]:.3f} -> {losses[-1]:.3f}"
print(f"Training on a fixed batch: loss {losses[0]:.3f} -> {losses[-1]:.3f}")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(9012)
np.random.seed(12)
deeper = Sequential(Conv2d(2, 3, 3, stride=2, padding=1, bias=False), BatchNorm2d(3), ReLU(), Conv2d(3, 4, (2, 3), padding=(0, 1)),
                    ReLU(), AvgPool2d(2, stride=1), Flatten(), Linear(4 * 2 * 4, 2))
for p in deeper.parameters():
    p.data = rng.standard_normal(p.shape) * 0.5
x = Tensor(rng.standard_normal((4, 2, 7, 9)), requires_grad=True)
assert deeper(x).shape == (4, 2), f"deeper CNN output shape {deeper(x).shape}"
check_model_gradients(deeper, lambda: CrossEntropyLoss()(deeper(x), [0, 1, 1, 0]), inputs={"x": x}, max_entries=15)
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# You built the spatial layers of TinyTorch:
#
# - the **convolution**, first as four loops (`conv2d_naive`), then as `Conv2d`: a strided
#   view of every window, the **im2col** column matrix, and **one matrix product**
#   $W_2 \cdot \text{cols}$ — orders of magnitude faster, because the same arithmetic now runs
#   in BLAS instead of the interpreter;
# - its backward pass by hand: $\partial L/\partial W_2 = G_2\,\text{cols}^\top$,
#   $\partial L/\partial b = \sum G$, and $\partial L/\partial x$ by **col2im**, a loop over
#   the $k_H k_W$ kernel offsets that adds overlapping windows and crops the padding;
# - **max pooling** (gradient to the first winner of each window) and **average pooling**
#   (gradient spread evenly), both reusing `sliding_windows` and `col2im`;
# - **batch normalization**, whose exact gradient came for free from Tensor operations, with
#   running statistics (unbiased variance, momentum 0.1) for evaluation;
# - `Flatten`, and a CNN that learned edge detectors on its own.
#
# You measured the costs: $2 N C_\text{out} H_\text{out} W_\text{out} C k_H k_W$ FLOPs per
# forward pass, a column matrix $k_H k_W$ times the input, and about $10^5$ times fewer
# parameters than a dense layer producing the same feature map.
#
# **Next:** with the optimizers (06), training loop (07) and data loader (08), these layers
# classify handwritten digits; later modules profile (14) and accelerate (18) them.
#
# **Export your work** into your own package: `python -m autograder export` with this notebook
# writes `tinytorch/core/spatial.py`.
