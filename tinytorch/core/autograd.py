# Generated from modules/05_autograd/05_autograd.py by `make build`: do not edit.
# Change the module source and run `make build` again.

import numpy as np

from tinytorch.core.activations import Activation
from tinytorch.core.losses import Loss
from tinytorch.core.tensor import Tensor


class Function:
    """One node of the computation graph: the operation that made a tensor.

    `inputs` are the operation's arguments in order: Tensors (edges back into the graph)
    and plain values (constants). `backward(grad_output)` returns one gradient per input,
    a numpy array or None, in the shape of the operation's output or of that input:
    the engine sums broadcast gradients back to each input's shape.
    """

    def __init__(self, *inputs):
        self.inputs = inputs

    def backward(self, grad_output):
        raise NotImplementedError(f"{type(self).__name__}.backward")


def value_of(x):
    """The numpy data of a Tensor, or a constant unchanged."""
    return x.data if isinstance(x, Tensor) else x


def unbroadcast(grad, shape):
    """Sum `grad` down to `shape`, undoing numpy broadcasting.

    Sum over the leading axes that broadcasting added (grad.ndim - len(shape) of them),
    then over every axis where `shape` has size 1 but grad does not (keepdims=True).
    Example: grad (2, 3, 4) to shape (3, 1) -> sum axis 0 -> (3, 4) -> sum axis 1 -> (3, 1).
    """
    grad = np.asarray(grad)
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(axis for axis, size in enumerate(shape) if size == 1 and grad.shape[axis] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad.reshape(shape)


class AddBackward(Function):
    def backward(self, grad_output):
        return grad_output, grad_output


class SubBackward(Function):
    def backward(self, grad_output):
        return grad_output, -grad_output


class MulBackward(Function):
    def backward(self, grad_output):
        a, b = (value_of(x) for x in self.inputs)
        return grad_output * b, grad_output * a


class DivBackward(Function):
    def backward(self, grad_output):
        a, b = (value_of(x) for x in self.inputs)
        return grad_output / b, -grad_output * a / (b * b)


class NegBackward(Function):
    def backward(self, grad_output):
        return (-grad_output,)


class PowBackward(Function):
    """a ** exponent, for a number `exponent` (the second input)."""

    def backward(self, grad_output):
        a, exponent = value_of(self.inputs[0]), self.inputs[1]
        return grad_output * exponent * a ** (exponent - 1), None


class MatmulBackward(Function):
    def backward(self, grad_output):
        a, b = (np.asarray(value_of(x)) for x in self.inputs)
        a2 = a[np.newaxis, :] if a.ndim == 1 else a  # a row (1, k)
        b2 = b[:, np.newaxis] if b.ndim == 1 else b  # a column (k, 1)
        batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
        g = np.reshape(grad_output, batch + (a2.shape[-2], b2.shape[-1]))
        grad_a = g @ np.swapaxes(b2, -1, -2)
        grad_b = np.swapaxes(a2, -1, -2) @ g
        if a.ndim == 1:
            grad_a = grad_a[..., 0, :]
        if b.ndim == 1:
            grad_b = grad_b[..., 0]
        return grad_a, grad_b


def expand_reduced(grad, axis, keepdims):
    """Give a reduction's gradient back the axes it reduced away (as size 1)."""
    grad = np.asarray(grad)
    if axis is None or keepdims:
        return grad
    return np.expand_dims(grad, axis)


class SumBackward(Function):
    def __init__(self, a, axis=None, keepdims=False):
        super().__init__(a)
        self.axis, self.keepdims = axis, keepdims

    def backward(self, grad_output):
        a = self.inputs[0].data
        return (np.broadcast_to(expand_reduced(grad_output, self.axis, self.keepdims), a.shape),)


class MeanBackward(Function):
    def __init__(self, a, axis=None, keepdims=False):
        super().__init__(a)
        self.axis, self.keepdims = axis, keepdims

    def backward(self, grad_output):
        a = self.inputs[0].data
        count = a.size / np.size(grad_output)
        return (np.broadcast_to(expand_reduced(grad_output, self.axis, self.keepdims), a.shape) / count,)


class MaxBackward(Function):
    def __init__(self, a, axis=None, keepdims=False):
        super().__init__(a)
        self.axis, self.keepdims = axis, keepdims

    def backward(self, grad_output):
        a = self.inputs[0].data
        winners = a == a.max(axis=self.axis, keepdims=True)
        share = winners / winners.sum(axis=self.axis, keepdims=True)
        return (share * expand_reduced(grad_output, self.axis, self.keepdims),)


class ReshapeBackward(Function):
    def backward(self, grad_output):
        a = self.inputs[0].data
        return (np.reshape(grad_output, a.shape),)


class TransposeBackward(Function):
    def __init__(self, a, dim0=-2, dim1=-1):
        super().__init__(a)
        self.dims = (dim0, dim1)

    def backward(self, grad_output):
        a = self.inputs[0].data
        if a.ndim < 2:
            return (grad_output,)
        return (np.swapaxes(grad_output, *self.dims),)


class GetitemBackward(Function):
    def __init__(self, a, key):
        super().__init__(a)
        self.key = key.data.astype(np.int64) if isinstance(key, Tensor) else key

    def backward(self, grad_output):
        a = self.inputs[0].data
        grad = np.zeros(a.shape, dtype=np.result_type(a.dtype, np.asarray(grad_output).dtype))
        np.add.at(grad, self.key, grad_output)
        return (grad,)


class ExpBackward(Function):
    def backward(self, grad_output):
        a = self.inputs[0].data
        return (grad_output * np.exp(a),)


class LogBackward(Function):
    def backward(self, grad_output):
        a = self.inputs[0].data
        return (grad_output / a,)


def topological_order(root):
    """Every tensor reachable from root through grad_fn.inputs, each after all its inputs."""
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        tensor, inputs_done = stack.pop()
        if inputs_done:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        if tensor.grad_fn is not None:
            for parent in tensor.grad_fn.inputs:
                if isinstance(parent, Tensor) and id(parent) not in visited:
                    stack.append((parent, False))
    return order


def backward(root, gradient=None):
    """Accumulate d(root)/d(leaf) into `.grad` of every leaf that requires grad."""
    if gradient is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backward() without a gradient needs a one-element tensor such as a loss, got shape "
                f"{root.shape}: reduce it first (.sum(), .mean()) or pass the gradient of the output"
            )
        gradient = np.ones_like(root.data)
    grads = {id(root): np.asarray(gradient, dtype=root.dtype)}
    for tensor in reversed(topological_order(root)):
        grad = grads.pop(id(tensor), None)
        if grad is None:
            continue
        if tensor.grad_fn is None:
            if tensor.requires_grad:
                grad = np.asarray(grad, dtype=tensor.dtype)
                tensor.grad = grad.copy() if tensor.grad is None else tensor.grad + grad
            continue
        for parent, parent_grad in zip(tensor.grad_fn.inputs, tensor.grad_fn.backward(grad)):
            if parent_grad is None or not isinstance(parent, Tensor) or not parent.requires_grad:
                continue
            parent_grad = unbroadcast(parent_grad, parent.shape)
            key = id(parent)
            grads[key] = parent_grad if key not in grads else grads[key] + parent_grad


