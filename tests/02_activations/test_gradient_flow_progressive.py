"""Module 02 with module 01: activations on tensors made by Tensor operations."""
import numpy as np

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import check_gradient_flow
from tinytorch.core.activations import GELU, ReLU, Sigmoid, Softmax, Tanh
from tinytorch.core.tensor import Tensor

RNG = np.random.default_rng(20)


def test_gradient_reaches_weights_through_matmul_and_every_activation():
    x = Tensor(RNG.standard_normal((5, 3)), requires_grad=True)
    w1 = Tensor(RNG.standard_normal((3, 4)), requires_grad=True)
    w2 = Tensor(RNG.standard_normal((4, 4)), requires_grad=True)
    bias = Tensor(RNG.standard_normal(4), requires_grad=True)
    class_values = np.arange(4.0)  # a fixed weighting of the softmax outputs

    def loss():
        h = Tanh()(x @ w1 + bias)
        h = GELU()(Sigmoid()(h) @ w2)
        return (Softmax()(h) * class_values).sum()

    check_gradient_flow(loss, {"x": x, "w1": w1, "w2": w2, "bias": bias})


def test_activation_outputs_are_tensors_of_the_input_dtype():
    for activation in (Sigmoid(), ReLU(), Tanh(), GELU(), Softmax()):
        out = activation(Tensor([[1.0, -2.0, 3.0]]))
        assert isinstance(out, Tensor) and out.dtype == np.float32
        assert out.grad_fn is None, "no input requires grad: nothing recorded"
