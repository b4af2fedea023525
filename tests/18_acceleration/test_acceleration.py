"""Kernels of tinytorch.perf.acceleration (module 18) against their plain references:
many shapes and dtypes, edge cases, input immutability, views that do not copy."""
import numpy as np
import pytest

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from tinytorch.core.activations import GELU, ReLU, Softmax
from tinytorch.core.tensor import Tensor
from tinytorch.perf.acceleration import (
    contiguous_strides, fused_bias_relu, fused_linear_gelu, fused_softmax, is_contiguous, matmul_loops,
    matmul_tiled, matmul_vectorized_rows, moving_average, sliding_windows, sum_over_axis,
)

RNG = np.random.default_rng(180)
TOLERANCE = {np.float32: 2e-5, np.float64: 1e-12}
SHAPES = [(1, 1, 1), (1, 5, 1), (3, 1, 4), (2, 3, 4), (7, 5, 9), (16, 16, 16), (17, 33, 65)]


def operands(n, k, m, dtype):
    return RNG.standard_normal((n, k)).astype(dtype), RNG.standard_normal((k, m)).astype(dtype)


def check_product(kernel, a, b, dtype):
    a_before, b_before = a.copy(), b.copy()
    result = kernel(a, b)
    assert result.shape == (a.shape[0], b.shape[1]) and result.dtype == dtype
    expected = a.astype(np.float64) @ b.astype(np.float64)
    np.testing.assert_allclose(result, expected, rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype] * a.shape[1])
    assert np.array_equal(a, a_before) and np.array_equal(b, b_before), "a product changed its inputs"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES[:5])
