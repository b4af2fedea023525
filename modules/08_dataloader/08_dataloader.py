# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Module 08 — DataLoader
#
# Until now every example fed a model one hand-made array. Real training reads thousands of
# labelled examples, again and again, in small shuffled groups. This module builds the
# plumbing that does it — the part of a framework that decides what the model sees, in what
# order, and how fast.
#
# **What you build.**
# - `Dataset` and `TensorDataset`: "how many examples, and give me example *i*".
# - `DataLoader`: cuts a dataset into **mini-batches**, shuffles it with a fresh order every
#   **epoch** (one pass over the data), reproducibly from a seed.
# - Transforms: `Compose`, `Normalize`, `Flatten`, and an augmentation, `RandomShift`.
# - Real data, offline: the 8×8 handwritten digits shipped with the course, and readers for
#   the two formats nearly every tutorial uses, MNIST's IDX files and CIFAR-10's pickles.
#
# **Why build it yourself.** A data pipeline is where quiet bugs live: a shuffle that repeats
# the same order every epoch, a last batch that silently disappears, an image read with its
# bytes in the wrong order. None of them crashes; each one costs accuracy, and you will only
# find them if you know what the loader is supposed to do. The loader is also the first
# place where *systems* thinking pays: you will measure how much faster one vectorized gather
# is than building a batch one sample at a time.
#
# **What you need.** `Tensor` (01), `Linear`/`ReLU`/`Sequential` (02–03), `CrossEntropyLoss`
# (04) and autograd (05) — the last three only for the tests and the final training run.
# Optimizers (06) and the trainer (07) are not needed: training here is plain gradient
# descent, `p.data -= lr * p.grad`.
#
# **Where it lands.** `tinytorch/core/dataloader.py`:
# `from tinytorch.core.dataloader import DataLoader, TensorDataset, load_digits`.

# %%
#| default_exp core.dataloader
#| export
import gzip
import os
import pickle
import struct
from pathlib import Path

import numpy as np

import tinytorch.core.autograd  # noqa: F401  (switches gradients on; also binds `tinytorch`)
from tinytorch.core.tensor import Tensor

# %%
import tempfile
import time

import matplotlib.pyplot as plt

from tinytorch.core.activations import ReLU, Tanh
from tinytorch.core.autograd import no_grad
from tinytorch.core.layers import Linear, Sequential
from tinytorch.core.losses import CrossEntropyLoss

from autograder.gradcheck import check_model_gradients

# %% [markdown]
# ## Why mini-batches, and why shuffle?
#
# Training minimizes the average loss over $N$ examples,
# $L(\theta) = \frac{1}{N}\sum_{i=1}^{N} \ell(x_i, y_i; \theta)$. Its exact gradient needs a
# pass over all $N$ examples for **one** step. Stochastic gradient descent instead estimates
# it from a random **mini-batch** $B$ of $b$ examples:
#
# $$\hat g = \frac{1}{b}\sum_{i \in B} \nabla_\theta\, \ell(x_i, y_i; \theta),
# \qquad \mathbb{E}[\hat g] = \nabla_\theta L \text{ when } B \text{ is drawn at random.}$$
#
# The estimate is noisy (its variance shrinks like $1/b$), but it costs $b/N$ of a full pass,
# so you take $N/b$ steps per epoch instead of one. Two details decide whether the
# estimate is honest:
#
# - **Random batches.** Data files are often sorted (all the zeros, then all the ones). Cut
#   into batches in file order, every batch would hold one class and each step would drag the
#   model towards it. Shuffling makes each batch a fair sample.
# - **A new order every epoch.** With one fixed shuffle the model sees the same batches in
#   the same sequence forever; their particular noise becomes a pattern it can fit. Drawing a
#   new permutation each epoch keeps the noise noise.
#
# And **every example exactly once per epoch** — a permutation, not $N$ draws with
# replacement — so that no example is over- or under-weighted within an epoch.
#
# Reproducibility matters too: a run you cannot repeat is a bug you cannot debug. So the
# loader takes a `seed`, creates **one** generator `np.random.default_rng(seed)` when it is
# built, and draws each epoch's permutation from it: epoch 2 differs from epoch 1, and the
# whole sequence of epochs is the same every time you run with that seed.

# %% [markdown]
# ## Step 1 — `Dataset` and `TensorDataset`
#
# A **dataset** answers two questions: `len(dataset)` (how many examples) and
# `dataset[i]` (example *i*, a tuple such as `(image, label)`). That is the whole contract, and
# it is deliberately small: a dataset may hold everything in memory, read files from disk, or
# generate examples on the fly, and the loader does not care.
#
# `TensorDataset(*arrays)` is the in-memory case: several arrays with the **same first
# dimension** (inputs, labels, maybe weights), example *i* being row *i* of each. It accepts
# numpy arrays or Tensors and stores numpy arrays in `self.arrays`. An optional `transform` is
# applied to the **first** array's sample — the input — when an example is read, so that
# labels never go through image transforms.
#
# Mismatched lengths are the classic silent bug (zip would stop at the shorter array), so the
# constructor raises a `ValueError` that names the lengths.

# %% nbgrader={"grade": false, "grade_id": "datasets", "locked": false, "schema_version": 3, "solution": true}
#| export
class Dataset:
    """What every dataset provides: its length and its i-th example.

    Subclasses implement `__len__` and `__getitem__(index)`; an example is usually a tuple
    such as `(input, label)` of numpy arrays or numbers.
    """

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index)")


def _as_array(values) -> np.ndarray:
    """The numpy array behind a Tensor, a numpy array or anything np.asarray accepts."""
    return values.data if isinstance(values, Tensor) else np.asarray(values)


class TensorDataset(Dataset):
    """Examples stored as rows of arrays that share their first dimension.

    `TensorDataset(images, labels)`: example i is `(images[i], labels[i])`. `transform`, if
    given, is applied to the first array's sample (the input) each time an example is read.
    """

    def __init__(self, *arrays, transform=None):
        """Store the arrays as numpy arrays in `self.arrays` (a tuple), and the transform.

        - `arrays` may be numpy arrays or Tensors (`_as_array` gives the numpy array of either).
        - At least one array is needed: raise ValueError otherwise.
        - Every array must have the same first dimension: raise a ValueError that names every
          length, e.g. "TensorDataset: arrays of different lengths [100, 99]: ...".
        """
        ### BEGIN SOLUTION
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        self.arrays = tuple(_as_array(array) for array in arrays)
        lengths = [len(array) for array in self.arrays]
        if len(set(lengths)) != 1:
            raise ValueError(
                f"TensorDataset: arrays of different lengths {lengths}: example i is row i of "
                "every array, so they must all have the same first dimension"
            )
        ### END SOLUTION
        self.transform = transform

    def __len__(self):
        """The number of examples: the common first dimension."""
        ### BEGIN SOLUTION
        return len(self.arrays[0])
        ### END SOLUTION

    def __getitem__(self, index):
        """Example `index` as a tuple with one entry per array: `(arrays[0][index], ...)`.

        Apply `self.transform` (when it is not None) to the first entry only.
        """
        ### BEGIN SOLUTION
        sample = tuple(array[index] for array in self.arrays)
        if self.transform is not None:
            sample = (self.transform(sample[0]),) + sample[1:]
        return sample
        ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "dataset", "locked": true, "points": 2, "schema_version": 3, "solution": false}
features = np.arange(20, dtype=np.float32).reshape(10, 2)
classes = np.arange(10) % 3
dataset = TensorDataset(features, classes)
assert len(dataset) == 10, f"len(dataset) should be 10, got {len(dataset)}"
example = dataset[3]
assert isinstance(example, tuple) and len(example) == 2, "an example is a tuple with one entry per array"
np.testing.assert_array_equal(example[0], features[3], err_msg="dataset[3][0] should be row 3 of the inputs")
assert example[1] == classes[3], f"dataset[3][1] should be label {classes[3]}, got {example[1]}"
from_tensor = TensorDataset(Tensor(features), classes)
assert all(isinstance(a, np.ndarray) for a in from_tensor.arrays), "Tensors are stored as numpy arrays"
doubled = TensorDataset(features, classes, transform=lambda x: x * 2)
np.testing.assert_array_equal(doubled[4][0], features[4] * 2, err_msg="the transform applies to the input")
assert doubled[4][1] == classes[4], "the transform must not touch the label"
try:
    TensorDataset(features, classes[:9])
except ValueError as error:
    assert "10" in str(error) and "9" in str(error), f"the error should name both lengths: {error}"
else:
    raise AssertionError("TensorDataset(10 inputs, 9 labels) should raise ValueError")
