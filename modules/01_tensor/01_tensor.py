# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Module 01 — Tensor
#
# Every number a neural network touches — inputs, weights, activations, gradients — lives in a
# **tensor**: an n-dimensional array with a shape. In this module you build `Tensor`, the one
# data structure the rest of TinyTorch stands on.
#
# **What you build.** A `Tensor` class that wraps a numpy array and gives it the operations a
# network needs: arithmetic with broadcasting, matrix multiplication with shape errors that
# explain themselves, reductions (`sum`, `mean`, `max`), reshaping, transposing, indexing,
# `exp` and `log`.
#
# **Why build it yourself.** Calling `torch.matmul` teaches you nothing about why a model is
# slow or why a shape error happens. Writing the class teaches you what a tensor *is*: a block
# of memory, a shape that says how to read it, and operations that each cost a known number
# of floating-point operations (FLOPs) and bytes.
#
# **What you need.** Python and a little numpy (`np.array`, `a + b`, `a @ b`). Nothing from
# other modules: this is the first one.
#
# **Where it lands.** Your class is exported to `tinytorch/core/tensor.py`. Every later module
# starts with `from tinytorch.core.tensor import Tensor`.
#
# **How this notebook works.** Read each step, fill in the places marked
# `# YOUR CODE HERE` (delete the `raise NotImplementedError()` line), then run the test cell
# below it. Visible tests give you feedback now; when your notebook is graded, hidden tests
# in the same cells try more shapes and random values.

# %%
#| default_exp core.tensor
#| export
import numpy as np

# %%
import time

import matplotlib.pyplot as plt

# %% [markdown]
# ## Why tensors?
#
# A neural network is a chain of functions applied to *batches* of numbers at once. Written
# with Python lists and loops, one dense layer of a small image classifier would be a triple
# loop of a million multiply-adds, each paying Python's overhead of tens of nanoseconds. The
# same layer written as one matrix product runs in compiled, vectorized code that does each
# multiply-add in well under a nanosecond. Tensors are how we say "do this to all of these
# numbers at once", and that one idea is most of why deep learning is fast enough to exist.
#
# | rank | shape example | what it holds |
# |---|---|---|
# | 0 | `()` | a loss value |
# | 1 | `(10,)` | a bias vector |
# | 2 | `(32, 784)` | a batch of 32 flattened 28×28 images |
# | 3 | `(8, 128, 64)` | 8 sequences × 128 tokens × 64 features |
# | 4 | `(32, 3, 32, 32)` | 32 RGB images (batch, channels, height, width) |

# %% [markdown]
# ## Memory layout: a shape is a way of reading flat memory
#
# A numpy array (and so your Tensor) is one flat block of memory plus a **shape** and
# **strides**: how many bytes to step to move one place along each axis. A `(3, 4)` float32
# array stores 12 numbers of 4 bytes each, row after row ("row-major" or "C order"):
#
# ```
# shape (3, 4), strides (16, 4):   memory: [a00 a01 a02 a03 | a10 a11 a12 a13 | a20 ...]
#                                           <-- 4 bytes -->
#                                           <------------ 16 bytes ----------->
# ```
#
# Moving along a row steps 4 bytes; moving down a column steps 16. A **transpose** does not
# move any data: it swaps the strides. That makes it free, but reading the transposed array
# row by row now jumps through memory, and memory read in order is much faster to read
# (caches fetch 64 contiguous bytes at a time). Run the cell below: copying a matrix reads
# it in order, copying its transpose into row-major order jumps 8000 bytes between reads.

# %%
a = np.arange(12, dtype=np.float32).reshape(3, 4)
print("a    shape", a.shape, "strides", a.strides, "C-contiguous:", a.flags["C_CONTIGUOUS"])
print("a.T  shape", a.T.shape, "strides", a.T.strides, "C-contiguous:", a.T.flags["C_CONTIGUOUS"])

big = np.random.default_rng(0).standard_normal((2000, 2000)).astype(np.float32)
for name, make_copy in [("in memory order", big.copy), ("of the transpose", lambda: np.ascontiguousarray(big.T))]:
    make_copy()  # warm-up
    start = time.perf_counter()
    for _ in range(5):
        make_copy()
    print(f"row-major copy {name:17s}: {(time.perf_counter() - start) / 5 * 1e3:6.2f} ms for 16 MB")

