# Generated from modules/16_quantization/16_quantization.py by `make build`: do not edit.
# Change the module source and run `make build` again.

import numpy as np

import tinytorch.core.autograd  # noqa: F401  (gradients on)
from tinytorch.core.autograd import Function, attach, no_grad
from tinytorch.core.layers import Layer, Linear, Sequential
from tinytorch.core.tensor import Tensor


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
    if axis is None:
        return np.asarray(values.min()), np.asarray(values.max())
    axis = axis % values.ndim
    others = tuple(a for a in range(values.ndim) if a != axis)
    return values.min(axis=others, keepdims=True), values.max(axis=others, keepdims=True)


def quantize_with_scale(x, scale, zero_point=0, bits=8, signed=True):
    """clip(round(x / scale) + zero_point, q_min, q_max) as int8 (signed) or uint8.

    scale and zero_point may be numbers or arrays that broadcast against x.
    """
    values = as_float_array(x)
    q_min, q_max = integer_limits(bits, signed)
    levels = np.clip(np.round(values / scale) + zero_point, q_min, q_max)
    return levels.astype(np.int8 if signed else np.uint8)


def quantize_symmetric(x, axis=None, bits=8):
    """(q int8, scale): scale = max|x| / q_max per tensor or per index along `axis`, zero point 0.

    scale is a numpy array in x's float dtype, shaped like channel_range's results; where
    max|x| is 0, the scale is 1.
    """
    values = as_float_array(x)
    _, q_max = integer_limits(bits, signed=True)
    low, high = channel_range(values, axis)
    max_abs = np.maximum(np.abs(low), np.abs(high))
    scale = np.where(max_abs > 0, max_abs / q_max, 1.0).astype(values.dtype)
    return quantize_with_scale(values, scale, bits=bits), scale


def dequantize(q, scale, zero_point=0):
    """scale * (q - zero_point), in the float dtype of `scale`."""
    scale = as_float_array(scale)
    return (np.asarray(q).astype(scale.dtype) - zero_point) * scale


def quantize_asymmetric(x, axis=None, bits=8):
    """(q uint8, scale, zero_point) with the grid spanning [min(x, 0), max(x, 0)].

    scale: numpy array in x's float dtype (1 where the range is empty); zero_point: int32
    numpy array of the same shape, round(q_min - low / scale), clipped to [q_min, q_max].
    """
    values = as_float_array(x)
    q_min, q_max = integer_limits(bits, signed=False)
    low, high = channel_range(values, axis)
    low, high = np.minimum(low, 0.0), np.maximum(high, 0.0)
    scale = np.where(high > low, (high - low) / (q_max - q_min), 1.0).astype(values.dtype)
    zero_point = np.clip(np.round(q_min - low / scale), q_min, q_max).astype(np.int32)
    return quantize_with_scale(values, scale, zero_point, bits=bits, signed=False), scale, zero_point


def quantize_weight(weight, layout="linear", per_channel=True, bits=8):
    """Symmetric quantization of a weight, one scale per output channel (or per tensor).

    layout "linear": weight (in, out), output channels along axis 1.
    layout "conv":   weight (out, in, kH, kW), output channels along axis 0.
    Returns quantize_symmetric's (q, scale).
    """
    if layout not in ("linear", "conv"):
        raise ValueError(f"unknown layout {layout!r}: use 'linear' (weight (in, out)) or 'conv' (weight (out, in, kH, kW))")
    axis = (1 if layout == "linear" else 0) if per_channel else None
    return quantize_symmetric(weight, axis=axis, bits=bits)


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
        self.min_value = min(self.min_value, float(values.min()))
        self.max_value = max(self.max_value, float(values.max()))
        magnitudes = np.abs(values)
        if self.percentile is None:
            bound = float(magnitudes.max())
        else:
            bound = float(np.percentile(magnitudes, self.percentile))
        self.max_abs = max(self.max_abs, bound)
        self.batches += 1
        return x

    def scale(self, bits=8):
        """The symmetric scale max_abs / q_max (1.0 when max_abs is 0); RuntimeError before any batch."""
        if self.batches == 0:
            raise RuntimeError("RangeObserver.scale(): no batch observed yet; run calibrate() first")
        _, q_max = integer_limits(bits, signed=True)
        return self.max_abs / q_max if self.max_abs > 0 else 1.0

    def __repr__(self):
        return (f"RangeObserver(batches={self.batches}, min={self.min_value:.4g}, max={self.max_value:.4g}, "
                f"max_abs={self.max_abs:.4g})")


