# Generated from modules/09_spatial/09_spatial.py by `make build`: do not edit.
# Change the module source and run `make build` again.

import numpy as np

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from tinytorch.core.autograd import Function, attach
from tinytorch.core.layers import Layer
from tinytorch.core.tensor import Tensor


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
    if stride < 1 or padding < 0:
        raise ValueError(f"stride must be at least 1 and padding at least 0, got stride={stride}, padding={padding}")
    if kernel_size > size + 2 * padding:
        raise ValueError(
            f"kernel size {kernel_size} is larger than the padded input: {size} + 2*{padding} = {size + 2 * padding}"
        )
    return (size + 2 * padding - kernel_size) // stride + 1


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
    out_h = conv_output_size(x.shape[2], kernel_h, stride_h, pad_h)
    out_w = conv_output_size(x.shape[3], kernel_w, stride_w, pad_w)
    if pad_h or pad_w:
        x = np.pad(x, ((0, 0), (0, 0), (pad_h, pad_h), (pad_w, pad_w)), constant_values=pad_value)
    windows = np.lib.stride_tricks.sliding_window_view(x, (kernel_h, kernel_w), axis=(2, 3))
    return windows[:, :, : out_h * stride_h : stride_h, : out_w * stride_w : stride_w]


def im2col(x, kernel_size, stride=1, padding=0):
    """The column matrix (C*kH*kW, N*H_out*W_out) of x (N, C, H, W): one column per output
    position (n, h, w), holding that position's window over all channels, ordered (c, i, j).
    """
    windows = sliding_windows(x, kernel_size, stride, padding)
    batch, channels, out_h, out_w, kernel_h, kernel_w = windows.shape
    return windows.transpose(1, 4, 5, 0, 2, 3).reshape(channels * kernel_h * kernel_w, batch * out_h * out_w)


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


class Conv2d(Layer):
    """2-D convolution of (N, C_in, H, W) inputs with C_out learned kernels."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True):
        """Keep in_channels, out_channels, and kernel_size, stride, padding as pairs (_pair).

        weight: float32 Tensor (out, in, kH, kW), requires_grad=True, from
          np.random.normal(0.0, sqrt(2 / (in_channels * kH * kW)), size=...).
        bias: float32 zeros (out_channels,) with requires_grad=True, or None when bias=False.
        """
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = _pair(kernel_size), _pair(stride), _pair(padding)
        kernel_h, kernel_w = self.kernel_size
        std = np.sqrt(2.0 / (in_channels * kernel_h * kernel_w))
        weight = np.random.normal(0.0, std, size=(out_channels, in_channels, kernel_h, kernel_w))
        self.weight = Tensor(weight.astype(np.float32), requires_grad=True)
        self.bias = Tensor(np.zeros(out_channels, dtype=np.float32), requires_grad=True) if bias else None

    def forward(self, x):
        """x (N, C_in, H, W) -> (N, C_out, H_out, W_out) by im2col and one matrix product."""
        if not isinstance(x, Tensor):
            x = Tensor(x)
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"Conv2d expects input (N, {self.in_channels}, H, W), got shape {x.shape}")
        batch, _, height, width = x.shape
        out_h = conv_output_size(height, self.kernel_size[0], self.stride[0], self.padding[0])
        out_w = conv_output_size(width, self.kernel_size[1], self.stride[1], self.padding[1])
        cols = im2col(x.data, self.kernel_size, self.stride, self.padding)
        out = self.weight.data.reshape(self.out_channels, -1) @ cols
        if self.bias is not None:
            out = out + self.bias.data[:, None]
        out = np.ascontiguousarray(out.reshape(self.out_channels, batch, out_h, out_w).transpose(1, 0, 2, 3))
        return attach(Tensor(out), Conv2dBackward(x, self.weight, self.bias, cols, self.stride, self.padding))

    def __repr__(self):
        return (f"Conv2d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, bias={self.bias is not None})")


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
    grad_padded = np.zeros((batch, channels, height + 2 * pad_h, width + 2 * pad_w), dtype=grad_windows.dtype)
    for i in range(kernel_h):
        for j in range(kernel_w):
            grad_padded[:, :, i:i + stride_h * out_h:stride_h, j:j + stride_w * out_w:stride_w] += grad_windows[:, :, :, :, i, j]
    return grad_padded[:, :, pad_h:pad_h + height, pad_w:pad_w + width]


class MaxPool2dBackward(Function):
    """Routes each window's gradient to its first largest input."""

    def __init__(self, x, chosen, kernel_size, stride, padding):
        super().__init__(x)
        self.chosen = chosen  # one-hot (N, C, H_out, W_out, kH*kW): each window's winner
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def backward(self, grad_output):
        """(grad_x,): chosen * grad_output[..., None], reshaped to windows, through col2im."""
        x = self.inputs[0]
        grad_windows = (self.chosen * grad_output[..., None]).reshape(grad_output.shape + self.kernel_size)
        return (col2im(grad_windows, x.shape, self.stride, self.padding),)


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
        windows = sliding_windows(x.data, self.kernel_size, self.stride, self.padding, pad_value=-np.inf)
        window_size = self.kernel_size[0] * self.kernel_size[1]
        flat = windows.reshape(windows.shape[:4] + (window_size,))
        chosen = np.arange(window_size) == flat.argmax(axis=-1)[..., None]
        out = flat.max(axis=-1)
        return attach(Tensor(out), MaxPool2dBackward(x, chosen, self.kernel_size, self.stride, self.padding))


class AvgPool2dBackward(Function):
    """Spreads each window's gradient evenly over the window."""

    def __init__(self, x, kernel_size, stride, padding):
        super().__init__(x)
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def backward(self, grad_output):
        """(grad_x,): grad_output / (kH * kW) broadcast to every window position, through col2im."""
        x = self.inputs[0]
        share = grad_output / (self.kernel_size[0] * self.kernel_size[1])
        grad_windows = np.broadcast_to(share[..., None, None], grad_output.shape + self.kernel_size)
        return (col2im(grad_windows, x.shape, self.stride, self.padding),)


class AvgPool2d(Pool2d):
    """The mean of every kernel_size window, per channel (zero padding counted)."""

    def forward(self, x):
        """(N, C, H, W) -> (N, C, H_out, W_out); records AvgPool2dBackward."""
        x = self._check_input(x)
        windows = sliding_windows(x.data, self.kernel_size, self.stride, self.padding)
        out = windows.mean(axis=(-2, -1))
        return attach(Tensor(out), AvgPool2dBackward(x, self.kernel_size, self.stride, self.padding))


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

    def __repr__(self):
        return f"BatchNorm2d({self.num_features}, eps={self.eps}, momentum={self.momentum})"


class Flatten(Layer):
    """(N, d1, d2, ...) -> (N, d1 * d2 * ...): keeps the batch axis, joins the rest."""

    def forward(self, x):
        """A Tensor reshape to (N, -1)."""
        if not isinstance(x, Tensor):
            x = Tensor(x)
        return x.reshape(x.shape[0], -1)

    def __repr__(self):
        return "Flatten()"
