# Generated from modules/04_losses/04_losses.py by `make build`: do not edit.
# Change the module source and run `make build` again.

import numpy as np

from tinytorch.core.tensor import Tensor


def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    """Log of the softmax of `x` along `dim`, computed without overflow.

    log_softmax(x)_k = (x_k - m) - log(sum_j exp(x_j - m)),   m = max_j x_j

    Build it from Tensor operations (max, -, exp, sum, log with axis=dim and
    keepdims=True) and return the Tensor they produce: same shape and dtype as x.
    A NaN anywhere in a slice makes that whole slice NaN (nothing hides it).
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    shifted = x - x.max(axis=dim, keepdims=True)
    return shifted - shifted.exp().sum(axis=dim, keepdims=True).log()


class Loss:
    """A loss: loss_fn(predictions, targets) -> 0-d Tensor, plus its gradient by hand."""

    def __call__(self, predictions, targets):
        # Module 05 wraps this method, so calling any loss records one graph node whose
        # backward is the loss's own `backward`.
        return self.forward(predictions, targets)

    def forward(self, predictions, targets):
        raise NotImplementedError(f"{type(self).__name__} must implement forward(predictions, targets)")

    def backward(self, predictions, targets):
        raise NotImplementedError(f"{type(self).__name__} must implement backward(predictions, targets)")


def _values_of(values) -> np.ndarray:
    """The numpy array behind targets given as a Tensor, a numpy array or a list."""
    return values.data if isinstance(values, Tensor) else np.asarray(values)


def _matching_targets(predictions: Tensor, targets, loss_name: str) -> np.ndarray:
    """Targets as a numpy array of the predictions' dtype, checked to have their shape.

    `targets` may be a Tensor, a numpy array or a list (`_values_of` reads all three).
    Raise a ValueError naming both shapes (and `loss_name`) when the shapes differ,
    e.g. "MSELoss: predictions of shape (4, 1) and targets of shape (4,) must match".
    Hint: `array.astype(dtype, copy=False)`.
    """
    values = _values_of(targets)
    if values.shape != predictions.shape:
        raise ValueError(
            f"{loss_name}: predictions of shape {predictions.shape} and targets of shape "
            f"{values.shape} must match (broadcasting them would compare every prediction "
            "with every target)"
        )
    return values.astype(predictions.dtype, copy=False)


class MSELoss(Loss):
    """Mean squared error over all elements: mean((predictions - targets) ** 2)."""

    def forward(self, predictions: Tensor, targets) -> Tensor:
        """The loss as a 0-d Tensor with the predictions' dtype."""
        difference = predictions.data - _matching_targets(predictions, targets, "MSELoss")
        return Tensor(np.mean(difference ** 2))

    def backward(self, predictions: Tensor, targets) -> np.ndarray:
        """dL/d(predictions) = 2 (predictions - targets) / n, n = number of elements."""
        difference = predictions.data - _matching_targets(predictions, targets, "MSELoss")
        return 2 * difference / difference.size


def _class_ids(targets, logits_shape: tuple) -> np.ndarray:
    """Targets as an int64 array of class ids, checked against logits of shape (N, C).

    Raise a ValueError with a message that says what is wrong when:
    - the logits are not 2-D (N, C);
    - the targets' shape is not (N,) (name both shapes);
    - a target is outside 0..C-1 (name the bad value and C).
    Hint: `_values_of(targets).astype(np.int64)`.
    """
    if len(logits_shape) != 2:
        raise ValueError(f"CrossEntropyLoss: logits must have shape (N, C), got {logits_shape}")
    count, classes = logits_shape
    ids = _values_of(targets).astype(np.int64)
    if ids.shape != (count,):
        raise ValueError(
            f"CrossEntropyLoss: targets of shape {ids.shape} do not match logits of shape "
            f"{logits_shape}: expected one class id per row, shape ({count},)"
        )
    outside = (ids < 0) | (ids >= classes)
    if outside.any():
        raise ValueError(
            f"CrossEntropyLoss: target {ids[outside][0]} is out of range for {classes} classes "
            f"(class ids go from 0 to {classes - 1})"
        )
    return ids


class CrossEntropyLoss(Loss):
    """Mean cross-entropy of logits (N, C) against integer class ids (N,)."""

    def forward(self, predictions: Tensor, targets) -> Tensor:
        """-mean over rows of log_softmax(predictions)[row, target of row], as a 0-d Tensor.

        Use your log_softmax on `Tensor(predictions.data)` (a fresh Tensor: the loss is one
        node of the graph in module 05, so nothing inside it should record a graph) and
        take its `.data`.
        """
        ids = _class_ids(targets, predictions.shape)
        log_probs = log_softmax(Tensor(predictions.data), dim=-1).data
        return Tensor(-log_probs[np.arange(len(ids)), ids].mean())

    def backward(self, predictions: Tensor, targets) -> np.ndarray:
        """dL/d(logits) = (softmax(logits) - onehot(targets)) / N, shape (N, C).

        Hint: softmax is exp of log_softmax; subtract 1 at [row, target of row].
        """
        ids = _class_ids(targets, predictions.shape)
        probabilities = np.exp(log_softmax(Tensor(predictions.data), dim=-1).data)
        probabilities[np.arange(len(ids)), ids] -= 1
        return probabilities / len(ids)


class BinaryCrossEntropyLoss(Loss):
    """Mean binary cross-entropy of probabilities against 0/1 targets of the same shape."""

    def __init__(self, eps: float = 1e-7):
        # 1e-7 is about the smallest clamp for which 1 - eps is still below 1 in float32.
        self.eps = eps

    def _clamped(self, predictions: Tensor) -> np.ndarray:
        """predictions.data clipped to [eps, 1 - eps] (np.clip keeps float32 as float32)."""
        return np.clip(predictions.data, self.eps, 1 - self.eps)

    def forward(self, predictions: Tensor, targets) -> Tensor:
        """-mean(t log p + (1 - t) log(1 - p)) on the clamped p, as a 0-d Tensor."""
        t = _matching_targets(predictions, targets, "BinaryCrossEntropyLoss")
        p = self._clamped(predictions)
        return Tensor(-np.mean(t * np.log(p) + (1 - t) * np.log(1 - p)))

    def backward(self, predictions: Tensor, targets) -> np.ndarray:
        """dL/d(predictions) = (p - t) / (p (1 - p)) / n on the clamped p."""
        t = _matching_targets(predictions, targets, "BinaryCrossEntropyLoss")
        p = self._clamped(predictions)
        return (p - t) / (p * (1 - p)) / p.size
