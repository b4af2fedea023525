"""Numerical gradients of Conv2d, the pools and BatchNorm2d (module 09) through autograd."""
import numpy as np
import pytest

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import check_gradient_flow, check_model_gradients
from tinytorch.core.spatial import AvgPool2d, BatchNorm2d, Conv2d, Flatten, MaxPool2d
from tinytorch.core.tensor import Tensor

RNG = np.random.default_rng(91)


def float64_conv(c_in, c_out, kernel, stride=1, padding=0, bias=True):
    conv = Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, bias=bias)
    conv.weight = Tensor(RNG.standard_normal(conv.weight.shape), requires_grad=True)
    if bias:
        conv.bias = Tensor(RNG.standard_normal(c_out), requires_grad=True)
    return conv


@pytest.mark.parametrize("seed", range(8))
def test_conv2d_gradients_with_random_stride_and_padding(seed):
    rng = np.random.default_rng(1000 + seed)
    kh, kw, sh, sw = (int(v) for v in rng.integers(1, 4, size=4))
    ph, pw = int(rng.integers(0, kh)), int(rng.integers(0, kw))  # padding < kernel: every window sees the input
    n, c, c_out = (int(v) for v in rng.integers(1, 4, size=3))
    h, w = int(rng.integers(max(1, kh - 2 * ph), 7)), int(rng.integers(max(1, kw - 2 * pw), 7))
    conv = float64_conv(c, c_out, (kh, kw), (sh, sw), (ph, pw), bias=seed % 4 != 3)
    x = Tensor(rng.standard_normal((n, c, h, w)), requires_grad=True)
    upstream = Tensor(rng.standard_normal(conv(x).shape))
    check_model_gradients(conv, lambda: (conv(x) * upstream).sum(), inputs={"x": x})


def test_conv2d_gradients_accumulate_over_two_backward_calls():
    conv = float64_conv(2, 2, 3, padding=1)
    x = Tensor(RNG.standard_normal((1, 2, 4, 4)), requires_grad=True)
    (conv(x) ** 2).sum().backward()
    first = conv.weight.grad.copy(), x.grad.copy()
    (conv(x) ** 2).sum().backward()
    np.testing.assert_allclose(conv.weight.grad, 2 * first[0])
    np.testing.assert_allclose(x.grad, 2 * first[1])


def test_conv2d_used_twice_in_one_graph_sums_both_gradients():
    conv = float64_conv(1, 1, 3, padding=1)
    x = Tensor(RNG.standard_normal((1, 1, 5, 5)), requires_grad=True)
    check_model_gradients(conv, lambda: (conv(conv(x)) * conv(x)).sum(), inputs={"x": x})


def test_float32_conv_gives_float32_gradients():
    conv = Conv2d(2, 3, 3)
    x = Tensor(RNG.standard_normal((2, 2, 5, 5)).astype(np.float32), requires_grad=True)
    conv(x).sum().backward()
    assert conv.weight.grad.dtype == conv.bias.grad.dtype == x.grad.dtype == np.float32


@pytest.mark.parametrize("pool_class, kernel, stride, padding", [
    (MaxPool2d, 2, None, 0), (MaxPool2d, 3, 1, 1), (MaxPool2d, (2, 3), (1, 2), (1, 1)),
    (AvgPool2d, 2, None, 0), (AvgPool2d, 3, 1, 1), (AvgPool2d, (3, 2), (2, 1), (1, 0)),
])
def test_pool_gradients_match_central_differences(pool_class, kernel, stride, padding):
    pool = pool_class(kernel, stride=stride, padding=padding)
    x = Tensor(RNG.standard_normal((2, 3, 6, 7)), requires_grad=True)
    upstream = Tensor(RNG.standard_normal(pool(x).shape))
    check_gradient_flow(lambda: (pool(x) * upstream).sum(), {"x": x})


def test_maxpool_gradient_lands_on_the_argmax_only():
    x = RNG.standard_normal((2, 2, 6, 6))
    tensor = Tensor(x, requires_grad=True)
    MaxPool2d(2)(tensor).sum().backward()
    blocks = x.reshape(2, 2, 3, 2, 3, 2).transpose(0, 1, 2, 4, 3, 5).reshape(2, 2, 3, 3, 4)
    winners = blocks == blocks.max(axis=-1, keepdims=True)
    expected = winners.reshape(2, 2, 3, 3, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(x.shape)
    np.testing.assert_array_equal(tensor.grad, expected.astype(float))


@pytest.mark.parametrize("shape", [(4, 3, 3, 3), (2, 2, 1, 5), (3, 1, 2, 2)])
def test_batchnorm_training_gradients_for_input_gamma_and_beta(shape):
    bn = BatchNorm2d(shape[1])
    bn.gamma = Tensor(RNG.uniform(0.5, 2, size=shape[1]), requires_grad=True)
    bn.beta = Tensor(RNG.standard_normal(shape[1]), requires_grad=True)
    x = Tensor(RNG.standard_normal(shape) * 3 + 1, requires_grad=True)
    upstream = Tensor(RNG.standard_normal(shape))
    check_model_gradients(bn, lambda: (bn(x) * upstream).sum(), inputs={"x": x})


def test_batchnorm_gradient_of_a_sum_of_outputs_vanishes_for_the_input():
    # every channel's outputs sum to N*H*W*beta whatever x is: the exact gradient is zero
    bn = BatchNorm2d(2)
    x = Tensor(RNG.standard_normal((3, 2, 2, 2)), requires_grad=True)
    bn(x).sum().backward()
    np.testing.assert_allclose(x.grad, 0.0, atol=1e-5)


def test_batchnorm_eval_mode_gradients():
    bn = BatchNorm2d(3)
    bn(Tensor(RNG.standard_normal((4, 3, 2, 2))))
    bn.eval()
    bn.gamma = Tensor(RNG.uniform(0.5, 2, size=3), requires_grad=True)
    bn.beta = Tensor(RNG.standard_normal(3), requires_grad=True)
    x = Tensor(RNG.standard_normal((1, 3, 2, 2)), requires_grad=True)
    upstream = Tensor(RNG.standard_normal((1, 3, 2, 2)))
    check_model_gradients(bn, lambda: (bn(x) * upstream).sum(), inputs={"x": x})


def test_flatten_passes_gradients_back_in_the_input_shape():
    x = Tensor(RNG.standard_normal((2, 3, 2, 2)), requires_grad=True)
    upstream = Tensor(RNG.standard_normal((2, 12)))
    check_gradient_flow(lambda: (Flatten()(x) * upstream).sum(), {"x": x})
