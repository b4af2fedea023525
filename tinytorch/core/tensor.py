# Generated from modules/01_tensor/01_tensor.py by `make build`: do not edit.
# Change the module source and run `make build` again.

import numpy as np


class Tensor:
    """An n-dimensional array of numbers: the one data structure of TinyTorch.

    `Tensor(data)` accepts a Python number, a (nested) list, a numpy array or another
    Tensor. The values live in `.data`, a numpy array. Python numbers and lists become
    float32 (what networks train in); a numpy array of floats keeps its dtype, so float64
    stays float64 (what gradient checks need); pass `dtype=` to choose.

    Like `torch.from_numpy`, a Tensor made from a numpy array of the right dtype shares
    its memory instead of copying it: cheap, and worth knowing.
    """

    # Makes numpy step aside in `numpy_array + tensor`: instead of building an array of
    # Tensors element by element, numpy returns NotImplemented and Python calls __radd__.
    __array_ufunc__ = None

    def __init__(self, data, requires_grad=False, dtype=None):
        """Store `data` as a numpy array in `self.data`.

        Rules:
        - `data` may be a Tensor: use its `.data`.
        - If `dtype` is given, use it.
        - Otherwise: a numpy array or numpy scalar whose dtype is a floating type keeps
          its dtype; everything else (Python numbers, lists, integer arrays) becomes
          np.float32.

        Hints: `isinstance(data, (np.ndarray, np.generic))`,
        `np.issubdtype(data.dtype, np.floating)`, and `np.asarray(data, dtype=...)`, which
        converts without copying when nothing needs converting.
        """
        if isinstance(data, Tensor):
            data = data.data
        if dtype is None:
            keeps_dtype = isinstance(data, (np.ndarray, np.generic)) and np.issubdtype(data.dtype, np.floating)
            dtype = data.dtype if keeps_dtype else np.float32
        self.data = np.asarray(data, dtype=dtype)
        # Dormant until module 05, which builds gradients on top of this class.
        self.requires_grad = requires_grad
        self.grad = None      # becomes a numpy array of self.data's shape
        self.grad_fn = None   # becomes the Function that made this tensor

    # ---- Step 1: what a tensor is (given) ----------------------------------------------

    @property
    def shape(self):
        return self.data.shape

    @property
    def size(self):
        """Number of elements (numpy's meaning; PyTorch calls it numel())."""
        return self.data.size

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    def numpy(self):
        return self.data

    def item(self):
        """The value of a one-element tensor as a Python number."""
        return self.data.item()

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({np.array2string(self.data, precision=4, separator=', ')}{grad})"

    # ---- Step 2: arithmetic with broadcasting ----------------------------------------------

    def __add__(self, other):
        """self + other, elementwise with broadcasting. `other` is a Tensor or a number.

        Work on the numpy arrays: use `other.data` when `other` is a Tensor and `other`
        itself when it is a number (a Python number keeps self's dtype; numpy does the
        broadcasting). Return a new Tensor. `_data_of(other)` below does the first part.
        """
        return Tensor(self.data + _data_of(other))

    def __sub__(self, other):
        """self - other, elementwise with broadcasting."""
        return Tensor(self.data - _data_of(other))

    def __mul__(self, other):
        """self * other, elementwise with broadcasting (not matrix multiplication)."""
        return Tensor(self.data * _data_of(other))

    def __truediv__(self, other):
        """self / other, elementwise with broadcasting."""
        return Tensor(self.data / _data_of(other))

    def __neg__(self):
        """-self."""
        return Tensor(-self.data)

    # Reflected forms: Python calls these for `2 - x`, when the left operand is a number
    # that does not know how to subtract a Tensor. Write each one with the operators above
    # (not with numpy) so that module 05's gradients flow through them for free. Careful
    # with the order: `__rsub__(self, other)` computes `other - self`.

    def __radd__(self, other):
        """other + self."""
        return self + other

    def __rsub__(self, other):
        """other - self. Hint: turn `other` into a Tensor with self's dtype, then subtract."""
        return Tensor(other, dtype=self.dtype) - self

    def __rmul__(self, other):
        """other * self."""
        return self * other

    def __rtruediv__(self, other):
        """other / self."""
        return Tensor(other, dtype=self.dtype) / self

    # ---- Step 3: powers, exp and log ---------------------------------------------------------

    def __pow__(self, exponent):
        """self ** exponent, elementwise, for a Python number `exponent`."""
        return Tensor(self.data ** exponent)

    def exp(self):
        """e ** self, elementwise."""
        return Tensor(np.exp(self.data))

    def log(self):
        """Natural logarithm, elementwise."""
        return Tensor(np.log(self.data))

    # ---- Step 4: matrix multiplication ---------------------------------------------------------

    def matmul(self, other):
        """Matrix product self @ other, with numpy's rules (np.matmul).

        2-D: (m, k) @ (k, n) -> (m, n). 1-D vectors and leading batch dimensions work as
        in numpy: (b, m, k) @ (k, n) -> (b, m, n).

        Before multiplying, check the inner dimensions — the last axis of self and the
        second-to-last axis of other (its only axis, if other is 1-D) — and raise a
        ValueError whose message names both shapes and both inner sizes, e.g.
        "cannot matmul (2, 3) @ (4, 5): inner dimensions 3 and 4 must match".
        A 0-d tensor cannot be matrix-multiplied either: raise ValueError and suggest `*`.
        """
        other = other if isinstance(other, Tensor) else Tensor(other)
        if self.ndim == 0 or other.ndim == 0:
            raise ValueError(
                f"cannot matmul {self.shape} @ {other.shape}: matmul needs tensors with at "
                "least one dimension; use * to multiply by a number"
            )
        inner_left = self.shape[-1]
        inner_right = other.shape[0] if other.ndim == 1 else other.shape[-2]
        if inner_left != inner_right:
            raise ValueError(
                f"cannot matmul {self.shape} @ {other.shape}: inner dimensions "
                f"{inner_left} and {inner_right} must match (the last axis of the left "
                "tensor pairs with the second-to-last axis of the right one)"
            )
        return Tensor(np.matmul(self.data, other.data))

    def __matmul__(self, other):
        # A call, not an alias (`__matmul__ = matmul`): an alias would keep pointing at this
        # version of matmul after module 05 wraps it, and `@` would lose its gradients.
        return self.matmul(other)

    # ---- Step 5: reductions --------------------------------------------------------------------

    def sum(self, axis=None, keepdims=False):
        """Sum over `axis` (None: all elements; an int or a tuple of ints).

        keepdims=True keeps each reduced axis with size 1, so that the result still
        broadcasts against self: x - x.mean(axis=1, keepdims=True) centres every row.
        """
        return Tensor(self.data.sum(axis=axis, keepdims=keepdims))

    def mean(self, axis=None, keepdims=False):
        """Mean over `axis`, same conventions as `sum`."""
        return Tensor(self.data.mean(axis=axis, keepdims=keepdims))

    def max(self, axis=None, keepdims=False):
        """Largest value over `axis`, same conventions as `sum`."""
        return Tensor(self.data.max(axis=axis, keepdims=keepdims))

    # ---- Step 6: reshape and transpose ---------------------------------------------------------

    def reshape(self, *shape):
        """The same elements read with a new shape: x.reshape(2, 3) or x.reshape((2, 3)).

        At most one dimension may be -1: it is worked out from the number of elements.
        Raise a ValueError that names both the size and the requested shape when the
        element counts cannot match (e.g. 6 elements into (4, -1)), or when more than
        one -1 is given. Work out the -1 yourself, then call numpy's reshape.
        """
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        if list(shape).count(-1) > 1:
            raise ValueError(f"cannot reshape to {shape}: only one dimension can be -1")
        known = int(np.prod([d for d in shape if d != -1]))
        if -1 in shape:
            if known == 0 or self.size % known:
                raise ValueError(f"cannot reshape {self.size} elements into {shape}")
            shape = tuple(self.size // known if d == -1 else d for d in shape)
        elif known != self.size:
            raise ValueError(f"cannot reshape {self.size} elements into {shape}")
        return Tensor(self.data.reshape(shape))

    def transpose(self, dim0=-2, dim1=-1):
        """Swap two axes (by default the last two, as a matrix transpose does).

        A tensor with fewer than two dimensions comes back unchanged (as a new Tensor).
        Hint: np.swapaxes.
        """
        if self.ndim < 2:
            return Tensor(self.data)
        return Tensor(np.swapaxes(self.data, dim0, dim1))

    @property
    def T(self):
        return self.transpose()

    # ---- Step 7: indexing ----------------------------------------------------------------------

    def __getitem__(self, key):
        """x[key] with numpy's indexing: ints, slices, lists or arrays of ints, boolean masks.

        The result is a new Tensor. A Tensor used as an index means its values, as ints.
        """
        if isinstance(key, Tensor):
            key = key.data.astype(np.int64)
        return Tensor(self.data[key])

    # ---- Module 05 ---------------------------------------------------------------------------

    def backward(self, gradient=None):
        raise RuntimeError(
            "backward() needs autograd, which you build in module 05. "
            "In a finished TinyTorch, `import tinytorch.core.autograd` switches it on."
        )


def _data_of(value):
    """The numpy data of a Tensor, or a plain number unchanged (numbers keep the tensor's dtype)."""
    return value.data if isinstance(value, Tensor) else value