def zero_grad(tensor):
    """Forget an accumulated gradient (before the next backward pass)."""
    tensor.grad = None


def record(result, function):
    """Attach `function` to `result` as its grad_fn: what enable_autograd will automate."""
    result.requires_grad = True
    result.grad_fn = function
    return result


class ActivationBackward(Function):
    """An activation as one node: its hand-written backward (module 02) is the local derivative."""

    def __init__(self, activation, x):
        super().__init__(x)
        self.activation = activation

    def backward(self, grad_output):
        return (self.activation.backward(self.inputs[0], grad_output),)


class LossBackward(Function):
    """A loss as one node: dL/d(predictions) from its hand-written backward (module 04)."""

    def __init__(self, loss, predictions, targets):
        super().__init__(predictions, targets)
        self.loss = loss

    def backward(self, grad_output):
        predictions, targets = self.inputs
        return grad_output * self.loss.backward(predictions, targets), None


class GradMode:
    """Whether operations record the graph; `no_grad()` turns it off for a block."""

    enabled = True


class no_grad:
    """`with no_grad(): ...` runs without recording a graph (evaluation, optimizer steps)."""

    def __enter__(self):
        self.previous, GradMode.enabled = GradMode.enabled, False
        return self

    def __exit__(self, *exc_info):
        GradMode.enabled = self.previous
        return False


