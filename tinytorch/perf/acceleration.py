# Generated from modules/18_acceleration/18_acceleration.py by `make build`: do not edit.
# Change the module source and run `make build` again.

import numpy as np
from numpy.lib.stride_tricks import as_strided

import tinytorch.core.autograd  # noqa: F401  (gradients on)
from tinytorch.core.activations import GELU
from tinytorch.core.autograd import Function, attach
from tinytorch.core.layers import Layer, Linear, Sequential
from tinytorch.core.tensor import Tensor


def _check_matmul_shapes(a, b):
    """Raise a readable ValueError unless a (n, k) @ b (k, m) is a valid 2-D product."""
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"these kernels multiply 2-D arrays, got shapes {a.shape} and {b.shape}")
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"cannot multiply {a.shape} by {b.shape}: inner sizes {a.shape[1]} and {b.shape[0]} differ")


def matmul_loops(a, b):
    """a @ b for 2-D numpy arrays with three Python loops (the reference; tiny inputs only).

    Return a new array of shape (n, m) and dtype np.result_type(a, b): float32 inputs give a
    float32 result. out[i, j] is the sum over p of a[i, p] * b[p, j].

    Hint: start from `np.zeros((n, m), dtype=...)` and add into out[i, j] in the inner loop.
    """
    _check_matmul_shapes(a, b)
    rows, inner = a.shape
    cols = b.shape[1]
    out = np.zeros((rows, cols), dtype=np.result_type(a, b))
    for i in range(rows):
        for j in range(cols):
            for p in range(inner):
                out[i, j] += a[i, p] * b[p, j]
    return out


def matmul_vectorized_rows(a, b):
    """a @ b for 2-D arrays with one Python loop over the rows of a.

    Return a new (n, m) array of dtype np.result_type(a, b). Each row is one numpy
    vector-matrix product: row i of the result is a[i] @ b (a[i] has shape (k,), b has
    shape (k, m)).
    """
    _check_matmul_shapes(a, b)
    out = np.empty((a.shape[0], b.shape[1]), dtype=np.result_type(a, b))
    for i in range(a.shape[0]):
        out[i] = a[i] @ b
    return out


def matmul_tiled(a, b, tile=64):
    """a @ b for 2-D arrays, computed tile by tile (cache blocking).

    Loop over output tiles (row start, column start) and over the inner dimension in steps of
    `tile`, adding each product of an a-tile and a b-tile into the output tile:
        out[r:r+tile, c:c+tile] += a[r:r+tile, p:p+tile] @ b[p:p+tile, c:c+tile]
    Sizes that `tile` does not divide must work (the edge tiles are narrower). Return a new
    array of dtype np.result_type(a, b).
    """
    _check_matmul_shapes(a, b)
    if tile < 1:
        raise ValueError(f"tile must be a positive integer, got {tile}")
    rows, inner = a.shape
    cols = b.shape[1]
    out = np.zeros((rows, cols), dtype=np.result_type(a, b))
    for row in range(0, rows, tile):
        for col in range(0, cols, tile):
            # The output tile stays in cache while the inner loop adds every partial product.
            for p in range(0, inner, tile):
                out[row:row + tile, col:col + tile] += a[row:row + tile, p:p + tile] @ b[p:p + tile, col:col + tile]
    return out


def fused_bias_relu(x, bias):
    """max(0, x + bias) as a new array, with one allocation; x and bias are not modified."""
    out = np.add(x, bias)
    np.maximum(out, 0, out=out)
    return out


def fused_softmax(x, axis=-1):
    """Softmax of a numpy array along `axis`, stable (row maximum subtracted), using one
    full-size array: out = x - max; exp in place; divide in place by the sum."""
    out = x - x.max(axis=axis, keepdims=True)
    np.exp(out, out=out)
    out /= out.sum(axis=axis, keepdims=True)
    return out


def fused_linear_gelu(x, weight, bias=None):
    """GELU(x @ weight + bias) (tanh form) with two full-size arrays: the output and one scratch.

    x has shape (..., in), weight (in, out), bias (out,) or None. Steps: out = x @ weight;
    out += bias; then build u in a scratch array with in-place operations
    (scratch = out * out; scratch *= out; ... np.tanh(scratch, out=scratch)), and finish with
    out *= 0.5 * (1 + tanh u), also in place.
    """
    out = np.matmul(x, weight)
    if bias is not None:
        out += bias
    scratch = out * out                 # z^2: the only other full-size array
    scratch *= out                      # z^3
    scratch *= GELU.CUBIC
    scratch += out                      # z + 0.044715 z^3
    scratch *= GELU.SQRT_2_OVER_PI      # u
    np.tanh(scratch, out=scratch)
    scratch += 1.0
    scratch *= 0.5
    out *= scratch
    return out