# %% [markdown]
# The same 16 MB, the same number of bytes written — and several times the time, only because
# of the order in which memory is read.
# When a later module is slow for no visible reason, memory order is one of the first things
# to check (module 18 comes back to this).
#
# ## Broadcasting: combining tensors of different shapes
#
# Adding a bias vector of shape `(4,)` to a batch of shape `(3, 4)` should add the bias to
# every row. Numpy's **broadcasting rules** make that happen without copying the bias:
#
# 1. Line the shapes up from the **right**.
# 2. Where one tensor has fewer dimensions, pretend it has extra leading dimensions of size 1.
# 3. Two sizes are compatible when they are **equal**, or when **one of them is 1**; a size-1
#    dimension is stretched (read again and again, never copied) to match the other.
#
# ```
# x      (3, 4)          x      (3, 4)          x      (3, 4)
# bias      (4,)         col    (3, 1)          bad       (3,)
# ------------------     ------------------     ------------------
# result (3, 4)          result (3, 4)          4 vs 3: error
# ```
#
# Broadcasting is why `x + bias` is one line. It is also the reason module 05 has to work
# harder: when the bias was read three times in the forward pass, its gradient is the *sum*
# of three gradients in the backward pass.

# %% [markdown]
# ## The Tensor class
#
# Below is the whole class. You fill it in step by step: each step of this notebook explains
# one group of methods, and the test cell after the explanation checks that group. Go back to
# this cell, fill in the methods of the step you are on, run the cell again, then run the
# step's test.
#
# | step | methods | graded cell |
# |---|---|---|
# | 1 | `__init__` (storage and dtype) | `tensor-creation` |
# | 2 | `+ - * /`, negation, reflected forms | `tensor-arithmetic` |
# | 3 | `**`, `exp`, `log` | `tensor-elementwise-math` |
# | 4 | `matmul` / `@` | `tensor-matmul` |
# | 5 | `sum`, `mean`, `max` | `tensor-reductions` |
# | 6 | `reshape`, `transpose` | `tensor-shape-ops` |
# | 7 | indexing | `tensor-indexing` |
#
# **A design rule that matters in module 05.** Every operation computes its result from
# `.data` and returns a *new* Tensor; none changes its inputs. Composite methods call the
# basic ones *by name* (`__rsub__` is written as a subtraction, `__matmul__` calls
# `self.matmul`). That is what lets module 05 add gradients without rewriting this class:
# `enable_autograd()` wraps each basic method in a function that first runs your code, then
# records in the result *which* operation made it and from *which* inputs:
#
# ```python
# plain_mul = Tensor.__mul__
# def mul_that_remembers(self, other):
#     result = plain_mul(self, other)           # your code from this module, unchanged
#     result.grad_fn = MulBackward(self, other) # module 05: how to send a gradient back
#     return result
# Tensor.__mul__ = mul_that_remembers
# ```
#
# Because `__rsub__` calls `-` and `@` calls `matmul`, they pick up the wrapped versions
# automatically. The fields `requires_grad`, `grad` and `grad_fn` are set here and stay
# dormant until then.