def calibrate(model, batches, percentile=None):
    """{index: RangeObserver} recording the input of every Linear in model.layers over `batches`."""
    observers = {index: RangeObserver(percentile) for index, layer in enumerate(model.layers)
                 if isinstance(layer, Linear)}
    was_training = model.training
    model.eval()  # calibrate what inference will see (dropout off)
    with no_grad():
        for batch in batches:
            x = batch[0] if isinstance(batch, (tuple, list)) else batch
            x = x if isinstance(x, Tensor) else Tensor(x)
            for index, layer in enumerate(model.layers):
                if index in observers:
                    observers[index].observe(x)
                x = layer(x)
    model.train(was_training)
    return observers


class QuantizedLinear(Layer):
    """A Linear layer with int8 weights (one scale per output channel) and int32 accumulation."""

    def __init__(self, linear, input_scale=None):
        """Quantize `linear.weight` per output channel; keep the bias as a float32 numpy copy."""
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.weight_q, self.weight_scale = quantize_weight(linear.weight.data, layout="linear")
        self.bias = None if linear.bias is None else linear.bias.data.astype(np.float32)
        self.input_scale = input_scale

    def forward(self, x):
        """x (..., in) -> float32 Tensor (..., out): int8 input @ int8 weight in int32, rescaled, + bias."""
        values = as_float_array(x)
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

    def nbytes(self):
        """Bytes stored: int8 weights, their scales, and the float bias."""
        arrays = [self.weight_q, np.asarray(self.weight_scale)] + ([] if self.bias is None else [self.bias])
        return sum(a.nbytes for a in arrays)

    def __repr__(self):
        mode = "dynamic" if self.input_scale is None else f"input_scale={self.input_scale:.3g}"
        return f"QuantizedLinear(in_features={self.in_features}, out_features={self.out_features}, {mode})"


def quantize_model(model, calibration_batches=None, percentile=None):
    """A new Sequential with every Linear replaced by a QuantizedLinear; `model` is unchanged."""
    observers = {} if calibration_batches is None else calibrate(model, calibration_batches, percentile)
    layers = []
    for index, layer in enumerate(model.layers):
        if isinstance(layer, Linear):
            input_scale = observers[index].scale() if index in observers else None
            layers.append(QuantizedLinear(layer, input_scale=input_scale))
        else:
            layers.append(layer)
    return Sequential(*layers)


def model_nbytes(model):
    """Bytes of a model's numbers: QuantizedLinear.nbytes(), else the bytes of parameters()."""
    layers = model.layers if isinstance(model, Sequential) else [model]
    total = 0
    for layer in layers:
        if isinstance(layer, QuantizedLinear):
            total += layer.nbytes()
        else:
            total += sum(p.data.nbytes for p in layer.parameters())
    return total


class FakeQuantizeBackward(Function):
    """Straight-through estimator: the gradient passes unchanged inside the range, 0 outside."""

    def __init__(self, x, inside):
        super().__init__(x)
        self.inside = inside  # boolean numpy array, True where x was not clipped

    def backward(self, grad_output):
        return (grad_output * self.inside,)


def fake_quantize(x, scale, bits=8):
    """Quantize then dequantize x (a Tensor) on the symmetric grid; STE gradient. Returns a Tensor."""
    values = as_float_array(x)
    scale = np.asarray(scale, dtype=values.dtype)
    _, q_max = integer_limits(bits, signed=True)
    levels = np.round(values / scale)
    inside = np.abs(levels) <= q_max
    restored = (np.clip(levels, -q_max, q_max) * scale).astype(values.dtype)
    return attach(Tensor(restored), FakeQuantizeBackward(x, inside))


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