def test_matmul_loops_matches_numpy(shape, dtype):
    check_product(matmul_loops, *operands(*shape, dtype), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_matmul_vectorized_rows_matches_numpy(shape, dtype):
    check_product(matmul_vectorized_rows, *operands(*shape, dtype), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("tile", [1, 3, 4, 16, 64, 100])
def test_matmul_tiled_matches_numpy_for_any_tile(shape, tile, dtype):
    a, b = operands(*shape, dtype)
    check_product(lambda x, y: matmul_tiled(x, y, tile=tile), a, b, dtype)


def test_tiled_edge_tiles_are_computed_when_the_tile_does_not_divide_the_size():
    a, b = operands(67, 65, 66, np.float64)
    result = matmul_tiled(a, b, tile=32)
    np.testing.assert_allclose(result[64:, 64:], (a @ b)[64:, 64:], rtol=1e-12)


def test_products_accept_non_contiguous_inputs_and_empty_inner_dimension():
    a, b = operands(6, 8, 5, np.float64)
    for kernel in (matmul_loops, matmul_vectorized_rows, lambda x, y: matmul_tiled(x, y, 3)):
        np.testing.assert_allclose(kernel(a[:, ::2], b[::2]), a[:, ::2] @ b[::2], rtol=1e-12)
        np.testing.assert_allclose(kernel(b.T, a.T), b.T @ a.T, rtol=1e-12)
        np.testing.assert_array_equal(kernel(np.ones((3, 0)), np.ones((0, 2))), np.zeros((3, 2)))


@pytest.mark.parametrize("kernel", [matmul_loops, matmul_vectorized_rows, matmul_tiled])
def test_products_reject_mismatched_or_non_2d_shapes_with_a_readable_error(kernel):
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 3\)"):
        kernel(np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="2-D"):
        kernel(np.ones(3), np.ones((3, 2)))


def test_tiled_rejects_a_non_positive_tile():
    with pytest.raises(ValueError, match="tile"):
        matmul_tiled(np.ones((2, 2)), np.ones((2, 2)), tile=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape", [(1, 1), (4, 6), (2, 3, 5), (2, 1, 3, 4)])
def test_fused_kernels_equal_the_plain_compositions_and_keep_dtype(x_shape, dtype):
    n_in, n_out = x_shape[-1], 7
    x = RNG.standard_normal(x_shape).astype(dtype)
    weight = RNG.standard_normal((n_in, n_out)).astype(dtype)
    bias = RNG.standard_normal(n_out).astype(dtype)
    copies = [array.copy() for array in (x, weight, bias)]
    tolerance = TOLERANCE[dtype] * 10

    fused = fused_linear_gelu(x, weight, bias)
    plain = GELU()(Tensor(x) @ Tensor(weight) + Tensor(bias)).data
    assert fused.dtype == dtype and fused.shape == plain.shape
    np.testing.assert_allclose(fused, plain, rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(fused_linear_gelu(x, weight), GELU()(Tensor(x) @ Tensor(weight)).data,
                               rtol=tolerance, atol=tolerance)

    x_bias = RNG.standard_normal(x_shape[-1]).astype(dtype)
    relu = fused_bias_relu(x, x_bias)
    assert relu.dtype == dtype
    np.testing.assert_array_equal(relu, ReLU()(Tensor(x) + Tensor(x_bias)).data)

    for axis in range(-x.ndim, x.ndim):
        soft = fused_softmax(x * 40, axis=axis)
        assert soft.dtype == dtype
        np.testing.assert_allclose(soft, Softmax(dim=axis)(Tensor(x * 40)).data, rtol=tolerance, atol=1e-30)
        np.testing.assert_allclose(soft.sum(axis=axis), 1.0, rtol=tolerance * 10)
    for array, copy in zip((x, weight, bias), copies):
        assert np.array_equal(array, copy), "a fused kernel modified its input"


def test_fused_kernels_return_new_arrays_that_do_not_alias_their_inputs():
    x, bias = RNG.standard_normal((3, 4)), RNG.standard_normal(4)
    assert not np.shares_memory(fused_bias_relu(x, bias), x)
    assert not np.shares_memory(fused_softmax(x), x)
    assert not np.shares_memory(fused_linear_gelu(x, np.eye(4)), x)


def test_fused_softmax_is_stable_for_extreme_logits():
    logits = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        result = fused_softmax(logits)
    np.testing.assert_allclose(result, [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-300)


def test_fused_kernels_use_fewer_temporary_bytes_than_the_plain_ones():
    import tracemalloc
    x = RNG.standard_normal((512, 256)).astype(np.float32)
    weight, bias = RNG.standard_normal((256, 256)).astype(np.float32), RNG.standard_normal(256).astype(np.float32)

    def peak(compute):
        tracemalloc.start()
        compute()
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    output_bytes = x.nbytes  # every kernel here returns an array of x's size
    # Fused: the output plus one scratch (GELU) or none (softmax, bias + ReLU); numpy's
    # reduction buffers add a few tens of KB.
    assert peak(lambda: fused_linear_gelu(x, weight, bias)) <= 2.2 * output_bytes
    assert peak(lambda: fused_softmax(x)) <= 1.2 * output_bytes
    assert peak(lambda: fused_bias_relu(x, bias)) <= 1.2 * output_bytes
    # Plain: the compositions of modules 01-03 hold several full-size temporaries.
    assert peak(lambda: GELU()(Tensor(x) @ Tensor(weight) + Tensor(bias))) >= 3 * output_bytes
    assert peak(lambda: Softmax()(Tensor(x))) >= 2 * output_bytes


@pytest.mark.parametrize("dtype", [np.int8, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 4), (1, 1, 7)])
def test_contiguous_strides_and_is_contiguous_agree_with_numpy(shape, dtype):
    array = np.zeros(shape, dtype=dtype)
    assert contiguous_strides(shape, array.itemsize) == array.strides
    views = [array, array.T, np.asfortranarray(array)]
    if array.ndim:
        views += [array[..., ::2], array[..., ::-1], array[..., :1], array[:1], array[1:], np.moveaxis(array, 0, -1)]
    for view in views:
        assert bool(is_contiguous(view)) == view.flags["C_CONTIGUOUS"], (view.shape, view.strides)
    assert is_contiguous(np.zeros((4, 0, 3)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sum_over_axis_matches_numpy_for_every_layout(dtype):
    base = RNG.standard_normal((13, 7)).astype(dtype)
    layouts = [base, np.asfortranarray(base), base.T, base[::-2, 1::3], base[:1], base[:, :1]]
    for layout in layouts:
        for axis in (0, 1, -1, -2):
            result = sum_over_axis(layout, axis)
            assert result.dtype == dtype
            np.testing.assert_allclose(result, layout.astype(np.float64).sum(axis=axis), rtol=TOLERANCE[dtype] * 10)
    with pytest.raises(ValueError):
        sum_over_axis(np.ones((2, 2, 2)), 0)


@pytest.mark.parametrize("dtype", [np.int64, np.float32, np.float64])
@pytest.mark.parametrize("spacing", [1, 2, 3])
@pytest.mark.parametrize("window,step", [(1, 1), (3, 1), (4, 2), (5, 3), (19, 1)])
def test_sliding_windows_equal_the_copying_version_and_share_memory(window, step, spacing, dtype):
    base = np.arange(57).astype(dtype)
    x = base[::spacing]
    if window > len(x):
        window = len(x)
    windows = sliding_windows(x, window, step)
    copied = np.stack([x[start:start + window] for start in range(0, len(x) - window + 1, step)])
    np.testing.assert_array_equal(windows, copied)
    assert windows.dtype == dtype
    assert np.shares_memory(windows, base)
    assert not windows.flags.writeable


def test_sliding_windows_validate_their_arguments():
    for bad in ((np.ones(3), 4, 1), (np.ones(3), 0, 1), (np.ones(3), 2, 0), (np.ones((2, 2)), 1, 1)):
        with pytest.raises(ValueError):
            sliding_windows(*bad)


def test_moving_average_matches_a_box_filter():
    series = RNG.standard_normal(200)
    np.testing.assert_allclose(moving_average(series, 7), np.convolve(series, np.ones(7) / 7, mode="valid"),
                               rtol=1e-12, atol=1e-14)