# %% nbgrader={"grade": false, "grade_id": "tensor-class", "locked": false, "schema_version": 3, "solution": true}
#| export
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
        ### BEGIN SOLUTION
        if isinstance(data, Tensor):
            data = data.data
        if dtype is None:
            keeps_dtype = isinstance(data, (np.ndarray, np.generic)) and np.issubdtype(data.dtype, np.floating)
            dtype = data.dtype if keeps_dtype else np.float32
        self.data = np.asarray(data, dtype=dtype)
        ### END SOLUTION
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
        ### BEGIN SOLUTION
        return Tensor(self.data + _data_of(other))
        ### END SOLUTION

    def __sub__(self, other):
        """self - other, elementwise with broadcasting."""
        ### BEGIN SOLUTION
        return Tensor(self.data - _data_of(other))
        ### END SOLUTION

    def __mul__(self, other):
        """self * other, elementwise with broadcasting (not matrix multiplication)."""
        ### BEGIN SOLUTION
        return Tensor(self.data * _data_of(other))
        ### END SOLUTION

    def __truediv__(self, other):
        """self / other, elementwise with broadcasting."""
        ### BEGIN SOLUTION
        return Tensor(self.data / _data_of(other))
        ### END SOLUTION

    def __neg__(self):
        """-self."""
        ### BEGIN SOLUTION
        return Tensor(-self.data)
        ### END SOLUTION

    # Reflected forms: Python calls these for `2 - x`, when the left operand is a number
    # that does not know how to subtract a Tensor. Write each one with the operators above
    # (not with numpy) so that module 05's gradients flow through them for free. Careful
    # with the order: `__rsub__(self, other)` computes `other - self`.

    def __radd__(self, other):
        """other + self."""
        ### BEGIN SOLUTION
        return self + other
        ### END SOLUTION

    def __rsub__(self, other):
        """other - self. Hint: turn `other` into a Tensor with self's dtype, then subtract."""
        ### BEGIN SOLUTION
        return Tensor(other, dtype=self.dtype) - self
        ### END SOLUTION

    def __rmul__(self, other):
        """other * self."""
        ### BEGIN SOLUTION
        return self * other
        ### END SOLUTION

    def __rtruediv__(self, other):
        """other / self."""
        ### BEGIN SOLUTION
        return Tensor(other, dtype=self.dtype) / self
        ### END SOLUTION

    # ---- Step 3: powers, exp and log ---------------------------------------------------------

    def __pow__(self, exponent):
        """self ** exponent, elementwise, for a Python number `exponent`."""
        ### BEGIN SOLUTION
        return Tensor(self.data ** exponent)
        ### END SOLUTION

    def exp(self):
        """e ** self, elementwise."""
        ### BEGIN SOLUTION
        return Tensor(np.exp(self.data))
        ### END SOLUTION

    def log(self):
        """Natural logarithm, elementwise."""
        ### BEGIN SOLUTION
        return Tensor(np.log(self.data))
        ### END SOLUTION

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
        ### BEGIN SOLUTION
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
        ### END SOLUTION

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
        ### BEGIN SOLUTION
        return Tensor(self.data.sum(axis=axis, keepdims=keepdims))
        ### END SOLUTION

    def mean(self, axis=None, keepdims=False):
        """Mean over `axis`, same conventions as `sum`."""
        ### BEGIN SOLUTION
        return Tensor(self.data.mean(axis=axis, keepdims=keepdims))
        ### END SOLUTION

    def max(self, axis=None, keepdims=False):
        """Largest value over `axis`, same conventions as `sum`."""
        ### BEGIN SOLUTION
        return Tensor(self.data.max(axis=axis, keepdims=keepdims))
        ### END SOLUTION

    # ---- Step 6: reshape and transpose ---------------------------------------------------------

    def reshape(self, *shape):
        """The same elements read with a new shape: x.reshape(2, 3) or x.reshape((2, 3)).

        At most one dimension may be -1: it is worked out from the number of elements.
        Raise a ValueError that names both the size and the requested shape when the
        element counts cannot match (e.g. 6 elements into (4, -1)), or when more than
        one -1 is given. Work out the -1 yourself, then call numpy's reshape.
        """
        ### BEGIN SOLUTION
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
        ### END SOLUTION

    def transpose(self, dim0=-2, dim1=-1):
        """Swap two axes (by default the last two, as a matrix transpose does).

        A tensor with fewer than two dimensions comes back unchanged (as a new Tensor).
        Hint: np.swapaxes.
        """
        ### BEGIN SOLUTION
        if self.ndim < 2:
            return Tensor(self.data)
        return Tensor(np.swapaxes(self.data, dim0, dim1))
        ### END SOLUTION

    @property
    def T(self):
        return self.transpose()

    # ---- Step 7: indexing ----------------------------------------------------------------------

    def __getitem__(self, key):
        """x[key] with numpy's indexing: ints, slices, lists or arrays of ints, boolean masks.

        The result is a new Tensor. A Tensor used as an index means its values, as ints.
        """
        ### BEGIN SOLUTION
        if isinstance(key, Tensor):
            key = key.data.astype(np.int64)
        return Tensor(self.data[key])
        ### END SOLUTION

    # ---- Module 05 ---------------------------------------------------------------------------

    def backward(self, gradient=None):
        raise RuntimeError(
            "backward() needs autograd, which you build in module 05. "
            "In a finished TinyTorch, `import tinytorch.core.autograd` switches it on."
        )


def _data_of(value):
    """The numpy data of a Tensor, or a plain number unchanged (numbers keep the tensor's dtype)."""
    return value.data if isinstance(value, Tensor) else value


# %% [markdown]
# ## Step 1 — Creating tensors
#
# A Tensor is its data. The dtype rule decides memory and speed: float32 numbers take 4 bytes,
# float64 take 8, so a model in float32 needs half the memory and moves half the bytes. Most
# training uses float32 (or less: module 16 goes down to 8 bits). Gradient checks are the
# exception: they compare tiny differences of a loss, which float32's 7 significant digits
# cannot resolve, so they run in float64. That is why a float64 array keeps its dtype.
#
# Fill in `__init__` in the class above, run that cell, then run this test.