print("Step 1 passed: TensorDataset stores, checks and indexes its arrays.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(8001)
for _ in range(5):
    n = int(rng.integers(1, 40))
    a = rng.standard_normal((n, int(rng.integers(1, 4)), 2))
    b = rng.integers(0, 5, size=n)
    c = Tensor(rng.standard_normal(n))
    ds = TensorDataset(a, b, c, transform=lambda x: x + 1.0)
    assert len(ds) == n
    i = int(rng.integers(-n, n))
    got = ds[i]
    assert len(got) == 3
    np.testing.assert_allclose(got[0], a[i] + 1.0)
    assert got[1] == b[i]
    np.testing.assert_allclose(got[2], c.data[i])
    try:
        TensorDataset(a, b[: n - 1] if n > 1 else np.zeros(3), c)
    except ValueError as error:
        assert str(n) in str(error)
    else:
        raise AssertionError("lengths differ: ValueError expected")
try:
    TensorDataset()
except ValueError:
    pass
else:
    raise AssertionError("TensorDataset() with no array should raise ValueError")
### END HIDDEN TESTS

# %% [markdown]
# ## Step 2 — `DataLoader`: batches and epochs
#
# `DataLoader(dataset, batch_size=1, shuffle=False, drop_last=False, seed=None)` is an
# *iterable*: every `for batch in loader:` is one epoch, and yields batches until the dataset
# is used up.
#
# **Batches.** The epoch's order of indices (`0, 1, ..., N-1`, or a permutation) is cut into
# consecutive slices of `batch_size`. With $N$ examples and batch size $b$ there are
# $\lfloor N/b \rfloor$ full batches, and one partial batch of $N \bmod b$ examples when that
# is not zero. `drop_last=True` drops that partial batch (useful when a layer needs equal
# batch sizes); `drop_last=False` keeps it — dropping it silently would throw away up to
# $b - 1$ examples every epoch. So `len(loader)`, the number of batches per epoch, is
#
# $$\texttt{len(loader)} = \begin{cases} \lfloor N/b \rfloor & \text{drop\_last} \\
# \lceil N/b \rceil & \text{otherwise.} \end{cases}$$
#
# **What a batch is.** A tuple with one Tensor per entry of an example: for
# `TensorDataset(images, labels)`, `(images_batch, labels_batch)` with shapes `(b, ...)` and
# `(b,)`. **The loader never changes a dtype**: float32 inputs stay float32 (convert them once,
# when you build the dataset, not in every batch) and float64 stays float64 (gradient checks
# need it); integer labels become a Tensor that keeps its integer dtype — made with
# `Tensor(array, dtype=array.dtype)`, since a plain `Tensor(array)` would turn integers into
# float32. `CrossEntropyLoss` (module 04) reads class ids from a Tensor or a numpy array alike.
#
# **Two ways to build a batch.**
#
# - *General path*, for any `Dataset`: read each example, `dataset[i]`, then stack the $b$
#   results entry by entry with `np.stack`. That is $b$ Python calls per batch.
# - *Fast path*, for a `TensorDataset` without a transform: the examples are rows of arrays
#   already in memory, so the whole batch is **one** fancy-indexing gather per array,
#   `array[indices]`, done in C. You will measure the difference below.
#
# The shuffle is a method of its own, `_epoch_order`, filled in Step 3; its `shuffle=False`
# branch (order `0..N-1`) is given and the tests of this step use only that, so you can do
# Step 2 first.

# %% nbgrader={"grade": false, "grade_id": "dataloader", "locked": false, "schema_version": 3, "solution": true}
#| export
class DataLoader:
    """Iterate over a dataset in mini-batches, optionally shuffled with a new order each epoch.

    Each `for batch in loader:` is one epoch; a batch is a tuple of Tensors, one per entry of
    an example, stacked along a new first axis. Dtypes are kept: integer labels stay integer.
    With `shuffle=True` the epochs' permutations come from one generator created from `seed`,
    so every epoch has a new order and the sequence of epochs is reproducible.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=None):
        """Store the arguments, and create the shuffling generator ONCE: `self.rng`.

        - `batch_size` must be a positive integer: raise ValueError otherwise.
        - `self.rng = np.random.default_rng(seed)`. Creating it here, not in every epoch, is
          what gives every epoch a new permutation while keeping the sequence reproducible.
        """
        ### BEGIN SOLUTION
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        ### END SOLUTION

    def __len__(self):
        """The number of batches in one epoch: floor(N / b) with drop_last, ceil(N / b) without."""
        ### BEGIN SOLUTION
        count = len(self.dataset)
        if self.drop_last:
            return count // self.batch_size
        return (count + self.batch_size - 1) // self.batch_size
        ### END SOLUTION

    def _epoch_order(self):
        """The order in which this epoch visits the examples, an int array of length N.

        Without shuffle: 0, 1, ..., N-1. With shuffle: a new permutation from `self.rng`.
        (Step 3.)
        """
        count = len(self.dataset)
        if not self.shuffle:
            return np.arange(count)
        ### BEGIN SOLUTION
        return self.rng.permutation(count)
        ### END SOLUTION

    def _fetch(self, indices):
        """The examples at `indices` (an int array) as a tuple of numpy arrays, one per entry.

        Fast path: a TensorDataset without transform -> `array[indices]` for each of its arrays.
        General path: read `self.dataset[i]` for each index and `np.stack` the k-th entries of
        all examples, for every k. (`_as_array` turns an entry that is a Tensor into numpy.)
        """
        ### BEGIN SOLUTION
        dataset = self.dataset
        if isinstance(dataset, TensorDataset) and dataset.transform is None:
            return tuple(array[indices] for array in dataset.arrays)
        examples = [dataset[int(i)] for i in indices]
        return tuple(
            np.stack([_as_array(example[k]) for example in examples])
            for k in range(len(examples[0]))
        )
        ### END SOLUTION

    def __iter__(self):
        """One epoch: yield batches of `batch_size` examples in the order of `_epoch_order()`.

        Keep the last, smaller batch unless `drop_last`. Yield each batch as a tuple of
        Tensors that keep the arrays' dtypes: `Tensor(array, dtype=array.dtype)`.
        """
        ### BEGIN SOLUTION
        order = self._epoch_order()
        count = len(order)
        stop = count - count % self.batch_size if self.drop_last else count
        for start in range(0, stop, self.batch_size):
            arrays = self._fetch(order[start:start + self.batch_size])
            yield tuple(Tensor(array, dtype=array.dtype) for array in arrays)
        ### END SOLUTION

    def __repr__(self):
        return (f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, batch_size="
                f"{self.batch_size}, shuffle={self.shuffle}, drop_last={self.drop_last})")

# %% [markdown]
# The tests below use a small "general" dataset too: `SquaresDataset` computes its examples
# on the fly, so the loader must go through `__getitem__` and stack. Both paths must give the
# same batches.

# %%
class SquaresDataset(Dataset):
    """Example i is (the vector [i, i**2] as float32, the label i % 3): made on demand."""

    def __init__(self, count):
        self.count = count

    def __len__(self):
        return self.count

    def __getitem__(self, index):
        return np.array([index, index ** 2], dtype=np.float32), index % 3


def labels_of_epoch(loader):
    """All labels one epoch yields, in order, as one numpy array."""
    return np.concatenate([batch[-1].data for batch in loader])

# %% nbgrader={"grade": true, "grade_id": "dataloader-batching", "locked": true, "points": 3, "schema_version": 3, "solution": false}
inputs = np.arange(30, dtype=np.float32).reshape(10, 3)
targets = np.arange(10)
loader = DataLoader(TensorDataset(inputs, targets), batch_size=4)
assert len(loader) == 3, f"10 examples in batches of 4: len(loader) should be 3, got {len(loader)}"
batches = list(loader)
assert all(isinstance(b, tuple) and len(b) == 2 for b in batches), "each batch is a tuple (inputs, labels)"
assert all(isinstance(t, Tensor) for b in batches for t in b), "every entry of a batch is a Tensor"
shapes = [b[0].shape for b in batches]
assert shapes == [(4, 3), (4, 3), (2, 3)], f"batch shapes should be (4,3) (4,3) (2,3), got {shapes}"
assert batches[0][0].dtype == np.float32, f"float32 inputs stay float32, got {batches[0][0].dtype}"
assert np.issubdtype(batches[0][1].dtype, np.integer), f"labels keep an integer dtype, got {batches[0][1].dtype}"
np.testing.assert_array_equal(labels_of_epoch(loader), targets, err_msg="without shuffle: every example once, in order")
np.testing.assert_array_equal(batches[2][0].data, inputs[8:], err_msg="the last batch holds examples 8 and 9")
dropping = DataLoader(TensorDataset(inputs, targets), batch_size=4, drop_last=True)
assert len(dropping) == 2, f"drop_last: len should be 2, got {len(dropping)}"
assert [b[0].shape for b in dropping] == [(4, 3), (4, 3)], "drop_last drops only the partial batch"
even = DataLoader(TensorDataset(inputs, targets), batch_size=5)
assert len(even) == 2 and len(list(even)) == 2, "10 examples in batches of 5: exactly 2 batches, no empty third"
general = DataLoader(SquaresDataset(7), batch_size=3)
general_batches = list(general)
assert [b[0].shape for b in general_batches] == [(3, 2), (3, 2), (1, 2)], "a general Dataset is batched by stacking"
np.testing.assert_array_equal(general_batches[1][0].data, [[3, 9], [4, 16], [5, 25]])
np.testing.assert_array_equal(labels_of_epoch(general), np.arange(7) % 3)
try:
    DataLoader(TensorDataset(inputs, targets), batch_size=0)
except ValueError:
    pass
else:
    raise AssertionError("batch_size=0 should raise ValueError")
print("Step 2 passed: batches have the right shapes, dtypes and contents; len(loader) counts them.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(8002)
for _ in range(12):
    n = int(rng.integers(1, 60))
    b = int(rng.integers(1, 17))
    drop = bool(rng.integers(0, 2))
    x = rng.standard_normal((n, 2, 3))
    y = rng.integers(0, 10, size=n)
    w = rng.random(n).astype(np.float32)
    loader = DataLoader(TensorDataset(x, y, w), batch_size=b, drop_last=drop)
    expected_len = n // b if drop else -(-n // b)
    assert len(loader) == expected_len, (n, b, drop, len(loader))
    got = list(loader)
    assert len(got) == expected_len
    sizes = [batch[0].shape[0] for batch in got]
    assert all(s == b for s in sizes[:-1]) and 0 < sizes[-1] <= b
    if drop:
        assert all(s == b for s in sizes)
    seen = sum(sizes)
    assert seen == (n - n % b if drop else n)
    for batch in got:
        assert batch[0].shape[1:] == (2, 3) and batch[0].dtype == np.float64
        assert batch[1].shape == batch[0].shape[:1] and np.issubdtype(batch[1].dtype, np.integer)
        assert batch[2].dtype == np.float32
    np.testing.assert_array_equal(np.concatenate([bt[0].data for bt in got]), x[:seen])
    np.testing.assert_array_equal(np.concatenate([bt[1].data for bt in got]), y[:seen])
    # the general path and a transformed TensorDataset give the same batches as the fast path
    class Wrapped(Dataset):
        def __len__(self):
            return n

        def __getitem__(self, i):
            return x[i], y[i], w[i]

    for other in (Wrapped(), TensorDataset(x, y, w, transform=lambda s: s.copy())):
        other_batches = list(DataLoader(other, batch_size=b, drop_last=drop))
        assert len(other_batches) == len(got)
        for mine, ref in zip(other_batches, got):
            for t_mine, t_ref in zip(mine, ref):
                assert t_mine.shape == t_ref.shape and t_mine.dtype == t_ref.dtype
                np.testing.assert_array_equal(t_mine.data, t_ref.data)
### END HIDDEN TESTS

# %% [markdown]
# ## Step 3 — Shuffling: a new permutation every epoch, reproducibly
#
# Fill in `_epoch_order` in the `DataLoader` cell above: `np.arange(N)` without shuffle, and
# with shuffle a permutation drawn from `self.rng` — the generator made once in `__init__`.
# `rng.permutation(N)` returns the numbers `0..N-1` in random order, so every example is
# visited exactly once.
#
# The tempting mistake is to write `np.random.default_rng(self.seed).permutation(N)` here. It
# looks reproducible, and it is — too reproducible: a generator re-created from the same
# seed starts from the same state, so **every epoch gets the same permutation**. The test
# checks that consecutive epochs differ, that two loaders with the same seed produce the same
# sequence of epochs, and that inputs and labels stay paired after shuffling.

# %% nbgrader={"grade": true, "grade_id": "dataloader-shuffle", "locked": true, "points": 3, "schema_version": 3, "solution": false}
inputs = np.arange(20, dtype=np.float32).reshape(20, 1) * 10
targets = np.arange(20)
loader = DataLoader(TensorDataset(inputs, targets), batch_size=6, shuffle=True, seed=0)
epoch_1, epoch_2 = labels_of_epoch(loader), labels_of_epoch(loader)
np.testing.assert_array_equal(np.sort(epoch_1), targets, err_msg="a shuffled epoch still visits every example exactly once")
assert not np.array_equal(epoch_1, targets), "shuffle=True should change the order"
assert not np.array_equal(epoch_1, epoch_2), (
    "two epochs came out in the same order: is the permutation drawn from self.rng, "
    "the generator created once in __init__?"
)
again = DataLoader(TensorDataset(inputs, targets), batch_size=6, shuffle=True, seed=0)
np.testing.assert_array_equal(labels_of_epoch(again), epoch_1, err_msg="the same seed gives the same first epoch")
np.testing.assert_array_equal(labels_of_epoch(again), epoch_2, err_msg="and the same second epoch")
for batch_inputs, batch_targets in loader:
    np.testing.assert_array_equal(batch_inputs.data[:, 0], batch_targets.data * 10, err_msg="inputs and labels stay paired")
np.testing.assert_array_equal(labels_of_epoch(DataLoader(TensorDataset(inputs, targets), batch_size=6)), targets,
                              err_msg="shuffle=False keeps the order")
print("Step 3 passed: every epoch a new permutation, every example once, reproducible from the seed.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(8003)
for _ in range(10):
    n = int(rng.integers(10, 80))
    b = int(rng.integers(1, n // 2 + 1))
    drop = bool(rng.integers(0, 2))
    seed = int(rng.integers(0, 10_000))
    x = np.arange(n, dtype=np.float64)[:, None] * 3.0
    y = np.arange(n)
    first = DataLoader(TensorDataset(x, y), batch_size=b, shuffle=True, drop_last=drop, seed=seed)
    second = DataLoader(TensorDataset(x, y), batch_size=b, shuffle=True, drop_last=drop, seed=seed)
    epochs = []
    for _ in range(4):
        batches = list(first)
        assert len(batches) == len(first)
        labels = np.concatenate([bt[1].data for bt in batches])
        for bt in batches:
            np.testing.assert_array_equal(bt[0].data[:, 0], bt[1].data * 3.0)
            if drop:
                assert bt[0].shape[0] == b
        if drop:
            assert len(labels) == n - n % b and len(np.unique(labels)) == len(labels)
        else:
            np.testing.assert_array_equal(np.sort(labels), y)
        epochs.append(labels)
        np.testing.assert_array_equal(labels_of_epoch(second), labels)
    assert len({tuple(e) for e in epochs}) == 4, "four epochs should give four different orders"
# the general path shuffles too
general = DataLoader(SquaresDataset(30), batch_size=4, shuffle=True, seed=3)
e1 = np.concatenate([bt[0].data[:, 0] for bt in general])
e2 = np.concatenate([bt[0].data[:, 0] for bt in general])
np.testing.assert_array_equal(np.sort(e1), np.arange(30))
assert not np.array_equal(e1, e2)
### END HIDDEN TESTS

# %% [markdown]
# ## Step 4 — Real data: the 8×8 handwritten digits
#
# The course ships one small real data set in `data/digits/digits.npz`, beside the
# `tinytorch/` folder: the **1797 handwritten digits** of the UCI "Optical Recognition of
# Handwritten Digits" test set (E. Alpaydin and C. Kaynak, 1998; CC BY 4.0), the same copy
# scikit-learn bundles. Each image started as a 32×32 black-and-white bitmap; counting the
# "on" pixels in each 4×4 block gives an 8×8 image of integers **0..16**. The file holds
# `images` (uint8, (1797, 8, 8)) and `labels` (int64, (1797,)). `data/digits/README.md`
# tells where it comes from and its license; nothing is downloaded.
#
# **Finding the data.** `load_digits(root=None)` reads `<root>/digits/digits.npz`. Without a
# `root` it uses the environment variable `TINYTORCH_DATA` when set, and otherwise the
# `data/` folder beside the package's `tinytorch/` directory — `Path(tinytorch.__file__)`
# is `.../tinytorch/__init__.py`, so that folder is `.parent.parent / "data"`. When the file
# is missing, the error must say exactly where it was looked for and what to put there:
# "file not found" alone sends people searching.
#
# **Held-out data.** Accuracy on the examples a model trained on says little: it may have
# memorized them. `train_test_split(x, y, test_fraction, seed)` shuffles the indices once
# (one permutation, applied to `x` **and** `y` so pairs stay together) and puts the first
# `round(N * test_fraction)` into the test set.

# %% nbgrader={"grade": false, "grade_id": "digits", "locked": false, "schema_version": 3, "solution": true}
#| export
def data_root(root=None) -> Path:
    """Where data sets live: `root` if given, else $TINYTORCH_DATA, else <project>/data.

    <project> is the folder that holds the `tinytorch/` package directory.
    """
    if root is not None:
        return Path(root)
    if os.environ.get("TINYTORCH_DATA"):
        return Path(os.environ["TINYTORCH_DATA"])
    return Path(tinytorch.__file__).resolve().parent.parent / "data"


def load_digits(root=None):
    """The shipped 8x8 digits: (images uint8 (1797, 8, 8) in 0..16, labels int64 (1797,)).

    Read `data_root(root) / "digits" / "digits.npz"` with `np.load` (arrays "images" and
    "labels"). When the file does not exist, raise FileNotFoundError saying where it was
    expected and how to get it there (the course repository's data/digits/digits.npz, or
    TINYTORCH_DATA pointing at a folder that holds digits/digits.npz).
    """
    ### BEGIN SOLUTION
    path = data_root(root) / "digits" / "digits.npz"
    if not path.is_file():
        raise FileNotFoundError(
            f"digits data not found at {path}. Put digits.npz (from the course repository's "
            f"data/digits/) at exactly that path, or set TINYTORCH_DATA to a folder that holds "
            "digits/digits.npz."
        )
    with np.load(path) as archive:
        return archive["images"], archive["labels"]
    ### END SOLUTION


def train_test_split(x, y, test_fraction=0.2, seed=0):
    """Shuffle (x, y) pairs with one seeded permutation; return x_train, x_test, y_train, y_test.

    The test set is the first round(N * test_fraction) shuffled examples, the training set the
    rest. `test_fraction` must be strictly between 0 and 1 (ValueError otherwise), and x and y
    must have the same length (ValueError naming both).
    """
    ### BEGIN SOLUTION
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    if len(x) != len(y):
        raise ValueError(f"train_test_split: x has {len(x)} examples but y has {len(y)}")
    order = np.random.default_rng(seed).permutation(len(x))
    test_count = int(round(len(x) * test_fraction))
    test, train = order[:test_count], order[test_count:]
    return x[train], x[test], y[train], y[test]
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "digits-data", "locked": true, "points": 2, "schema_version": 3, "solution": false}
images, labels = load_digits()
assert images.shape == (1797, 8, 8) and images.dtype == np.uint8, f"images: got {images.shape} {images.dtype}"
assert labels.shape == (1797,) and np.issubdtype(labels.dtype, np.integer), f"labels: got {labels.shape} {labels.dtype}"
assert images.max() == 16 and images.min() == 0, "pixel values are counts 0..16"
assert sorted(np.unique(labels)) == list(range(10)), "ten classes, the digits 0..9"
with tempfile.TemporaryDirectory() as empty:
    try:
        load_digits(empty)
    except FileNotFoundError as error:
        assert str(Path(empty) / "digits" / "digits.npz") in str(error), f"the error should name the path: {error}"
    else:
        raise AssertionError("load_digits(empty folder) should raise FileNotFoundError")
x_train, x_test, y_train, y_test = train_test_split(np.arange(100), np.arange(100) * 2, test_fraction=0.25, seed=1)
assert len(x_test) == 25 and len(x_train) == 75, f"25% of 100 for testing: got {len(x_test)} and {len(x_train)}"
np.testing.assert_array_equal(np.sort(np.concatenate([x_train, x_test])), np.arange(100),
                              err_msg="train and test together hold every example exactly once")
np.testing.assert_array_equal(y_test, x_test * 2, err_msg="x and y are shuffled with the same permutation")
assert not np.array_equal(x_test, np.arange(25)), "the split should be shuffled"
print(f"Step 4 passed: {len(images)} digits loaded, split {len(x_train)}/{len(x_test)} on a toy example.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(8004)
with tempfile.TemporaryDirectory() as folder:
    (Path(folder) / "digits").mkdir()
    fake_images = rng.integers(0, 17, size=(5, 8, 8)).astype(np.uint8)
    fake_labels = rng.integers(0, 10, size=5)
    np.savez(Path(folder) / "digits" / "digits.npz", images=fake_images, labels=fake_labels)
    got_images, got_labels = load_digits(folder)
    np.testing.assert_array_equal(got_images, fake_images)
    np.testing.assert_array_equal(got_labels, fake_labels)
    previous = os.environ.get("TINYTORCH_DATA")
    os.environ["TINYTORCH_DATA"] = folder
    try:
        env_images, _ = load_digits()
    finally:
        if previous is None:
            del os.environ["TINYTORCH_DATA"]
        else:
            os.environ["TINYTORCH_DATA"] = previous
    assert env_images.shape == (5, 8, 8), "TINYTORCH_DATA should be used when root is not given"
assert load_digits()[0].shape == (1797, 8, 8)
for _ in range(6):
    n = int(rng.integers(4, 200))
    fraction = float(rng.uniform(0.1, 0.9))
    seed = int(rng.integers(1000))
    x = rng.standard_normal((n, 3))
    y = np.arange(n)
    a = train_test_split(x, y, test_fraction=fraction, seed=seed)
    b = train_test_split(x, y, test_fraction=fraction, seed=seed)
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p, q)
    xtr, xte, ytr, yte = a
    assert len(xte) == int(round(n * fraction)) and len(xtr) + len(xte) == n
    np.testing.assert_array_equal(xte, x[yte])
    np.testing.assert_array_equal(xtr, x[ytr])
    assert len(np.intersect1d(ytr, yte)) == 0
for bad in (0.0, 1.0, 1.5):
    try:
        train_test_split(np.arange(10), np.arange(10), test_fraction=bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"test_fraction={bad} should raise ValueError")
### END HIDDEN TESTS

# %% [markdown]
# What do these digits look like? Each is only 64 numbers, yet most are easy to read.

# %%
def show_digits(images, titles, rows=3, columns=10, figure_title=None):
    """A grid of 8x8 images with a title under each."""
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 0.9, rows * 1.05))
    for axis, image, title in zip(axes.flat, images, titles):
        axis.imshow(image, cmap="gray_r", vmin=0, vmax=16)
        axis.set_title(title, fontsize=9)
        axis.axis("off")
    if figure_title:
        fig.suptitle(figure_title)
    plt.tight_layout()
    plt.show()


show_digits(images[:30], [f"label {k}" for k in labels[:30]], figure_title="The first 30 shipped digits")
print("examples per digit 0..9:", np.bincount(labels).tolist())

# %% [markdown]
# The classes are balanced (174 to 183 examples each), so a model that always guesses one
# digit scores about 10%: accuracy will mean something.
#
# ## Step 5 — Transforms and augmentation
#
# A **transform** is a function applied to one example's input when it is read: a callable
# taking a numpy array and returning one. Small classes with a `__call__` keep their
# settings (a mean, a seed) with them:
#
# - `Compose([t1, t2, ...])` applies transforms in order: $x \mapsto t_n(\dots t_1(x))$.
# - `Normalize(mean, std)` returns $(x - \mu) / \sigma$ as float32. Inputs with mean 0 and
#   standard deviation 1 keep the pre-activations of the first layer at the scale its
#   initialization assumed (module 03). Note: divide by the standard deviation $\sigma$, not
#   the variance $\sigma^2$.
# - `Flatten()` turns an image into a vector (`reshape(-1)`), for a `Linear` layer.
# - `RandomShift(max_shift, seed)` is **augmentation**: it moves the image by a random
#   $(\Delta y, \Delta x)$, each drawn uniformly from $\{-k, \dots, k\}$, filling the pixels
#   that come in from the edge with zeros. A "3" moved one pixel right is still a "3": showing
#   the model such variants teaches it that position does not matter, at no labelling cost.
#   Like the loader, it makes its generator once from its seed.
#
# `shift_image(image, dy, dx)` does the shift itself, on the last two axes (rows, columns):
# output pixel $(r, c)$ is input pixel $(r - \Delta y, c - \Delta x)$ when that is inside the
# image, and 0 otherwise. Positive $\Delta y$ moves the picture down, positive $\Delta x$
# right. Slicing does it without a loop: copy the overlapping block.

# %% nbgrader={"grade": false, "grade_id": "transforms-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
class Compose:
    """Apply several transforms in order: Compose([a, b])(x) == b(a(x))."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, x):
        ### BEGIN SOLUTION
        for transform in self.transforms:
            x = transform(x)
        return x
        ### END SOLUTION


class Normalize:
    """(x - mean) / std as float32; mean and std are numbers or arrays that broadcast with x."""

    def __init__(self, mean, std):
        self.mean = np.asarray(mean, dtype=np.float32)
        self.std = np.asarray(std, dtype=np.float32)

    def __call__(self, x):
        ### BEGIN SOLUTION
        return (np.asarray(x, dtype=np.float32) - self.mean) / self.std
        ### END SOLUTION


class Flatten:
    """One example's array as a vector: shape (8, 8) -> (64,)."""

    def __call__(self, x):
        ### BEGIN SOLUTION
        return np.reshape(x, -1)
        ### END SOLUTION


def shift_image(image, dy, dx):
    """Move `image` by dy rows (down when positive) and dx columns (right when positive).

    Works on the last two axes, so an (H, W) image and a (C, H, W) image both work. Pixels
    that come in from outside are 0; the result has the input's shape and dtype.
    Hint: `out = np.zeros_like(image)`, then one assignment
    `out[..., rows_to, cols_to] = image[..., rows_from, cols_from]` with slices such as
    `slice(max(dy, 0), height + min(dy, 0))`.
    """
    ### BEGIN SOLUTION
    height, width = image.shape[-2:]
    out = np.zeros_like(image)
    rows_to = slice(max(dy, 0), height + min(dy, 0))
    rows_from = slice(max(-dy, 0), height + min(-dy, 0))
    cols_to = slice(max(dx, 0), width + min(dx, 0))
    cols_from = slice(max(-dx, 0), width + min(-dx, 0))
    out[..., rows_to, cols_to] = image[..., rows_from, cols_from]
    return out
    ### END SOLUTION


class RandomShift:
    """Augmentation: shift an image by random (dy, dx), each uniform in -max_shift..max_shift."""

    def __init__(self, max_shift=1, seed=None):
        self.max_shift = int(max_shift)
        self.rng = np.random.default_rng(seed)

    def __call__(self, image):
        """Draw dy and dx from self.rng (`integers(-k, k + 1)`) and return shift_image(...)."""
        ### BEGIN SOLUTION
        dy, dx = (int(v) for v in self.rng.integers(-self.max_shift, self.max_shift + 1, size=2))
        return shift_image(image, dy, dx)
        ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "transforms", "locked": true, "points": 3, "schema_version": 3, "solution": false}
