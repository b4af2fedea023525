# Generated from modules/03_layers/03_layers.py by `make build`: do not edit.
# Change the module source and run `make build` again.

import numpy as np

from tinytorch.core.tensor import Tensor


class Layer:
    """Base class of every TinyTorch layer.

    A subclass sets its parameters (Tensors with requires_grad=True) and sub-layers as
    attributes in __init__ and computes its output in forward(). Calling the layer calls
    forward; parameters() collects the trainable tensors; train()/eval() switch modes.
    """

    # A class attribute, so a subclass that never calls Layer.__init__ still starts in
    # training mode; train()/eval() then set it on the instance.
    training = True

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def parameters(self):
        """Every trainable Tensor of this layer and of the layers inside it, each once.

        Walk `vars(self).values()` in order. For each value:
        - a Tensor with requires_grad=True: collect it (skip it if already collected:
          compare with `id(...)`, which is the same only for the very same object);
        - a list or tuple: handle each item by these same rules (items may be lists too);
        - any other object with a `parameters()` method (a Layer, an activation), except
          classes themselves (`isinstance(value, type)`): collect what it returns.
        Everything else (numbers, strings, numpy arrays, None) is skipped.

        Hint: a small inner function `collect(value)` that calls itself handles the
        nesting.
        """
        found, seen = [], set()

        def collect(value):
            if isinstance(value, Tensor):
                if value.requires_grad and id(value) not in seen:
                    seen.add(id(value))
                    found.append(value)
            elif isinstance(value, (list, tuple)):
                for item in value:
                    collect(item)
            elif callable(getattr(value, "parameters", None)) and not isinstance(value, type):
                for parameter in value.parameters():
                    collect(parameter)

        for value in vars(self).values():
            collect(value)
        return found

    def train(self, mode=True):
        """Set training mode (mode=False: evaluation) here and in every sub-layer; return self."""
        self.training = mode
        for layer in _sublayers(vars(self).values()):
            layer.train(mode)
        return self

    def eval(self):
        """Evaluation mode here and in every sub-layer: eval() is train(False)."""
        return self.train(False)


def _sublayers(values):
    """The Layers among `values`, looking inside (nested) lists and tuples."""
    for value in values:
        if isinstance(value, Layer):
            yield value
        elif isinstance(value, (list, tuple)):
            yield from _sublayers(value)


class Linear(Layer):
    """y = x @ weight + bias, with weight of shape (in_features, out_features)."""

    def __init__(self, in_features, out_features, bias=True, init="xavier"):
        """Create the weight (and bias) as float32 Tensors with requires_grad=True.

        weight: shape (in_features, out_features), drawn from np.random (the global state,
          so np.random.seed(n) makes a layer reproducible):
          - init="xavier": uniform on [-limit, limit], limit = sqrt(6 / (in + out))
          - init="he":     normal with mean 0 and std = sqrt(2 / in)
          - anything else: raise ValueError naming the two choices.
        bias: zeros of shape (out_features,), or None when bias=False.
        Also keep in_features and out_features as attributes.

        Hints: np.random.uniform(low, high, size=...), np.random.normal(0.0, std, size=...),
        .astype(np.float32).
        """
        self.in_features = in_features
        self.out_features = out_features
        shape = (in_features, out_features)
        if init == "xavier":
            limit = np.sqrt(6.0 / (in_features + out_features))
            weight = np.random.uniform(-limit, limit, size=shape)
        elif init == "he":
            weight = np.random.normal(0.0, np.sqrt(2.0 / in_features), size=shape)
        else:
            raise ValueError(f"unknown init {init!r}: use 'xavier' (for tanh, sigmoid) or 'he' (for ReLU)")
        self.weight = Tensor(weight.astype(np.float32), requires_grad=True)
        self.bias = Tensor(np.zeros(out_features, dtype=np.float32), requires_grad=True) if bias else None

    def forward(self, x):
        """x of shape (..., in_features) -> x @ weight + bias of shape (..., out_features).

        Use Tensor operations only (no .data): module 05 differentiates them. Accept a numpy
        array too by wrapping it in a Tensor first. Skip the bias when it is None.
        """
        if not isinstance(x, Tensor):
            x = Tensor(x)
        output = x @ self.weight
        if self.bias is not None:
            output = output + self.bias
        return output

    def backward(self, x, grad_output):
        """The gradients of a loss L, given x (the input) and grad_output = dL/dy.

        x has shape (..., in) and grad_output shape (..., out), with the same leading axes.
        Returns numpy arrays (grad_x, grad_weight, grad_bias):
          grad_x      = dL/dx, shape of x
          grad_weight = dL/dW, shape (in, out): a sum over every leading position
          grad_bias   = dL/db, shape (out,), or None when the layer has no bias
        Step 4 derives the formulas. Hint: reshape x and grad_output to 2-D
        (-1, in) and (-1, out) for the weight and bias gradients.
        """
        x = x.data if isinstance(x, Tensor) else np.asarray(x)
        grad_output = grad_output.data if isinstance(grad_output, Tensor) else np.asarray(grad_output)
        weight = self.weight.data
        grad_x = grad_output @ weight.T
        x_rows = x.reshape(-1, weight.shape[0])
        grad_rows = grad_output.reshape(-1, weight.shape[1])
        grad_weight = x_rows.T @ grad_rows
        grad_bias = grad_rows.sum(axis=0) if self.bias is not None else None
        return grad_x, grad_weight, grad_bias

    def __repr__(self):
        return f"Linear(in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None})"


class Dropout(Layer):
    """Inverted dropout: in training, zero each element with probability p and scale the rest by 1/(1-p)."""

    def __init__(self, p=0.5):
        """Store p; raise ValueError unless 0 <= p < 1. Set self.mask = None (no mask drawn yet)."""
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability p must be in [0, 1), got {p}")
        self.p = p
        self.mask = None

    def forward(self, x):
        """In eval mode, or when p == 0: return x unchanged (and set self.mask = None).

        In training: draw the mask from np.random (kept where np.random.random(x.shape) >= p),
        scale it by 1 / (1 - p), cast it to x's dtype, store it in self.mask, and return
        x * Tensor(self.mask).
        """
        if not self.training or self.p == 0:
            self.mask = None
            return x
        keep = np.random.random(x.shape) >= self.p
        self.mask = (keep / (1.0 - self.p)).astype(x.data.dtype)
        return x * Tensor(self.mask)

    def __repr__(self):
        return f"Dropout(p={self.p})"


class Sequential(Layer):
    """A chain of layers: Sequential(Linear(4, 8), activation, Linear(8, 2))(x)."""

    def __init__(self, *layers):
        self.layers = list(layers)

    def forward(self, x):
        """Feed x through every layer in order and return the last output."""
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, index):
        """model[i] is the i-th layer; a slice gives a Sequential of those layers."""
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __len__(self):
        return len(self.layers)

    def __repr__(self):
        inner = "".join(f"\n  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential({inner}\n)"