# %% nbgrader={"grade": true, "grade_id": "tensor-creation", "locked": true, "points": 2, "schema_version": 3, "solution": false}
x = Tensor([[1, 2, 3], [4, 5, 6]])
assert isinstance(x.data, np.ndarray), f".data should be a numpy array, got {type(x.data).__name__}"
assert x.shape == (2, 3), f"shape should be (2, 3), got {x.shape}"
assert x.size == 6 and x.ndim == 2, f"size 6 and ndim 2 expected, got {x.size} and {x.ndim}"
assert x.dtype == np.float32, f"a list should become float32, got {x.dtype}"
assert Tensor(3.5).shape == (), "a Python number gives a 0-d tensor of shape ()"
assert Tensor(np.ones(3)).dtype == np.float64, "a float64 numpy array must stay float64"
assert Tensor(np.arange(3)).dtype == np.float32, "an integer array should become float32"
assert Tensor([1, 2], dtype=np.float64).dtype == np.float64, "an explicit dtype wins"
assert Tensor(x).shape == (2, 3) and Tensor(x).dtype == np.float32, "Tensor(tensor) should copy its data and dtype"
assert x.requires_grad is False and x.grad is None, "requires_grad defaults to False and grad to None"
print("Step 1 passed: tensors store their data with the right shape and dtype.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(101)
for _ in range(5):
    shape = tuple(rng.integers(1, 5, size=rng.integers(0, 4)))
    values = rng.standard_normal(shape)
    assert Tensor(values).dtype == np.float64 and Tensor(values).shape == shape
    assert Tensor(values.astype(np.float32)).dtype == np.float32
    assert Tensor(values.tolist()).dtype == np.float32, "nested lists become float32"
    np.testing.assert_allclose(Tensor(values.tolist()).data, values, rtol=1e-6, atol=1e-6)
assert Tensor(np.float64(2.0)).dtype == np.float64, "a numpy float64 scalar keeps its dtype"
assert Tensor(7).dtype == np.float32 and Tensor(7).item() == 7.0
assert Tensor([True, False]).dtype == np.float32
assert Tensor([1.0], requires_grad=True).requires_grad is True
### END HIDDEN TESTS

# %% [markdown]
# ## Step 2 — Arithmetic with broadcasting
#
# `x + y`, `x - y`, `x * y` and `x / y` work element by element, broadcasting as described
# above; `-x` negates. When the left operand is a plain number, as in `1 - x`, Python asks the
# number first, the number says it does not know Tensors, and Python then calls the reflected
# method `x.__rsub__(1)`. Subtraction and division do not commute, so `__rsub__` must compute
# `1 - x`, not `x - 1`.
#
# Cost: an elementwise operation on n elements does n FLOPs and reads and writes about 3n
# numbers: it is limited by memory bandwidth, not by arithmetic.
#
# Fill in the Step 2 methods, re-run the class cell, then run the test.

# %% nbgrader={"grade": true, "grade_id": "tensor-arithmetic", "locked": true, "points": 3, "schema_version": 3, "solution": false}
a = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
b = Tensor([10.0, 20.0, 30.0])
np.testing.assert_allclose((a + b).data, [[11, 22, 33], [14, 25, 36]], err_msg="a + b should broadcast b over the rows of a")
np.testing.assert_allclose((a - b).data, [[-9, -18, -27], [-6, -15, -24]], err_msg="a - b")
np.testing.assert_allclose((a * 2).data, [[2, 4, 6], [8, 10, 12]], err_msg="a * 2")
np.testing.assert_allclose((a / Tensor([[1.0], [2.0]])).data, [[1, 2, 3], [2, 2.5, 3]], err_msg="a / column")
np.testing.assert_allclose((-a).data, -a.data, err_msg="-a")
np.testing.assert_allclose((1 + a).data, a.data + 1, err_msg="1 + a (__radd__)")
np.testing.assert_allclose((1 - a).data, 1 - a.data, err_msg="1 - a must be 1 - a, not a - 1 (__rsub__)")
np.testing.assert_allclose((3 * a).data, 3 * a.data, err_msg="3 * a (__rmul__)")
np.testing.assert_allclose((6 / a).data, 6 / a.data, err_msg="6 / a must be 6 / a, not a / 6 (__rtruediv__)")
assert isinstance(a + b, Tensor) and isinstance(1 - a, Tensor), "results must be Tensors"
assert (a * 2).dtype == np.float32, "multiplying by a Python number keeps float32"
assert a.data[0, 0] == 1.0, "operations must not change their inputs"
print("Step 2 passed: arithmetic broadcasts, and the reflected forms keep the order right.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(202)
for _ in range(10):
    rows, cols = rng.integers(1, 6, size=2)
    x = rng.standard_normal((rows, cols))
    y = rng.standard_normal((cols,)) + 3.0  # away from 0 so that division is tame
    c = float(rng.uniform(0.5, 2.0))
    X, Y = Tensor(x), Tensor(y)
    for got, want, what in [
        (X + Y, x + y, "x + y"), (X - Y, x - y, "x - y"), (X * Y, x * y, "x * y"),
        (X / Y, x / y, "x / y"), (-X, -x, "-x"), (c + X, c + x, "c + x"),
        (c - X, c - x, "c - x"), (c * X, c * x, "c * x"), (c / Y, c / y, "c / y"),
        (Y - X, y - x, "y - x (broadcast on the left)"),
    ]:
        assert isinstance(got, Tensor), f"{what} should return a Tensor"
        assert got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}"
        np.testing.assert_allclose(got.data, want, rtol=1e-12, err_msg=what)
    assert (X + Y).dtype == np.float64, "float64 inputs give a float64 result"
column, row = rng.standard_normal((4, 1)), rng.standard_normal((1, 5))
np.testing.assert_allclose((Tensor(column) * Tensor(row)).data, column * row, err_msg="(4,1) * (1,5) -> (4,5)")
try:
    Tensor(np.ones((2, 3))) + Tensor(np.ones(4))
except ValueError:
    pass
else:
    raise AssertionError("(2, 3) + (4,) cannot broadcast and must raise ValueError")
### END HIDDEN TESTS

# %% [markdown]
# ## Step 3 — Powers, `exp` and `log`
#
# These three appear in every loss and activation: `x ** 2` in the mean squared error,
# `exp` in softmax and sigmoid, `log` in cross-entropy. Their derivatives, which module 05
# needs, are short: $\frac{d}{dx}x^p = p\,x^{p-1}$, $\frac{d}{dx}e^x = e^x$,
# $\frac{d}{dx}\log x = 1/x$.
#
# One warning to carry forward: `np.exp(1000.0)` is `inf` in any float type, and
# `np.log(0.0)` is `-inf`. Module 02 and module 04 show how to compute softmax and
# cross-entropy so that neither ever happens.

# %% nbgrader={"grade": true, "grade_id": "tensor-elementwise-math", "locked": true, "points": 2, "schema_version": 3, "solution": false}
x = Tensor([1.0, 2.0, 3.0])
np.testing.assert_allclose((x ** 2).data, [1, 4, 9], err_msg="x ** 2")
np.testing.assert_allclose((x ** 0.5).data, np.sqrt([1, 2, 3]), rtol=1e-6, err_msg="x ** 0.5")
np.testing.assert_allclose(x.exp().data, np.exp([1, 2, 3]), rtol=1e-6, err_msg="exp")
np.testing.assert_allclose(x.log().data, np.log([1, 2, 3]), rtol=1e-6, err_msg="log")
assert isinstance(x.exp(), Tensor) and isinstance(x ** 2, Tensor), "results must be Tensors"
print("Step 3 passed: pow, exp and log work elementwise.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(303)
values = rng.uniform(0.1, 3.0, size=(3, 4))
X = Tensor(values)
for p in (-1, 0, 1, 2, 3, 0.5, -1.5):
    np.testing.assert_allclose((X ** p).data, values ** p, rtol=1e-12, err_msg=f"x ** {p}")
np.testing.assert_allclose(X.exp().data, np.exp(values), rtol=1e-12)
np.testing.assert_allclose(X.log().data, np.log(values), rtol=1e-12)
np.testing.assert_allclose(X.log().exp().data, values, rtol=1e-12, err_msg="exp(log(x)) == x")
assert X.exp().dtype == np.float64 and Tensor(values.astype(np.float32)).exp().dtype == np.float32
### END HIDDEN TESTS

# %% [markdown]
# ## Step 4 — Matrix multiplication
#
# For $A$ of shape $(m, k)$ and $B$ of shape $(k, n)$,
# $$C_{ij} = \sum_{p=1}^{k} A_{ip} B_{pj}, \qquad C \text{ has shape } (m, n).$$
# Each of the $m \cdot n$ outputs takes $k$ multiplies and $k$ adds: **$2mnk$ FLOPs**. This
# one operation is where nearly all the time of a dense network or a transformer goes.
#
# ```
#      (m, k) @ (k, n)  ->  (m, n)
#           ^    ^
#           must match
# ```
#
# Shape errors are the most common bug in deep-learning code, so the error message is part of
# the feature: name both shapes and the two inner sizes that disagree. Leading dimensions
# broadcast as batch dimensions (`(b, m, k) @ (k, n)`), which attention uses in module 12.

# %% nbgrader={"grade": true, "grade_id": "tensor-matmul", "locked": true, "points": 3, "schema_version": 3, "solution": false}
A = Tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])   # (3, 2)
B = Tensor([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])     # (2, 3)
np.testing.assert_allclose(A.matmul(B).data, [[5, 2, -1], [11, 4, -3], [17, 6, -5]], err_msg="A.matmul(B)")
np.testing.assert_allclose((A @ B).data, A.data @ B.data, err_msg="A @ B")
assert (B @ A).shape == (2, 2), f"(2, 3) @ (3, 2) should be (2, 2), got {(B @ A).shape}"
try:
    A @ A