image = np.arange(16, dtype=np.float32).reshape(4, 4)
normalized = Normalize(mean=2.0, std=4.0)(image)
assert normalized.dtype == np.float32, f"Normalize returns float32, got {normalized.dtype}"
np.testing.assert_allclose(normalized, (image - 2.0) / 4.0, err_msg="(x - mean) / std: divide by std, not the variance")
assert Flatten()(image).shape == (16,), "Flatten: (4, 4) -> (16,)"
pipeline = Compose([Normalize(0.0, 2.0), Flatten()])
np.testing.assert_allclose(pipeline(image), image.reshape(-1) / 2.0, err_msg="Compose applies transforms in order")
down_right = shift_image(image, 1, 2)
expected = np.zeros((4, 4), dtype=np.float32)
expected[1:, 2:] = image[:3, :2]
np.testing.assert_array_equal(down_right, expected, err_msg="shift_image(image, 1, 2): one row down, two columns right")
np.testing.assert_array_equal(shift_image(image, 0, 0), image, err_msg="a shift of (0, 0) changes nothing")
up_left = shift_image(image, -1, -1)
np.testing.assert_array_equal(up_left[:3, :3], image[1:, 1:], err_msg="negative shifts move up and left")
assert up_left[3].sum() == 0 and up_left[:, 3].sum() == 0, "pixels that come in from outside are zero"
shift = RandomShift(max_shift=1, seed=0)
candidates = [shift_image(image, dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
outputs = [shift(image) for _ in range(30)]
assert all(any(np.array_equal(o, c) for c in candidates) for o in outputs), "RandomShift returns a shift by at most 1"
assert len({o.tobytes() for o in outputs}) > 1, "RandomShift should draw different shifts"
again = RandomShift(max_shift=1, seed=0)
assert all(np.array_equal(again(image), o) for o in outputs), "the same seed gives the same shifts"
print("Step 5 passed: Normalize, Flatten, Compose and a seeded RandomShift.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(8005)
for _ in range(6):
    h, w = (int(v) for v in rng.integers(3, 9, size=2))
    img = rng.standard_normal((2, h, w))
    dy, dx = int(rng.integers(-h + 1, h)), int(rng.integers(-w + 1, w))
    got = shift_image(img, dy, dx)
    assert got.shape == img.shape and got.dtype == img.dtype
    for r in range(h):
        for c in range(w):
            inside = 0 <= r - dy < h and 0 <= c - dx < w
            want = img[:, r - dy, c - dx] if inside else np.zeros(2)
            np.testing.assert_array_equal(got[:, r, c], want)
    mean, std = rng.standard_normal(w), rng.uniform(0.5, 3.0, size=w)
    np.testing.assert_allclose(Normalize(mean, std)(img), ((img - mean) / std).astype(np.float32), rtol=1e-5, atol=1e-5)
    k = int(rng.integers(1, 3))
    seed = int(rng.integers(1000))
    first, second = RandomShift(k, seed=seed), RandomShift(k, seed=seed)
    seen = set()
    for _ in range(40):
        out = first(img)
        np.testing.assert_array_equal(out, second(img))
        matches = [(a, b) for a in range(-k, k + 1) for b in range(-k, k + 1) if np.array_equal(out, shift_image(img, a, b))]
        assert matches, "RandomShift output is not a shift within max_shift"
        seen.add(matches[0])
    assert len(seen) > (2 * k + 1), "RandomShift should use many different shifts"
composed = Compose([Flatten(), Normalize(1.0, 2.0), lambda v: v[::-1]])
x = rng.standard_normal((3, 3)).astype(np.float32)
np.testing.assert_allclose(composed(x), ((x.reshape(-1) - 1.0) / 2.0)[::-1], rtol=1e-6)
### END HIDDEN TESTS

# %% [markdown]
# Here is what augmentation does to a batch. The loader reads each example through the
# dataset's transform, so every epoch sees differently shifted copies of the same digits.

# %%
augmented_loader = DataLoader(TensorDataset(images[:10], labels[:10], transform=RandomShift(2, seed=4)), batch_size=10)
augmented_batch = next(iter(augmented_loader))[0].data
show_digits(np.concatenate([images[:10], augmented_batch]), [f"{k}" for k in labels[:10]] + ["shifted"] * 10,
            rows=2, figure_title="A batch before (top) and after RandomShift(2) (bottom)")

# %% [markdown]
# ## Step 6 — The standard file formats: MNIST's IDX and CIFAR-10's pickles
#
# Bigger data sets come as files you download once and keep. Nothing here downloads: you
# write **readers**, and the tests run them on small files they write themselves.
#
# **IDX** (MNIST: 28×28 grey digits, 60 000 for training and 10 000 for testing) is a header
# followed by raw numbers:
#
# | bytes | content |
# |---|---|
# | 0–1 | two zero bytes |
# | 2 | type code: `0x08` uint8, `0x09` int8, `0x0B` int16, `0x0C` int32, `0x0D` float32, `0x0E` float64 |
# | 3 | number of dimensions $d$ |
# | 4 … $4+4d$ | each dimension's size as a 4-byte unsigned integer |
# | then | the values, row-major |
#
# The first four bytes together are the **magic number**: `0x00000803` for MNIST images
# (uint8, 3 dimensions), `0x00000801` for labels. Every multi-byte number in the file is
# **big-endian**, most significant byte first — the opposite of the x86 and ARM processors
# you are likely using. Read the 4-byte size 60000 (`00 00 EA 60`) as little-endian and you get
# 1 625 948 160. `struct.unpack(">I", ...)` reads big-endian (`>`); a numpy dtype reads
# big-endian with `.newbyteorder(">")`. The files are often gzipped: a gzip file starts with
# the bytes `1f 8b`, which an IDX file never does, so the reader can tell by looking.
#
# A reader should **validate**: wrong first bytes (not an IDX file, or a gzip file read raw),
# an unknown type code, or a file whose length does not match its header should raise a
# `ValueError` saying which — not return garbage.

# %% nbgrader={"grade": false, "grade_id": "idx-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.int16, 0x0C: np.int32, 0x0D: np.float32, 0x0E: np.float64}
MNIST_HINT = ("Get the four files of the MNIST database (Y. LeCun, C. Cortes, C. J. C. Burges) from its home "
              "page or a mirror, raw or gzipped, and put them in that folder.")


def _read_bytes(path) -> bytes:
    """The file's bytes, decompressed when it is gzipped (it starts with 1f 8b)."""
    with open(path, "rb") as file:
        content = file.read()
    return gzip.decompress(content) if content[:2] == b"\x1f\x8b" else content


def read_idx(path):
    """Read an IDX file (raw or gzipped) into a numpy array of its shape, in native byte order.

    Raise ValueError with a clear message when: the file is shorter than its header; the first
    two bytes are not zero (not an IDX file: show the magic number in hex); the type code is
    not in IDX_DTYPES (name it in hex); the number of bytes after the header is not
    (product of the sizes) * (bytes per value).
    Hints: `struct.unpack(">I", content[:4])` gives the magic number, `content[2]` and
    `content[3]` the type code and d, `struct.unpack(f">{d}I", ...)` the sizes,
    `np.frombuffer(content, dtype, offset=...)` the values, `.astype(native dtype)` a
    writable copy in this machine's byte order.
    """
    content = _read_bytes(path)
    ### BEGIN SOLUTION
    if len(content) < 4:
        raise ValueError(f"{path}: {len(content)} bytes, too short for an IDX header")
    (magic,) = struct.unpack(">I", content[:4])
    if content[:2] != b"\x00\x00":
        raise ValueError(
            f"{path} is not an IDX file: its magic number is 0x{magic:08X}, but an IDX magic "
            "number starts with two zero bytes (0x0000TTDD: type code TT, DD dimensions)"
        )
    code, ndim = content[2], content[3]
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise ValueError(f"{path}: unknown IDX type code 0x{code:02X} (known codes: {known})")
    header_end = 4 + 4 * ndim
    if len(content) < header_end:
        raise ValueError(f"{path}: the header announces {ndim} dimensions but the file ends inside it")
    shape = struct.unpack(f">{ndim}I", content[4:header_end])
    dtype = np.dtype(IDX_DTYPES[code]).newbyteorder(">")
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(content) - header_end != expected:
        raise ValueError(
            f"{path}: the header promises shape {shape} of {dtype.name} ({expected} bytes) but "
            f"{len(content) - header_end} bytes follow it: the file is truncated or corrupt"
        )
    values = np.frombuffer(content, dtype=dtype, offset=header_end)
    return values.astype(IDX_DTYPES[code]).reshape(shape)
    ### END SOLUTION


def load_mnist(root=None, kind="train"):
    """MNIST from IDX files: (images uint8 (N, 28, 28), labels int64 (N,)).

    kind "train" reads train-images-idx3-ubyte and train-labels-idx1-ubyte, kind "t10k" the
    t10k-... files, each either raw or with ".gz" added, from `root` (default:
    data_root() / "mnist"). A missing file raises FileNotFoundError naming the expected file
    names, the folder, and MNIST_HINT.
    """
    if kind not in ("train", "t10k"):
        raise ValueError(f"kind must be 'train' or 't10k', got {kind!r}")
    folder = Path(root) if root is not None else data_root() / "mnist"
    arrays = []
    for part in ("images-idx3-ubyte", "labels-idx1-ubyte"):
        name = f"{kind}-{part}"
        found = [folder / n for n in (name, name + ".gz") if (folder / n).is_file()]
        if not found:
            raise FileNotFoundError(
                f"MNIST file {name} (or {name}.gz) not found in {folder}. Expected "
                f"{kind}-images-idx3-ubyte and {kind}-labels-idx1-ubyte there. {MNIST_HINT}"
            )
        arrays.append(read_idx(found[0]))
    images, labels = arrays
    if images.ndim != 3 or len(images) != len(labels):
        raise ValueError(f"MNIST {kind}: images of shape {images.shape} do not match {len(labels)} labels")
    return images, labels.astype(np.int64)

# %% [markdown]
# To test the reader without MNIST, a small writer makes IDX files (it is given: writing is
# the easy direction).

# %%
IDX_CODES = {np.dtype(v): k for k, v in IDX_DTYPES.items()}


def write_idx(path, array, compress=False):
    """Write `array` as an IDX file (gzipped when compress): big-endian header and values."""
    array = np.asarray(array)
    header = bytes([0, 0, IDX_CODES[array.dtype], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    content = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    with open(path, "wb") as file:
        file.write(gzip.compress(content) if compress else content)

# %% nbgrader={"grade": true, "grade_id": "idx-reader", "locked": true, "points": 3, "schema_version": 3, "solution": false}
with tempfile.TemporaryDirectory() as folder:
    folder = Path(folder)
    pictures = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(folder / "pictures.idx", pictures)
    with open(folder / "pictures.idx", "rb") as f:
        assert f.read(4) == b"\x00\x00\x08\x03", "the writer's magic number for 3-D uint8 data is 00 00 08 03"
    got = read_idx(folder / "pictures.idx")
    assert got.shape == (2, 3, 4), f"shape from the header should be (2, 3, 4), got {got.shape}: big-endian sizes?"
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, pictures)
    write_idx(folder / "pictures.idx.gz", pictures, compress=True)
    np.testing.assert_array_equal(read_idx(folder / "pictures.idx.gz"), pictures, err_msg="gzipped files are read too")
    (folder / "corrupt.idx").write_bytes(b"\x12\x34\x08\x01" + struct.pack(">I", 3) + b"abc")
    try:
        read_idx(folder / "corrupt.idx")
    except ValueError as error:
        print("corrupt magic number ->", error)
    else:
        raise AssertionError("a file whose magic number does not start with two zero bytes should raise ValueError")
    for kind in ("train", "t10k"):
        write_idx(folder / f"{kind}-images-idx3-ubyte", np.zeros((3, 28, 28), dtype=np.uint8))
        write_idx(folder / f"{kind}-labels-idx1-ubyte.gz", np.array([7, 2, 1], dtype=np.uint8), compress=True)
    mnist_images, mnist_labels = load_mnist(folder, kind="t10k")
    assert mnist_images.shape == (3, 28, 28) and list(mnist_labels) == [7, 2, 1]
with tempfile.TemporaryDirectory() as empty:
    try:
        load_mnist(empty)
    except FileNotFoundError as error:
        assert "train-images-idx3-ubyte" in str(error), f"the error should name the expected file: {error}"
    else:
        raise AssertionError("load_mnist on an empty folder should raise FileNotFoundError")
print("Step 6a passed: IDX files are read with big-endian headers, raw or gzipped, and validated.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(8006)
with tempfile.TemporaryDirectory() as folder:
    folder = Path(folder)
    for i, dtype in enumerate([np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64] * 2):
        shape = tuple(int(s) for s in rng.integers(1, 300, size=int(rng.integers(1, 4))))
        if np.prod(shape) > 20000:
            shape = shape[:1]
        if np.issubdtype(dtype, np.integer):
            info = np.iinfo(dtype)
            array = rng.integers(info.min, info.max, size=shape, endpoint=True).astype(dtype)
        else:
            array = rng.standard_normal(shape).astype(dtype)
        path = folder / f"a{i}.idx"
        write_idx(path, array, compress=bool(i % 2))
        got = read_idx(path)
        assert got.shape == array.shape and got.dtype == array.dtype, (got.shape, array.shape, got.dtype)
        assert got.dtype.isnative
        np.testing.assert_array_equal(got, array)
        got[...] = 0  # the result must be a writable array of its own
    good = (folder / "a0.idx").read_bytes()
    for name, content in [("bad-magic", b"\x00\x01" + good[2:]), ("bad-code", good[:2] + b"\x0a" + good[3:]),
                          ("truncated", good[:-1]), ("extra", good + b"\x00"), ("tiny", b"\x00\x00")]:
        (folder / name).write_bytes(content)
        try:
            read_idx(folder / name)
        except ValueError:
            pass
        else:
            raise AssertionError(f"{name}: read_idx should raise ValueError")
    (folder / "mn").mkdir()
    write_idx(folder / "mn" / "train-images-idx3-ubyte.gz", rng.integers(0, 256, size=(4, 28, 28)).astype(np.uint8), True)
    try:
        load_mnist(folder / "mn", kind="train")
    except FileNotFoundError as error:
        assert "train-labels-idx1-ubyte" in str(error)
    else:
        raise AssertionError("a missing labels file should raise FileNotFoundError")
### END HIDDEN TESTS

# %% [markdown]
# **CIFAR-10** (60 000 colour images of 32×32 pixels in 10 classes) comes, in its "python
# version", as six files written with Python's `pickle`: `data_batch_1` … `data_batch_5`
# (10 000 training images each) and `test_batch`. Each holds a dictionary with **bytes** keys
# (it was written by Python 2, so load it with `pickle.load(file, encoding="bytes")`):
# `b"data"`, a uint8 array of shape (10000, 3072), and `b"labels"`, a list of ints 0..9.
#
# Each row of 3072 bytes is **1024 red values, then 1024 green, then 1024 blue**, each plane
# a 32×32 image stored row by row. So the right reshape is `(N, 3, 32, 32)` — channels first,
# the layout module 09's convolutions use. Reshaping to `(N, 32, 32, 3)` instead gives the
# right shape for matplotlib but the wrong *meaning*: each "pixel" would then be three
# consecutive red values. (To display, reshape correctly and then `transpose(0, 2, 3, 1)`.)
#
# A word of caution: unpickling runs code the file asks for, so only unpickle files from a
# source you trust.

# %% nbgrader={"grade": false, "grade_id": "cifar-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
CIFAR10_HINT = ("Get the CIFAR-10 python version (cifar-10-python.tar.gz, A. Krizhevsky, from the CIFAR "
                "home page at the University of Toronto) and extract it: the folder cifar-10-batches-py "
                "holds these files.")


def read_cifar10_batch(path):
    """One CIFAR-10 python batch file -> (images uint8 (N, 3, 32, 32), labels int64 (N,)).

    The file is a pickled dict with bytes keys: b"data" (N, 3072) uint8 (all red values, then
    green, then blue, each 32 rows of 32) and b"labels" (N ints). Raise ValueError when a key
    is missing, when data is not (N, 3072), or when the counts of images and labels differ.
    """
    with open(path, "rb") as file:
        batch = pickle.load(file, encoding="bytes")
    ### BEGIN SOLUTION
    missing = [key for key in (b"data", b"labels") if key not in batch]
    if missing:
        raise ValueError(f"{path}: not a CIFAR-10 batch, keys {missing} missing (found {list(batch)})")
    data = np.asarray(batch[b"data"], dtype=np.uint8)
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise ValueError(f"{path}: b'data' should have shape (N, 3072), got {data.shape}")
    labels = np.asarray(batch[b"labels"], dtype=np.int64)
    if len(labels) != len(data):
        raise ValueError(f"{path}: {len(data)} images but {len(labels)} labels")
    return data.reshape(-1, 3, 32, 32), labels
    ### END SOLUTION


def load_cifar10(root=None, kind="train"):
    """CIFAR-10: kind "train" (data_batch_1..5, 50000 images) or "test" (test_batch).

    `root` is the extracted folder cifar-10-batches-py (default: data_root() /
    "cifar-10-batches-py"). A missing file raises FileNotFoundError naming the missing files,
    the folder, and CIFAR10_HINT. Returns (images uint8 (N, 3, 32, 32), labels int64 (N,)).
    """
    if kind not in ("train", "test"):
        raise ValueError(f"kind must be 'train' or 'test', got {kind!r}")
    folder = Path(root) if root is not None else data_root() / "cifar-10-batches-py"
    names = [f"data_batch_{i}" for i in range(1, 6)] if kind == "train" else ["test_batch"]
    missing = [name for name in names if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"CIFAR-10 files {', '.join(missing)} not found in {folder}. Expected "
            f"{', '.join(names)} there. {CIFAR10_HINT}"
        )
    parts = [read_cifar10_batch(folder / name) for name in names]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

# %% nbgrader={"grade": true, "grade_id": "cifar-reader", "locked": true, "points": 2, "schema_version": 3, "solution": false}
def write_cifar_batch(path, images_nchw, labels):
    """A CIFAR-10 style batch file made from (N, 3, 32, 32) uint8 images."""
    batch = {b"batch_label": b"test", b"labels": [int(k) for k in labels],
             b"data": images_nchw.reshape(len(images_nchw), -1), b"filenames": [b"x.png"] * len(labels)}
    with open(path, "wb") as file:
        pickle.dump(batch, file, protocol=2)


colours = np.zeros((2, 3, 32, 32), dtype=np.uint8)
colours[0, 0] = 255           # image 0: pure red
colours[1, 2, :16] = 200      # image 1: blue in the top half
with tempfile.TemporaryDirectory() as folder:
    write_cifar_batch(Path(folder) / "test_batch", colours, [3, 8])
    got_images, got_labels = read_cifar10_batch(Path(folder) / "test_batch")
    assert got_images.shape == (2, 3, 32, 32), f"CIFAR images are (N, 3, 32, 32) channels-first, got {got_images.shape}"
    assert got_images.dtype == np.uint8
    np.testing.assert_array_equal(got_images, colours, err_msg="red first, then green, then blue, each 32x32 row by row")
    assert got_labels.tolist() == [3, 8] and np.issubdtype(got_labels.dtype, np.integer)
    test_images, test_labels = load_cifar10(folder, kind="test")
    assert test_images.shape == (2, 3, 32, 32)
    try:
        load_cifar10(folder, kind="train")
    except FileNotFoundError as error:
        assert "data_batch_1" in str(error), f"the error should name the missing files: {error}"
    else:
        raise AssertionError("load_cifar10 without data_batch_* files should raise FileNotFoundError")
print("Step 6b passed: CIFAR-10 batches are read channels-first.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(8007)
with tempfile.TemporaryDirectory() as folder:
    folder = Path(folder)
    made = []
    for i in range(1, 6):
        n = int(rng.integers(1, 6))
        imgs = rng.integers(0, 256, size=(n, 3, 32, 32)).astype(np.uint8)
        labs = rng.integers(0, 10, size=n)
        write_cifar_batch(folder / f"data_batch_{i}", imgs, labs)
        made.append((imgs, labs))
    all_images, all_labels = load_cifar10(folder, kind="train")
    np.testing.assert_array_equal(all_images, np.concatenate([m[0] for m in made]))
    np.testing.assert_array_equal(all_labels, np.concatenate([m[1] for m in made]))
    one, _ = read_cifar10_batch(folder / "data_batch_2")
    np.testing.assert_array_equal(one[:, 1], made[1][0][:, 1])
    with open(folder / "bad", "wb") as f:
        pickle.dump({b"data": np.zeros((2, 100), dtype=np.uint8), b"labels": [0, 1]}, f)
    with open(folder / "nolabels", "wb") as f:
        pickle.dump({b"data": np.zeros((2, 3072), dtype=np.uint8)}, f)
    with open(folder / "mismatch", "wb") as f:
        pickle.dump({b"data": np.zeros((2, 3072), dtype=np.uint8), b"labels": [0]}, f)
    for name in ("bad", "nolabels", "mismatch"):
        try:
            read_cifar10_batch(folder / name)
        except ValueError:
            pass
        else:
            raise AssertionError(f"{name}: ValueError expected")
    try:
        load_cifar10(folder, kind="test")
    except FileNotFoundError as error:
        assert "test_batch" in str(error)
    else:
        raise AssertionError("missing test_batch: FileNotFoundError expected")
### END HIDDEN TESTS

# %% [markdown]
# ## Systems view — what a batch costs, and what a dataset weighs
#
# **Throughput.** The cell below times one full epoch over the 1797 digits (as float32
# vectors) for three datasets that hold the same data: a `TensorDataset` (fast path: one
# gather per array per batch), the same `TensorDataset` with an identity transform (which
# forces the general path), and a hand-written `Dataset` subclass (general path). It reports
# samples per second, the best of several runs because the machine is shared and timings are
# noisy.

# %%
class ArrayDataset(Dataset):
    """The same data as a TensorDataset, served one example at a time."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, index):
        return self.x[index], self.y[index]


def samples_per_second(loader, repeats=5):
    """Best-of-`repeats` throughput of one full epoch, in samples per second."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        count = sum(len(batch[0]) for batch in loader)
        best = min(best, time.perf_counter() - start)
    return count / best


digit_vectors = images.reshape(len(images), -1).astype(np.float32)
datasets = {
    "TensorDataset (vectorized gather)": TensorDataset(digit_vectors, labels),
    "TensorDataset + transform (stacking)": TensorDataset(digit_vectors, labels, transform=lambda v: v),
    "Dataset subclass (stacking)": ArrayDataset(digit_vectors, labels),
}
batch_sizes = [1, 8, 64, 256]
throughput = {name: [samples_per_second(DataLoader(ds, batch_size=b)) for b in batch_sizes] for name, ds in datasets.items()}
for name, rates in throughput.items():
    print(f"{name:38s}", "  ".join(f"b={b:<3d} {r / 1e3:8.1f}k/s" for b, r in zip(batch_sizes, rates)))
fast, slow = throughput["TensorDataset (vectorized gather)"][2], throughput["Dataset subclass (stacking)"][2]
print(f"at batch size 64 the vectorized path is {fast / slow:.1f}x faster (best of 5 epochs each)")

plt.figure(figsize=(5.5, 3.3))
for name, rates in throughput.items():
    plt.plot(batch_sizes, rates, "o-", label=name)
plt.xscale("log")
plt.yscale("log")
plt.xlabel("batch size")
plt.ylabel("samples per second")
plt.title("Loader throughput, one epoch of 1797 digits")
plt.legend(fontsize=7)
plt.tight_layout()
plt.show()

# %% [markdown]
# Read the picture from the left. At batch size 1 the paths are within a few times of each
# other: every batch, whatever its size, pays a fixed overhead (a turn of the Python loop, an
# index array, two new `Tensor` objects), and with one sample per batch that overhead is most
# of the cost. As the batch grows, the vectorized path's cost per sample keeps falling — one `array[indices]` copies
# 64 rows in one C loop — while the stacking paths flatten out: each sample still pays a
# Python call to `__getitem__`, a tuple, and a trip through `np.stack`'s list. That per-sample
# Python cost (on the order of a microsecond) is the floor, and it is why real frameworks run
# per-sample loading in worker processes alongside the training step, while in-memory arrays
# are gathered in bulk.
#
# **Memory.** The digits are stored as uint8 (counts 0..16 fit in a byte). A model wants
# float32, four times the bytes; float64 would be eight. Below are the digits measured, and
# MNIST and CIFAR-10 computed from their shapes:

# %%
print(f"{'dataset':32s} {'uint8':>10s} {'float32':>10s} {'float64':>10s}")
print(f"{'digits (1797x8x8), measured':32s} {images.nbytes / 1e6:9.3f}M {images.astype(np.float32).nbytes / 1e6:9.3f}M "
      f"{images.astype(np.float64).nbytes / 1e6:9.3f}M")
for name, shape in [("MNIST train (60000x28x28)", (60000, 28, 28)),
                    ("CIFAR-10 train (50000x3x32x32)", (50000, 3, 32, 32))]:
    values = int(np.prod(shape))
    print(f"{name:32s} {values / 1e6:9.1f}M {values * 4 / 1e6:9.1f}M {values * 8 / 1e6:9.1f}M")

# %% [markdown]
# CIFAR-10's training set is 154 MB as bytes and 614 MB as float32. Keeping data as uint8 in
# memory and converting **per batch** (or in a transform) costs a little compute each epoch
# and saves three quarters of the memory; converting once up front is faster per epoch but
# needs the bigger footprint. For the digits, 0.1 MB either way, convert once.
#
# ## Step 7 — Gradients flow through loaded data
#
# The loader sits in front of the model, so it cannot change a gradient — unless it hands the
# model something that is not a Tensor, changes the dtype (a float64 gradient check fed float32
# data loses its precision), or pairs inputs with the wrong labels. The next test checks the
# whole path: batches from your loader → `Sequential(Linear, ReLU, Linear)` → `CrossEntropyLoss`
# → `backward()`, and every parameter's gradient against central differences in float64.
#
# It also checks a fact worth knowing: with a **mean** loss, the gradient of one batch equals
# the average of the per-example gradients,
# $\nabla_\theta \frac{1}{b}\sum_i \ell_i = \frac{1}{b}\sum_i \nabla_\theta \ell_i$ —
# batching is a way of computing that average in one pass, not an approximation.

# %%
def float64_mlp(sizes, seed):
    """Sequential(Linear, ReLU, ..., Linear) with float64 parameters drawn from a seeded generator."""
    rng = np.random.default_rng(seed)
    layers = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        layer = Linear(n_in, n_out)
        layer.weight = Tensor(rng.standard_normal((n_in, n_out)) / np.sqrt(n_in), requires_grad=True)
        layer.bias = Tensor(rng.standard_normal(n_out) * 0.1, requires_grad=True)
        layers += [layer, ReLU()]
    return Sequential(*layers[:-1])


def parameter_gradients(model, inputs, targets):
    """The gradients of CrossEntropyLoss(model(inputs), targets), one copy per parameter."""
    for p in model.parameters():
        p.grad = None
    CrossEntropyLoss()(model(inputs), targets).backward()
    return [p.grad.copy() for p in model.parameters()]

# %% nbgrader={"grade": true, "grade_id": "loader-gradient-flow", "locked": true, "points": 3, "schema_version": 3, "solution": false}
rng = np.random.default_rng(80)
features = rng.standard_normal((12, 5))            # float64, for central differences
classes = rng.integers(0, 3, size=12)
model = float64_mlp([5, 7, 3], seed=1)
batch_inputs, batch_targets = next(iter(DataLoader(TensorDataset(features, classes), batch_size=6, shuffle=True, seed=2)))
assert batch_inputs.dtype == np.float64, "the loader must keep float64 data float64"
check_model_gradients(model, lambda: CrossEntropyLoss()(model(batch_inputs), batch_targets))
assert all(np.any(p.grad != 0) for p in model.parameters()), "every parameter gets a non-zero gradient"
whole = parameter_gradients(model, *next(iter(DataLoader(TensorDataset(features, classes), batch_size=12))))
singles = [parameter_gradients(model, x1, y1) for x1, y1 in DataLoader(TensorDataset(features, classes), batch_size=1)]
for position, grad in enumerate(whole):
    np.testing.assert_allclose(grad, np.mean([s[position] for s in singles], axis=0), rtol=1e-9, atol=1e-12,
                               err_msg="the batch gradient of a mean loss is the average of per-example gradients")
print("Step 7 passed: gradients flow from the loss through the model, whatever the loader fed it.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(8008)
for trial in range(3):
    n, d, c = int(rng.integers(6, 15)), int(rng.integers(2, 6)), int(rng.integers(2, 5))
    features = rng.standard_normal((n, d))
    classes = rng.integers(0, c, size=n)
    net = float64_mlp([d, 6, 5, c], seed=int(rng.integers(1000)))

    class Generated(Dataset):
        def __len__(self):
            return n

        def __getitem__(self, i):
            return features[i], classes[i]

    for source in (TensorDataset(features, classes), Generated()):
        b = int(rng.integers(2, n + 1))
        xb, yb = next(iter(DataLoader(source, batch_size=b, shuffle=True, seed=trial)))
        assert xb.dtype == np.float64 and xb.shape == (b, d)
        xb.requires_grad = True
        check_model_gradients(net, lambda: CrossEntropyLoss()(net(xb), yb), inputs={"batch": xb})
        whole = parameter_gradients(net, xb, yb)
        singles = [parameter_gradients(net, x1, y1) for x1, y1 in DataLoader(TensorDataset(xb.data, yb.data), batch_size=1)]
        for position, grad in enumerate(whole):
            np.testing.assert_allclose(grad, np.mean([s[position] for s in singles], axis=0), rtol=1e-9, atol=1e-12)
### END HIDDEN TESTS

# %% [markdown]
# ## Putting it together — learning to read digits
#
# The module's integration test: load the shipped digits, scale them to $[0, 1]$, split off
# 20% for testing, and train a two-layer network from module 03 with your `DataLoader`
# (batches of 32, reshuffled every epoch) and plain gradient descent. The test accuracy —
# on digits the model never trained on — must reach 90%. The cell prints how long training
# took: a fraction of a second for a dozen epochs, because every batch is a handful of small
# matrix products and the loader's gather is nearly free.

# %% nbgrader={"grade": true, "grade_id": "dataloader-integration", "locked": true, "points": 4, "schema_version": 3, "solution": false}
def train_digit_classifier(seed, epochs=12, learning_rate=0.2, hidden=64):
    """Train Linear-ReLU-Linear on the shipped digits with your loader; return (test accuracy, losses)."""
    images, labels = load_digits()
    vectors = images.reshape(len(images), -1).astype(np.float32) / 16.0
    x_train, x_test, y_train, y_test = train_test_split(vectors, labels, test_fraction=0.2, seed=seed)
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=32, shuffle=True, seed=seed)
    np.random.seed(seed)  # Linear draws its initial weights from np.random
    model = Sequential(Linear(64, hidden, init="he"), ReLU(), Linear(hidden, 10))
    loss_fn = CrossEntropyLoss()
    epoch_losses = []
    for _ in range(epochs):
        total, seen = 0.0, 0
        for batch_inputs, batch_labels in loader:
            for p in model.parameters():
                p.grad = None
            loss = loss_fn(model(batch_inputs), batch_labels)
            loss.backward()
            with no_grad():
                for p in model.parameters():
                    p.data -= learning_rate * p.grad
            total, seen = total + loss.item() * len(batch_labels), seen + len(batch_labels)
        assert seen == len(x_train), f"one epoch should visit all {len(x_train)} training digits, visited {seen}"
        epoch_losses.append(total / seen)
    with no_grad():
        predictions = model(Tensor(x_test)).data.argmax(axis=1)
    return float(np.mean(predictions == y_test)), epoch_losses


start = time.perf_counter()
accuracy, epoch_losses = train_digit_classifier(seed=0)
print(f"mean training loss by epoch: {' '.join(f'{v:.3f}' for v in epoch_losses)}")
print(f"test accuracy {accuracy:.3f} after {len(epoch_losses)} epochs ({time.perf_counter() - start:.1f} s)")
assert accuracy >= 0.9, f"test accuracy should reach 0.9, got {accuracy:.3f}"
### BEGIN HIDDEN TESTS
hidden_accuracy, hidden_losses = train_digit_classifier(seed=8009, epochs=10)
assert hidden_accuracy >= 0.9, hidden_accuracy
assert hidden_losses[-1] < 0.5 * hidden_losses[0], hidden_losses
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# - A **`Dataset`** is a length and an indexing rule; **`TensorDataset`** serves rows of
#   arrays that share their first dimension, with an optional transform of the input.
# - A **`DataLoader`** cuts each epoch into batches of Tensors that keep their dtypes —
#   $\lceil N/b \rceil$ of them, or $\lfloor N/b \rfloor$ with `drop_last` — and with
#   `shuffle=True` draws a **new permutation every epoch** from one generator made from the
#   seed: every example once per epoch, a fresh order, and a reproducible run.
# - **Transforms** (`Normalize`, `Flatten`, `Compose`) prepare inputs; **augmentation**
#   (`RandomShift`) makes new training examples from old ones.
# - **Readers** for MNIST's big-endian IDX files and CIFAR-10's channels-first pickles, which
#   validate what they read and say where to put missing files; and one real data set, the
#   handwritten digits, shipped with the course.
# - You measured that gathering a batch with one vectorized index beats building it one
#   example at a time, and that the dtype you store data in sets its memory footprint.
#
# **Next:** module 09 replaces `Flatten` + `Linear` with convolutions, which keep the
# picture's 2-D structure — and the `(N, C, H, W)` batches this loader produces are exactly
# what they expect.
