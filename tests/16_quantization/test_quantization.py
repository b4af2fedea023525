"""Forward behaviour of tinytorch.perf.quantization (module 16): grids, scales, sizes, layers."""
import numpy as np
import pytest

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from tinytorch.core.activations import ReLU
from tinytorch.core.layers import Linear, Sequential
from tinytorch.core.tensor import Tensor
from tinytorch.perf.quantization import (
    QuantizedLinear, RangeObserver, calibrate, channel_range, dequantize, model_nbytes,
    quantize_asymmetric, quantize_model, quantize_symmetric, quantize_weight, quantize_with_scale,
)

RNG = np.random.default_rng(160)


@pytest.mark.parametrize("bits", [2, 4, 6, 8])
@pytest.mark.parametrize("axis", [None, 0, -1])
def test_symmetric_round_trip_error_is_at_most_half_a_step(bits, axis):
    x = RNG.standard_normal((7, 5)) * 3
    q, scale = quantize_symmetric(x, axis=axis, bits=bits)
    assert q.dtype == np.int8 and np.abs(q).max() <= 2 ** (bits - 1) - 1
    assert np.all(np.abs(dequantize(q, scale) - x) <= scale / 2 * (1 + 1e-9))


@pytest.mark.parametrize("bits", [2, 5, 8])
def test_asymmetric_grid_represents_zero_exactly(bits):
    x = RNG.standard_normal(50) * 4 + 1
    x[3] = 0.0
    q, scale, zero_point = quantize_asymmetric(x, bits=bits)
    assert q.dtype == np.uint8 and np.issubdtype(zero_point.dtype, np.integer)
    restored = dequantize(q, scale, zero_point)
    assert restored[3] == 0.0
    assert np.abs(restored - x).max() <= scale / 2 * (1 + 1e-9)


def test_clipping_saturates_instead_of_wrapping():
    np.testing.assert_array_equal(quantize_with_scale(np.array([1e3, -1e3]), 1.0), [127, -127])
    np.testing.assert_array_equal(quantize_with_scale(np.array([1e3, -1e3]), 1.0, signed=False), [255, 0])


def test_per_channel_scales_follow_the_output_axis_of_each_layout():
    _, linear_scale = quantize_weight(RNG.standard_normal((6, 4)))
    _, conv_scale = quantize_weight(RNG.standard_normal((4, 3, 3, 3)), layout="conv")
    assert linear_scale.shape == (1, 4) and conv_scale.shape == (4, 1, 1, 1)
    low, high = channel_range(np.arange(6.0).reshape(2, 3), axis=0)
    np.testing.assert_array_equal(low.ravel(), [0, 3])
    np.testing.assert_array_equal(high.ravel(), [2, 5])


def test_observer_keeps_the_widest_range_over_batches():
    observer = RangeObserver()
    for batch in ([1.0, -4.0], [2.0], [0.5]):
        observer.observe(np.array(batch))
    assert observer.max_abs == 4.0 and observer.min_value == -4.0 and observer.max_value == 2.0
    assert observer.scale() == pytest.approx(4.0 / 127)


def test_quantized_linear_is_close_to_the_float_layer_and_four_times_smaller():
    np.random.seed(0)
    layer = Linear(128, 32)
    layer.bias.data[:] = RNG.standard_normal(32).astype(np.float32)
    x = RNG.standard_normal((16, 128)).astype(np.float32)
    expected = layer(Tensor(x)).data
    found = QuantizedLinear(layer)(Tensor(x)).data
    assert np.linalg.norm(found - expected) / np.linalg.norm(expected) < 0.02
    assert layer.weight.data.nbytes == 4 * QuantizedLinear(layer).weight_q.nbytes


def test_quantize_model_returns_a_new_model_and_leaves_the_original_alone():
    np.random.seed(1)
    model = Sequential(Linear(10, 8), ReLU(), Linear(8, 3))
    weights = [p.data.copy() for p in model.parameters()]
    x = RNG.standard_normal((20, 10)).astype(np.float32)
    observers = calibrate(model, [x])
    small = quantize_model(model, calibration_batches=[x])
    assert small is not model and isinstance(model.layers[0], Linear)
    assert all(np.array_equal(a, p.data) for a, p in zip(weights, model.parameters()))
    assert small.layers[0].input_scale == pytest.approx(observers[0].scale())
    assert model_nbytes(model) == 4 * (80 + 8 + 24 + 3)
    assert model_nbytes(small) == 80 + 24 + 4 * 2 * (8 + 3)