def attach(result, function):
    """Record `function` as result's grad_fn if gradients are on and one of its inputs
    requires grad; return result. Layers with a Function of their own (a convolution, an
    embedding lookup) finish their forward with `return attach(Tensor(out), MyBackward(...))`.
    """
    if GradMode.enabled and any(isinstance(x, Tensor) and x.requires_grad for x in function.inputs):
        result.requires_grad = True
        result.grad_fn = function
    return result


def tracked(plain_method, function_class):
    """Wrap a method so that its result records `function_class(self, *args, **kwargs)`.

    Return a new function `method(self, *args, **kwargs)` that calls `plain_method` with the
    same arguments and then, if GradMode.enabled and `self` or any Tensor among the
    arguments requires grad, sets the result's `requires_grad` to True and its `grad_fn`
    to `function_class(self, *args, **kwargs)`. Give it plain_method's __name__ and
    __doc__, so that help(Tensor.sum) still reads well.
    """
    def method(self, *args, **kwargs):
        result = plain_method(self, *args, **kwargs)
        if GradMode.enabled and any(
            isinstance(x, Tensor) and x.requires_grad for x in (self, *args, *kwargs.values())
        ):
            result.requires_grad = True
            result.grad_fn = function_class(self, *args, **kwargs)
        return result

    method.__name__, method.__doc__ = plain_method.__name__, plain_method.__doc__
    method.__wrapped__ = plain_method
    return method


def enable_autograd():
    """Make Tensor operations, activations and losses record the graph. Safe to call again."""
    tensor_functions = {
        "__add__": AddBackward, "__sub__": SubBackward, "__mul__": MulBackward,
        "__truediv__": DivBackward, "__neg__": NegBackward, "__pow__": PowBackward,
        "matmul": MatmulBackward, "sum": SumBackward, "mean": MeanBackward, "max": MaxBackward,
        "reshape": ReshapeBackward, "transpose": TransposeBackward, "__getitem__": GetitemBackward,
        "exp": ExpBackward, "log": LogBackward,
    }
    # Keep the plain methods once, on the class itself, and always wrap those.
    if "_plain_methods" not in Tensor.__dict__:
        Tensor._plain_methods = {name: Tensor.__dict__[name] for name in tensor_functions}
    wrapped = {name: tracked(Tensor._plain_methods[name], cls) for name, cls in tensor_functions.items()}
    for base, cls in ((Activation, ActivationBackward), (Loss, LossBackward)):
        if "_plain_call" not in base.__dict__:
            base._plain_call = base.__dict__["__call__"]
        wrapped_call = tracked(base._plain_call, cls)
        base.__call__ = wrapped_call
    for name, method in wrapped.items():
        setattr(Tensor, name, method)
    Tensor.backward = backward
    Tensor.zero_grad = zero_grad


def graph_summary(root):
    """The graph behind `root` as text, one tensor per line, inputs before outputs."""
    order = topological_order(root)
    names = {id(t): f"t{i}" for i, t in enumerate(order)}
    lines = []
    for tensor in order:
        made_by = "leaf" if tensor.grad_fn is None else (
            type(tensor.grad_fn).__name__ + "(" + ", ".join(
                names.get(id(x), repr(x)) if isinstance(x, Tensor) else repr(x) for x in tensor.grad_fn.inputs
            ) + ")")
        flag = " requires_grad" if tensor.requires_grad else ""
        lines.append(f"{names[id(tensor)]:>4s} {str(tensor.shape):10s} {made_by}{flag}")
    return "\n".join(lines)


# Importing tinytorch.core.autograd switches gradients on for the whole framework.
enable_autograd()
