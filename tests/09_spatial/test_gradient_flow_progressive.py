"""Module 09 with modules 01-05: spatial layers inside whole models."""
import numpy as np

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import check_model_gradients
from tinytorch.core.activations import GELU, ReLU, Sigmoid, Tanh
from tinytorch.core.autograd import no_grad
from tinytorch.core.layers import Dropout, Linear, Sequential
from tinytorch.core.losses import BinaryCrossEntropyLoss, CrossEntropyLoss, MSELoss
from tinytorch.core.spatial import AvgPool2d, BatchNorm2d, Conv2d, Flatten, MaxPool2d
from tinytorch.core.tensor import Tensor

RNG = np.random.default_rng(92)


def to_float64(model):
    for p in model.parameters():
        p.data = RNG.standard_normal(p.shape) * 0.5
    return model


def test_conv_bn_activations_pool_linear_cross_entropy():
    np.random.seed(0)
    model = to_float64(Sequential(
        Conv2d(2, 4, 3, padding=1, bias=False), BatchNorm2d(4), Tanh(), MaxPool2d(2),
        Conv2d(4, 3, 2), GELU(), AvgPool2d(2, stride=1), Flatten(), Linear(3 * 2 * 2, 5)))
    x = Tensor(RNG.standard_normal((3, 2, 8, 8)), requires_grad=True)
    check_model_gradients(model, lambda: CrossEntropyLoss()(model(x), [0, 4, 2]), inputs={"x": x}, max_entries=12)


def test_strided_conv_with_sigmoid_and_binary_cross_entropy():
    np.random.seed(1)
    model = to_float64(Sequential(Conv2d(1, 2, (3, 2), stride=(2, 1), padding=(1, 0)), ReLU(), Flatten(),
                                  Linear(2 * 3 * 4, 1), Sigmoid()))
    x = Tensor(RNG.standard_normal((4, 1, 5, 5)), requires_grad=True)
    targets = np.array([[1.0], [0.0], [1.0], [0.0]])
    check_model_gradients(model, lambda: BinaryCrossEntropyLoss()(model(x), targets), inputs={"x": x})


def test_conv_feature_maps_mixed_with_tensor_arithmetic_and_mse():
    np.random.seed(2)
    conv = to_float64(Conv2d(1, 2, 3, padding=1))
    x = Tensor(RNG.standard_normal((2, 1, 4, 4)), requires_grad=True)
    target = RNG.standard_normal((2, 2, 4, 4))

    def loss():
        maps = conv(x)
        gated = maps * maps.mean(axis=(2, 3), keepdims=True) + x  # broadcast over channels
        return MSELoss()(gated, target)

    check_model_gradients(conv, loss, inputs={"x": x})


def test_dropout_between_conv_and_linear_keeps_gradients_exact_for_a_fixed_mask():
    np.random.seed(3)
    model = to_float64(Sequential(Conv2d(1, 3, 3), ReLU(), Flatten(), Dropout(0.3), Linear(3 * 3 * 3, 2)))
    x = Tensor(RNG.standard_normal((2, 1, 5, 5)), requires_grad=True)

    def loss():
        np.random.seed(7)  # the same mask on every forward pass
        return CrossEntropyLoss()(model(x), [1, 0])

    check_model_gradients(model, loss, inputs={"x": x})


def test_eval_mode_reaches_batchnorm_and_dropout_inside_a_sequential():
    np.random.seed(4)
    model = Sequential(Conv2d(1, 2, 3, bias=False), BatchNorm2d(2), Dropout(0.5), Flatten())
    x = Tensor(RNG.standard_normal((4, 1, 5, 5)).astype(np.float32))
    model(x)
    model.eval()
    with no_grad():
        first, second = model(x).data, model(x[:1]).data
    np.testing.assert_allclose(first[:1], second, rtol=1e-5, atol=1e-6)  # eval: no batch dependence, no dropout