except ValueError as error:
    message = str(error)
    assert "(3, 2)" in message and "2" in message, f"name both shapes in the error, got: {message}"
else:
    raise AssertionError("(3, 2) @ (3, 2) must raise ValueError: the inner sizes 2 and 3 differ")
print("Step 4 passed: matmul multiplies and explains its shape errors.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(404)
for _ in range(8):
    m, k, n, batch = rng.integers(1, 7, size=4)
    a, b = rng.standard_normal((m, k)), rng.standard_normal((k, n))
    np.testing.assert_allclose((Tensor(a) @ Tensor(b)).data, a @ b, rtol=1e-12, err_msg=f"({m},{k}) @ ({k},{n})")
    batched = rng.standard_normal((batch, m, k))
    np.testing.assert_allclose((Tensor(batched) @ Tensor(b)).data, batched @ b, rtol=1e-12, err_msg="batched @ matrix")
    vector = rng.standard_normal(k)
    np.testing.assert_allclose(Tensor(a).matmul(Tensor(vector)).data, a @ vector, rtol=1e-12, err_msg="matrix @ vector")
    np.testing.assert_allclose((Tensor(a) @ b).data, a @ b, rtol=1e-12, err_msg="Tensor @ numpy array")
for left, right in [((2, 3), (4, 5)), ((5, 2, 3), (2, 3)), ((3,), (4,))]:
    try:
        Tensor(np.ones(left)) @ Tensor(np.ones(right))
    except ValueError as error:
        assert str(left) in str(error) and str(right) in str(error), f"the error should show {left} and {right}: {error}"
    else:
        raise AssertionError(f"{left} @ {right} must raise ValueError")
try:
    Tensor(2.0) @ Tensor([1.0, 2.0])
except ValueError:
    pass
else:
    raise AssertionError("a 0-d tensor cannot be matrix-multiplied: raise ValueError")
### END HIDDEN TESTS

# %% [markdown]
# ### Systems view: what a matmul costs
#
# FLOPs grow as $n^3$ for square $n \times n$ matrices, while the bytes moved grow only as
# $n^2$ (three matrices of $4n^2$ bytes each in float32). So big matrix products are
# *compute-bound* and reach a high fraction of the processor's speed, while small ones are
# dominated by overhead. Measure it on your own `matmul`:

# %%
sizes = [16, 32, 64, 128, 256, 512]
seconds, gflops = [], []
for n in sizes:
    left = Tensor(np.random.default_rng(0).standard_normal((n, n)).astype(np.float32))
    repeats = max(3, int(2e7 // n**3))
    left @ left  # warm-up: the first call pays one-off costs
    start = time.perf_counter()
    for _ in range(repeats):
        left @ left
    elapsed = (time.perf_counter() - start) / repeats
    seconds.append(elapsed)
    gflops.append(2 * n**3 / elapsed / 1e9)
    print(f"n={n:4d}  FLOPs={2 * n**3:>12,d}  bytes={3 * 4 * n * n:>10,d}  "
          f"time={elapsed * 1e6:9.1f} us  {gflops[-1]:6.2f} GFLOP/s")

figure, (left_axis, right_axis) = plt.subplots(1, 2, figsize=(10, 3.5))
left_axis.loglog(sizes, seconds, "o-", label="measured")
left_axis.loglog(sizes, [seconds[-1] * (n / sizes[-1]) ** 3 for n in sizes], "--", label=r"$\propto n^3$")
left_axis.set(xlabel="n (matrices are n x n)", ylabel="seconds per matmul", title="Time grows as n^3 ...")
left_axis.legend()
right_axis.semilogx(sizes, gflops, "o-")
right_axis.set(xlabel="n", ylabel="GFLOP/s", title="... but big matmuls use the hardware better")
figure.tight_layout()
plt.show()

# %% [markdown]
# Read the right plot: small products run far below the machine's speed because each call
# pays a fixed overhead (Python, allocating the result) that does no arithmetic. This is why
# training uses *batches*: one $(32, 784) @ (784, 128)$ product is much faster than 32
# separate vector products.
#
# ## Step 5 — Reductions: `sum`, `mean`, `max`
#
# A reduction collapses one or more axes. For `x` of shape `(2, 3)`:
#
# ```
# x.sum()                   -> shape ()      everything
# x.sum(axis=0)             -> shape (3,)    down the columns
# x.sum(axis=1)             -> shape (2,)    along the rows
# x.sum(axis=1, keepdims=True) -> shape (2, 1) still broadcasts against x
# ```
#
# `keepdims=True` is what makes `x - x.max(axis=1, keepdims=True)` subtract each row's own
# maximum: exactly the trick that keeps softmax from overflowing in module 02.

# %% nbgrader={"grade": true, "grade_id": "tensor-reductions", "locked": true, "points": 3, "schema_version": 3, "solution": false}
x = Tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
assert x.sum().shape == () and x.sum().item() == 21.0, f"x.sum() should be 21 with shape (), got {x.sum()}"
np.testing.assert_allclose(x.sum(axis=0).data, [5, 7, 9], err_msg="sum(axis=0)")
np.testing.assert_allclose(x.mean(axis=1).data, [3, 4], err_msg="mean(axis=1)")
np.testing.assert_allclose(x.max(axis=1).data, [5, 6], err_msg="max(axis=1)")
assert x.sum(axis=1, keepdims=True).shape == (2, 1), "keepdims=True keeps the reduced axis with size 1"
centred = x - x.mean(axis=1, keepdims=True)
np.testing.assert_allclose(centred.data.sum(axis=1), [0, 0], atol=1e-6, err_msg="rows centred with keepdims")
print("Step 5 passed: reductions respect axis and keepdims.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(505)
for _ in range(6):
    shape = tuple(rng.integers(1, 5, size=3))
    values = rng.standard_normal(shape)
    X = Tensor(values)
    for axis in (None, 0, 1, 2, -1, (0, 2)):
        for keepdims in (False, True):
            for name in ("sum", "mean", "max"):
                got = getattr(X, name)(axis=axis, keepdims=keepdims)
                want = getattr(values, name)(axis=axis, keepdims=keepdims)
                assert isinstance(got, Tensor), f"{name} should return a Tensor"
                assert got.shape == np.shape(want), f"{name}(axis={axis}, keepdims={keepdims}): shape {got.shape}, expected {np.shape(want)}"
                np.testing.assert_allclose(got.data, want, rtol=1e-12, err_msg=f"{name}(axis={axis}, keepdims={keepdims})")
### END HIDDEN TESTS

# %% [markdown]
# ## Step 6 — `reshape` and `transpose`
#
# Reshaping reads the same elements in the same (row-major) order with a new shape: a batch of
# images `(32, 1, 28, 28)` becomes `(32, 784)` before a dense layer. The element count must
# stay the same; one dimension may be `-1`, meaning "whatever makes the count work":
# 12 elements reshaped to `(3, -1)` gives `(3, 4)`.
#
# Transposing swaps two axes: a matrix's rows become its columns. In module 12, attention
# moves the head axis next to the batch axis with `transpose(1, 2)`. As the memory-layout
# section showed, both are usually free: numpy only changes the strides.

# %% nbgrader={"grade": true, "grade_id": "tensor-shape-ops", "locked": true, "points": 2, "schema_version": 3, "solution": false}
x = Tensor(np.arange(12.0))
assert x.reshape(3, 4).shape == (3, 4), "reshape(3, 4)"
assert x.reshape((2, 6)).shape == (2, 6), "reshape accepts a tuple too"
assert x.reshape(3, -1).shape == (3, 4), f"reshape(3, -1) should be (3, 4), got {x.reshape(3, -1).shape}"
np.testing.assert_allclose(x.reshape(3, 4).data[1], [4, 5, 6, 7], err_msg="reshape keeps row-major order")
try:
    x.reshape(5, -1)
except ValueError:
    pass
else:
    raise AssertionError("12 elements cannot be reshaped to (5, -1): raise ValueError")
m = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
np.testing.assert_allclose(m.transpose().data, [[1, 4], [2, 5], [3, 6]], err_msg="transpose of a matrix")
np.testing.assert_allclose(m.T.data, m.data.T, err_msg=".T")
print("Step 6 passed: reshape and transpose.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(606)
values = rng.standard_normal((2, 3, 4, 5))
X = Tensor(values)
for shape in [(6, 20), (-1, 5), (2, -1, 5), (120,), (-1,), (4, 30), (1, 2, 3, 20)]:
    np.testing.assert_allclose(X.reshape(*shape).data, values.reshape(shape), err_msg=f"reshape{shape}")
    np.testing.assert_allclose(X.reshape(shape).data, values.reshape(shape), err_msg=f"reshape({shape})")
for bad in [(7, -1), (-1, -1), (121,), (2, 3)]:
    try:
        X.reshape(*bad)
    except ValueError as error:
        if bad != (-1, -1):
            assert "120" in str(error), f"the error should name the size 120: {error}"
    else:
        raise AssertionError(f"reshape{bad} of 120 elements must raise ValueError")
for dims in [(0, 1), (1, 2), (0, 3), (-1, -2), (2, -1)]:
    np.testing.assert_allclose(X.transpose(*dims).data, np.swapaxes(values, *dims), err_msg=f"transpose{dims}")
np.testing.assert_allclose(X.transpose().data, np.swapaxes(values, -2, -1), err_msg="default transpose swaps the last two axes")
vector = Tensor(rng.standard_normal(4))
np.testing.assert_allclose(vector.transpose().data, vector.data, err_msg="a 1-D tensor transposes to itself")
### END HIDDEN TESTS

# %% [markdown]
# ## Step 7 — Indexing
#
# `x[0]`, `x[:, 1:3]`, `x[[2, 0, 2]]` and `x[x.data > 0]` all work the way numpy does them.
# Two uses come later: module 04 picks each sample's target class with
# `logits[np.arange(n), targets]`, and module 11 looks up embedding rows with a tensor of
# token ids — so a Tensor used as an index must mean its values, as integers.

# %% nbgrader={"grade": true, "grade_id": "tensor-indexing", "locked": true, "points": 2, "schema_version": 3, "solution": false}
x = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
np.testing.assert_allclose(x[0].data, [1, 2, 3], err_msg="x[0]")
np.testing.assert_allclose(x[:, 1].data, [2, 5, 8], err_msg="x[:, 1]")
np.testing.assert_allclose(x[1:, :2].data, [[4, 5], [7, 8]], err_msg="x[1:, :2]")
np.testing.assert_allclose(x[[2, 0]].data, [[7, 8, 9], [1, 2, 3]], err_msg="x[[2, 0]]")
np.testing.assert_allclose(x[Tensor([1, 1])].data, [[4, 5, 6], [4, 5, 6]], err_msg="a Tensor of ids as the index")
assert isinstance(x[0, 0], Tensor) and x[0, 0].item() == 1.0, "x[0, 0] is a 0-d Tensor"
print("Step 7 passed: indexing.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(707)
values = rng.standard_normal((5, 4, 3))
X = Tensor(values)
rows = rng.integers(0, 5, size=7)
for key in [2, -1, (slice(1, 4), 2), (Ellipsis, 0), (rows,), (np.arange(5), rng.integers(0, 4, size=5)), values > 0]:
    got = X[key]
    assert isinstance(got, Tensor), f"x[{key!r}] should return a Tensor"
    np.testing.assert_allclose(got.data, values[key], err_msg=f"x[{key!r}]")
np.testing.assert_allclose(X[Tensor(rows.astype(np.float32))].data, values[rows], err_msg="float Tensor of ids")
### END HIDDEN TESTS

# %% [markdown]
# ## Putting it together — a classifier's forward pass
#
# Everything a linear classifier needs is now in your Tensor: a matrix product, a broadcast
# bias, a numerically careful softmax (exp of a shifted input, divided by a sum with
# `keepdims`), and indexing to read off the probability of each sample's true class. This
# integration test runs exactly that and compares with plain numpy.

# %% nbgrader={"grade": true, "grade_id": "tensor-integration", "locked": true, "points": 3, "schema_version": 3, "solution": false}
def classifier_forward(x, weight, bias, targets):
    """Mean negative log-probability of the targets under softmax(x @ weight + bias)."""
    logits = x @ weight + bias
    shifted = logits - logits.max(axis=1, keepdims=True)
    probabilities = shifted.exp() / shifted.exp().sum(axis=1, keepdims=True)
    picked = probabilities[np.arange(len(targets)), targets]
    return -(picked.log().mean())

rng = np.random.default_rng(0)
x, weight, bias = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal(5)
targets = np.array([0, 4, 2, 2])
loss = classifier_forward(Tensor(x), Tensor(weight), Tensor(bias), targets)
logits = x @ weight + bias
log_probs = logits - logits.max(axis=1, keepdims=True)
log_probs -= np.log(np.exp(log_probs).sum(axis=1, keepdims=True))
expected = -log_probs[np.arange(4), targets].mean()
assert isinstance(loss, Tensor) and loss.shape == (), f"the loss should be a 0-d Tensor, got {loss!r}"
np.testing.assert_allclose(loss.item(), expected, rtol=1e-10, err_msg="classifier loss")
print(f"Integration passed: loss {loss.item():.4f} matches numpy.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(808)
for _ in range(3):
    n, d, k = rng.integers(2, 9, size=3)
    x, weight, bias = rng.standard_normal((n, d)) * 10, rng.standard_normal((d, k)), rng.standard_normal(k)
    targets = rng.integers(0, k, size=n)
    loss = classifier_forward(Tensor(x), Tensor(weight), Tensor(bias), targets)
    logits = x @ weight + bias
    log_probs = logits - logits.max(axis=1, keepdims=True)
    log_probs -= np.log(np.exp(log_probs).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(loss.item(), -log_probs[np.arange(n), targets].mean(), rtol=1e-9)
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# You built the data structure every later module uses:
#
# - a `Tensor` that stores a numpy array, float32 unless told otherwise;
# - arithmetic that broadcasts, with reflected forms that keep the operand order;
# - `matmul` ($2mnk$ FLOPs, the cost centre of deep learning) with shape errors that say
#   what went wrong;
# - reductions with `axis` and `keepdims`, `reshape` with `-1`, `transpose`, indexing,
#   `exp` and `log`.
#
# You also measured two systems facts: memory order changes speed, and big matrix products
# use the hardware far better than small ones.
#
# **Next:** module 02 builds activation functions on this Tensor, and module 05 comes back to
# it to add gradients — without changing a line you wrote here.
#
# **Export your work** into your own package: `python -m autograder export` with this
# notebook writes `tinytorch/core/tensor.py`.
