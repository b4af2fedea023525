"""Module 09's layers against the naive loops and against hand-computed values."""
import numpy as np
import pytest

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from tinytorch.core.autograd import no_grad
from tinytorch.core.layers import Layer
from tinytorch.core.spatial import (AvgPool2d, BatchNorm2d, Conv2d, Flatten, MaxPool2d, col2im, conv2d_naive,
                                    conv_output_size, im2col, sliding_windows)
from tinytorch.core.tensor import Tensor

RNG = np.random.default_rng(90)


def float64_conv(c_in, c_out, kernel, stride=1, padding=0, bias=True):
    conv = Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, bias=bias)
    conv.weight = Tensor(RNG.standard_normal(conv.weight.shape), requires_grad=True)
    if bias:
        conv.bias = Tensor(RNG.standard_normal(c_out), requires_grad=True)
    return conv


@pytest.mark.parametrize("size, kernel, stride, padding, expected", [
    (32, 3, 1, 0, 30), (32, 3, 1, 1, 32), (32, 3, 2, 1, 16), (7, 3, 2, 0, 3), (5, 5, 1, 0, 1), (6, 4, 3, 2, 3),
])
def test_output_size_formula(size, kernel, stride, padding, expected):
    assert conv_output_size(size, kernel, stride, padding) == expected


@pytest.mark.parametrize("args", [(2, 5), (4, 3, 0), (4, 3, 1, -1)])
def test_output_size_rejects_impossible_layers(args):
    with pytest.raises(ValueError):
        conv_output_size(*args)


CONFIGS = [
    # (N, C, H, W, C_out, kernel, stride, padding)
    (1, 1, 5, 5, 1, 3, 1, 0), (2, 3, 7, 6, 4, 3, 1, 1), (2, 2, 8, 8, 3, 3, 2, 1), (3, 1, 9, 7, 2, (3, 2), (2, 1), (1, 0)),
    (1, 4, 6, 6, 5, 1, 1, 0), (2, 2, 5, 9, 3, (1, 4), (1, 3), (0, 2)), (1, 3, 4, 4, 2, 4, 1, 2), (2, 2, 10, 10, 2, 5, 3, 2),
]


@pytest.mark.parametrize("n, c, h, w, c_out, kernel, stride, padding", CONFIGS)
def test_conv2d_matches_the_naive_loops(n, c, h, w, c_out, kernel, stride, padding):
    conv = float64_conv(c, c_out, kernel, stride, padding)
    x = RNG.standard_normal((n, c, h, w))
    expected = conv2d_naive(x, conv.weight.data, conv.bias.data, stride, padding)
    np.testing.assert_allclose(conv(Tensor(x)).data, expected, rtol=1e-10, atol=1e-12)


def test_conv2d_without_bias_matches_the_naive_loops_and_has_one_parameter():
    conv = float64_conv(2, 3, 3, padding=1, bias=False)
    x = RNG.standard_normal((2, 2, 5, 5))
    np.testing.assert_allclose(conv(Tensor(x)).data, conv2d_naive(x, conv.weight.data, None, 1, 1), rtol=1e-10)
    assert conv.parameters() == [conv.weight]


def test_naive_loops_on_a_hand_computed_example():
    image = np.arange(16.0).reshape(1, 1, 4, 4)
    out = conv2d_naive(image, np.ones((1, 1, 2, 2)), np.array([0.5]), stride=2)
    np.testing.assert_allclose(out[0, 0], [[10.5, 18.5], [42.5, 50.5]])


def test_conv2d_parameters_init_and_dtypes():
    np.random.seed(0)
    conv = Conv2d(16, 32, (3, 5), stride=2, padding=(1, 2))
    assert isinstance(conv, Layer)
    assert conv.weight.shape == (32, 16, 3, 5) and conv.weight.dtype == np.float32 and conv.weight.requires_grad
    assert conv.bias.shape == (32,) and not conv.bias.data.any()
    assert conv.kernel_size == (3, 5) and conv.stride == (2, 2) and conv.padding == (1, 2)
    assert abs(conv.weight.data.std() - np.sqrt(2 / (16 * 15))) < 0.05 * np.sqrt(2 / (16 * 15))
    out = conv(Tensor(np.ones((2, 16, 9, 9), dtype=np.float32)))
    assert out.shape == (2, 32, 5, 5) and out.dtype == np.float32 and out.data.flags["C_CONTIGUOUS"]
    assert "Conv2d(16, 32" in repr(conv)


