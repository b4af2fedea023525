# Generated from modules/02_activations/02_activations.py by `make build`: do not edit.
# Change the module source and run `make build` again.

import numpy as np

from tinytorch.core.tensor import Tensor


class Activation:
    """Base class of the activations: `activation(x)` runs `forward(x)`.

    Subclasses implement `forward(x: Tensor) -> Tensor` on `x.data` with numpy, and
    `backward(x: Tensor, grad_output: np.ndarray) -> np.ndarray`, the vector-Jacobian
    product dL/dx given dL/dy for the input x of the forward.
    """

    def __call__(self, x):
        # Module 05 wraps this method, so calling any activation records one graph node
        # whose backward is the activation's own `backward`.
        return self.forward(x)

    def forward(self, x):
        raise NotImplementedError(f"{type(self).__name__} must implement forward(x)")

    def backward(self, x, grad_output):
        raise NotImplementedError(f"{type(self).__name__} must implement backward(x, grad_output)")

    def parameters(self):
        """Activations have no trainable tensors."""
        return []

    def __repr__(self):
        return f"{type(self).__name__}()"


def stable_sigmoid(values):
    """1 / (1 + exp(-values)) for a numpy array, without overflow for any input.

    Use d = exp(-|values|), which lies in (0, 1], and np.where to choose 1 / (1 + d)
    where values >= 0 and d / (1 + d) elsewhere. Keep the dtype: combine arrays with
    Python numbers (1, not np.float64(1)).
    """
    decay = np.exp(-np.abs(values))  # in (0, 1]: exp never sees a positive argument
    return np.where(values >= 0, 1 / (1 + decay), decay / (1 + decay))


class Sigmoid(Activation):
    """sigma(x) = 1 / (1 + exp(-x)), elementwise."""

    def forward(self, x):
        """A new Tensor holding stable_sigmoid(x.data)."""
        return Tensor(stable_sigmoid(x.data))

    def backward(self, x, grad_output):
        """dL/dx = grad_output * s * (1 - s), with s = sigma(x) recomputed from x.data."""
        s = stable_sigmoid(x.data)
        return grad_output * s * (1 - s)


class ReLU(Activation):
    """max(0, x), elementwise."""

    def forward(self, x):
        """A new Tensor holding max(0, x) entry by entry (np.maximum)."""
        return Tensor(np.maximum(x.data, 0))

    def backward(self, x, grad_output):
        """dL/dx = grad_output where x > 0, and 0 where x <= 0."""
        return grad_output * (x.data > 0)


class Tanh(Activation):
    """tanh(x), elementwise."""

    def forward(self, x):
        """A new Tensor holding np.tanh(x.data)."""
        return Tensor(np.tanh(x.data))

    def backward(self, x, grad_output):
        """dL/dx = grad_output * (1 - t^2), with t = tanh(x) recomputed from x.data."""
        t = np.tanh(x.data)
        return grad_output * (1 - t**2)


class GELU(Activation):
    """GELU with the tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""

    SQRT_2_OVER_PI = float(np.sqrt(2.0 / np.pi))  # a Python float keeps float32 arrays float32
    CUBIC = 0.044715

    def forward(self, x):
        """A new Tensor holding 0.5 x (1 + tanh(u)), u = SQRT_2_OVER_PI (x + CUBIC x^3)."""
        values = x.data
        # values * values * values, not values**3: the systems view shows why
        inner = self.SQRT_2_OVER_PI * (values + self.CUBIC * (values * values * values))
        return Tensor(0.5 * values * (1 + np.tanh(inner)))

    def backward(self, x, grad_output):
        """dL/dx = grad_output * (0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) u'),
        u' = SQRT_2_OVER_PI (1 + 3 CUBIC x^2)."""
        values = x.data
        square = values * values
        t = np.tanh(self.SQRT_2_OVER_PI * (values + self.CUBIC * square * values))
        inner_slope = self.SQRT_2_OVER_PI * (1 + 3 * self.CUBIC * square)
        return grad_output * (0.5 * (1 + t) + 0.5 * values * (1 - t * t) * inner_slope)


def stable_softmax(values, axis=-1):
    """exp(values) / exp(values).sum(axis) for a numpy array, without overflow.

    Subtract the maximum along `axis` first (keepdims=True, so that it broadcasts), then
    exponentiate and divide by the sum along the same axis (keepdims=True again).
    """
    shifted = values - values.max(axis=axis, keepdims=True)  # every exponent <= 0
    exponentials = np.exp(shifted)
    return exponentials / exponentials.sum(axis=axis, keepdims=True)


class Softmax(Activation):
    """softmax along `dim`: each slice along dim becomes a probability distribution."""

    def __init__(self, dim=-1):
        self.dim = dim

    def forward(self, x):
        """A new Tensor holding stable_softmax(x.data) along self.dim."""
        return Tensor(stable_softmax(x.data, axis=self.dim))

    def backward(self, x, grad_output):
        """dL/dx = y * (grad_output - sum(grad_output * y) along self.dim), y = softmax(x).

        Keep the summed axis (keepdims=True) so it broadcasts against y.
        """
        y = stable_softmax(x.data, axis=self.dim)
        return y * (grad_output - np.sum(grad_output * y, axis=self.dim, keepdims=True))

    def __repr__(self):
        return f"Softmax(dim={self.dim})"