def linear_gelu_backward(grad_output, x, weight, bias=None):
    """Gradients (dx, dweight, dbias) of y = GELU(x @ weight + bias) for upstream grad_output.

    x (..., in), weight (in, out), bias (out,) or None, grad_output (..., out): numpy arrays.
    Return dx in x's shape, dweight in weight's shape, and dbias in bias's shape (None when
    bias is None). Recompute z = x @ weight (+ bias); dz = GELU().backward(Tensor(z), grad_output).
    """
    pre_activation = np.matmul(x, weight)
    if bias is not None:
        pre_activation = pre_activation + bias
    grad_pre = GELU().backward(Tensor(pre_activation), grad_output)
    grad_input = grad_pre @ weight.T
    rows_in, rows_grad = x.reshape(-1, weight.shape[0]), grad_pre.reshape(-1, weight.shape[1])
    grad_weight = rows_in.T @ rows_grad
    grad_bias = None if bias is None else rows_grad.sum(axis=0)
    return grad_input, grad_weight, grad_bias


class LinearGELUBackward(Function):
    """Graph node of linear_gelu: inputs (x, weight, bias), bias possibly None."""

    def backward(self, grad_output):
        x, weight, bias = self.inputs
        return linear_gelu_backward(grad_output, x.data, weight.data, None if bias is None else bias.data)


def linear_gelu(x, weight, bias=None):
    """GELU(x @ weight + bias) for Tensors, by the fused kernel, differentiable."""
    out = fused_linear_gelu(x.data, weight.data, None if bias is None else bias.data)
    return attach(Tensor(out), LinearGELUBackward(x, weight, bias))


class FusedLinearGELU(Layer):
    """Linear followed by GELU as one fused layer; uses (and trains) the given Linear's parameters."""

    def __init__(self, linear):
        self.linear = linear

    def forward(self, x):
        return linear_gelu(x, self.linear.weight, self.linear.bias)

    def __repr__(self):
        return f"FusedLinearGELU({self.linear!r})"


def contiguous_strides(shape, itemsize):
    """The strides in bytes of a C-order array of this shape and item size, as a tuple."""
    strides = []
    step = itemsize
    for size in reversed(shape):
        strides.append(step)
        step *= size
    return tuple(reversed(strides))


def is_contiguous(array):
    """True when `array` is laid out in C order: its strides equal contiguous_strides, where
    axes of size 1 may have any stride. Arrays with no elements are contiguous."""
    if array.size == 0:
        return True
    expected = contiguous_strides(array.shape, array.itemsize)
    return all(size == 1 or stride == want for size, stride, want in zip(array.shape, array.strides, expected))


def sum_over_axis(x, axis):
    """x.sum(axis=axis) for a 2-D array x (axis 0 or 1), looping in the order that reads
    contiguous memory (see the two cases above). Returns an array of x's dtype."""
    if x.ndim != 2 or axis not in (0, 1, -1, -2):
        raise ValueError(f"sum_over_axis takes a 2-D array and axis 0 or 1, got shape {x.shape} and axis {axis}")
    axis = axis % 2
    kept = 1 - axis
    if abs(x.strides[axis]) <= abs(x.strides[kept]):
        # Lines along the reduced axis are contiguous: reduce each one.
        lines = np.moveaxis(x, kept, 0)
        return np.array([line.sum() for line in lines], dtype=x.dtype)
    # Slices across the reduced axis are contiguous: add them up one by one.
    total = np.zeros(x.shape[kept], dtype=x.dtype)
    for piece in np.moveaxis(x, axis, 0):
        total += piece
    return total


def sliding_windows(x, window, step=1):
    """Overlapping windows of a 1-D array as a read-only strided view (no copy).

    Row i of the result is x[i * step : i * step + window]. Shape (count, window) with
    count = (len(x) - window) // step + 1.
    """
    if x.ndim != 1:
        raise ValueError(f"sliding_windows takes a 1-D array, got shape {x.shape}")
    if not 1 <= window <= x.shape[0] or step < 1:
        raise ValueError(f"need 1 <= window <= {x.shape[0]} and step >= 1, got window {window}, step {step}")
    count = (x.shape[0] - window) // step + 1
    item_stride = x.strides[0]
    return as_strided(x, shape=(count, window), strides=(step * item_stride, item_stride), writeable=False)


def moving_average(x, window):
    """Mean of every window of `window` consecutive values of a 1-D array: one strided view, one reduction."""
    return sliding_windows(x, window).mean(axis=1)


def fuse_linear_gelu(model):
    """A new Sequential like `model`, with each Linear followed by a GELU fused into one FusedLinearGELU.

    Walk model.layers; when layers[i] is a Linear and layers[i + 1] a GELU, append
    FusedLinearGELU(layers[i]) and skip both; otherwise append layers[i] unchanged.
    """
    layers, fused = model.layers, []
    index = 0
    while index < len(layers):
        layer = layers[index]
        if isinstance(layer, Linear) and index + 1 < len(layers) and isinstance(layers[index + 1], GELU):
            fused.append(FusedLinearGELU(layer))
            index += 2
        else:
            fused.append(layer)
            index += 1
    return Sequential(*fused)