@pytest.mark.parametrize("shape", [(1, 2, 5, 5), (3, 5, 5), (5, 5), (1, 3, 2, 2)])
def test_conv2d_rejects_bad_inputs(shape):
    conv = Conv2d(3, 2, 3)
    with pytest.raises(ValueError):
        conv(Tensor(np.ones(shape)))


def test_conv2d_accepts_a_numpy_array():
    conv = Conv2d(1, 1, 2)
    assert conv(np.ones((1, 1, 3, 3), dtype=np.float32)).shape == (1, 1, 2, 2)


def test_sliding_windows_is_a_view_and_im2col_orders_columns_by_position():
    x = RNG.standard_normal((2, 3, 5, 6))
    windows = sliding_windows(x, (2, 3), stride=(1, 2))
    assert windows.shape == (2, 3, 4, 2, 2, 3) and np.shares_memory(windows, x)
    np.testing.assert_array_equal(windows[1, 2, 3, 1], x[1, 2, 3:5, 2:5])
    cols = im2col(x, (2, 3), stride=(1, 2))
    assert cols.shape == (3 * 2 * 3, 2 * 4 * 2)
    np.testing.assert_array_equal(cols[:, -1], x[1, :, 3:5, 2:5].ravel())


def test_col2im_is_the_adjoint_of_sliding_windows():
    # <windows(x), g> == <x, col2im(g)> for every x and g: the definition of the adjoint
    for kernel, stride, padding in [(3, 1, 1), ((2, 3), (2, 1), (0, 1)), (2, 2, 0), (3, 2, 1)]:
        x = RNG.standard_normal((2, 2, 6, 7))
        windows = sliding_windows(x, kernel, stride, padding)
        g = RNG.standard_normal(windows.shape)
        np.testing.assert_allclose(np.sum(windows * g), np.sum(x * col2im(g, x.shape, stride, padding)), rtol=1e-10)


def test_maxpool_values_routing_and_ties():
    grid = Tensor(np.arange(16.0).reshape(1, 1, 4, 4), requires_grad=True)
    pool = MaxPool2d(2)
    assert pool.stride == (2, 2)
    out = pool(grid)
    np.testing.assert_array_equal(out.data[0, 0], [[5, 7], [13, 15]])
    out.sum().backward()
    assert grid.grad.sum() == 4 and grid.grad[0, 0, 1, 1] == grid.grad[0, 0, 3, 3] == 1
    ties = Tensor(np.zeros((1, 2, 4, 4)), requires_grad=True)
    MaxPool2d(2)(ties).sum().backward()
    np.testing.assert_array_equal(ties.grad[0, 1], [[1, 0, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]])


def test_maxpool_overlapping_windows_accumulate_on_a_shared_winner():
    x = RNG.uniform(0, 1, size=(1, 1, 5, 5))
    x[0, 0, 2, 2] = 5.0
    x = Tensor(x, requires_grad=True)
    out = MaxPool2d(3, stride=1)(x)
    assert np.all(out.data == 5.0)
    out.sum().backward()
    assert x.grad[0, 0, 2, 2] == 9 and x.grad.sum() == 9


def test_maxpool_padding_never_wins():
    x = Tensor(-1.0 - RNG.uniform(0, 1, size=(2, 3, 4, 4)))
    out = MaxPool2d(3, stride=2, padding=1)(x)
    assert out.shape == (2, 3, 2, 2) and np.all(out.data < -1.0)


def test_maxpool_against_a_loop_reference_with_stride_and_padding():
    x = RNG.standard_normal((2, 3, 7, 6))
    out = MaxPool2d((3, 2), stride=(2, 1), padding=(1, 1))(Tensor(x)).data
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    for n, c, h, w in np.ndindex(out.shape):
        assert out[n, c, h, w] == padded[n, c, 2 * h:2 * h + 3, w:w + 2].max()


def test_avgpool_values_and_even_gradient():
    grid = Tensor(np.arange(16.0).reshape(1, 1, 4, 4), requires_grad=True)
    out = AvgPool2d(2)(grid)
    np.testing.assert_allclose(out.data[0, 0], [[2.5, 4.5], [10.5, 12.5]])
    out.sum().backward()
    np.testing.assert_allclose(grid.grad, 0.25)
    ones = Tensor(np.ones((1, 1, 2, 2)))
    np.testing.assert_allclose(AvgPool2d(2, stride=1, padding=1)(ones).data[0, 0, 0], [0.25, 0.5, 0.25])


@pytest.mark.parametrize("pool_class", [MaxPool2d, AvgPool2d])
def test_pools_reject_bad_inputs_and_too_much_padding(pool_class):
    with pytest.raises(ValueError):
        pool_class(2)(Tensor(np.ones((4, 4))))
    with pytest.raises(ValueError):
        pool_class(2, padding=2)
    assert pool_class(2).parameters() == []


def test_batchnorm_training_normalizes_each_channel_and_updates_running_stats():
    x = RNG.standard_normal((8, 3, 4, 4)) * np.array([1.0, 5.0, 0.1])[:, None, None] + np.array([3.0, -2.0, 0.0])[:, None, None]
    bn = BatchNorm2d(3)
    y = bn(Tensor(x.astype(np.float32))).data
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0.0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1.0, atol=1e-2)
    np.testing.assert_allclose(bn.running_mean, 0.1 * x.mean(axis=(0, 2, 3)), rtol=1e-5)
    np.testing.assert_allclose(bn.running_var, 0.9 + 0.1 * x.var(axis=(0, 2, 3), ddof=1), rtol=1e-5)
    assert bn.running_mean.dtype == bn.running_var.dtype == np.float32
    assert bn.parameters() == [bn.gamma, bn.beta]


def test_batchnorm_eval_uses_running_stats_and_does_not_update_them():
    bn = BatchNorm2d(2, momentum=0.5)
    for _ in range(4):
        bn(Tensor(RNG.standard_normal((4, 2, 3, 3)) * 2 + 1))
    bn.gamma.data[:] = [2.0, 0.5]
    bn.beta.data[:] = [1.0, -1.0]
    bn.eval()
    running = bn.running_mean.copy(), bn.running_var.copy()
    single = RNG.standard_normal((1, 2, 3, 3))
    expected = ((single - running[0][:, None, None]) / np.sqrt(running[1][:, None, None] + bn.eps)
                * np.array([2.0, 0.5])[:, None, None] + np.array([1.0, -1.0])[:, None, None])
    np.testing.assert_allclose(bn(Tensor(single)).data, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(bn.running_mean, running[0])
    np.testing.assert_array_equal(bn.running_var, running[1])


def test_batchnorm_batch_of_two_images_differs_between_train_and_eval():
    bn = BatchNorm2d(1)
    x = Tensor(np.array([[[[1.0]]], [[[3.0]]]]))
    np.testing.assert_allclose(bn(x).data.ravel(), [-1.0, 1.0], atol=1e-4)
    bn.eval()
    assert not np.allclose(bn(x).data.ravel(), [-1.0, 1.0], atol=1e-2)


@pytest.mark.parametrize("shape", [(2, 3, 4), (2, 4, 3, 3)])
def test_batchnorm_rejects_bad_inputs(shape):
    with pytest.raises(ValueError):
        BatchNorm2d(3)(Tensor(np.ones(shape)))


def test_batchnorm_needs_more_than_one_value_per_channel_to_train():
    with pytest.raises(ValueError):
        BatchNorm2d(2)(Tensor(np.ones((1, 2, 1, 1))))
    bn = BatchNorm2d(2).eval()
    assert bn(Tensor(np.ones((1, 2, 1, 1)))).shape == (1, 2, 1, 1)


def test_flatten_keeps_the_batch_axis():
    x = Tensor(RNG.standard_normal((3, 2, 4, 5)))
    out = Flatten()(x)
    assert out.shape == (3, 40)
    np.testing.assert_array_equal(out.data, x.data.reshape(3, 40))


def test_no_grad_records_no_graph():
    conv = Conv2d(1, 2, 3)
    with no_grad():
        out = MaxPool2d(2)(conv(Tensor(np.ones((1, 1, 6, 6)))))
    assert out.grad_fn is None and not out.requires_grad
