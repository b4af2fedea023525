# Generated from modules/08_dataloader/08_dataloader.py by `make build`: do not edit.
# Change the module source and run `make build` again.

import gzip
import os
import pickle
import struct
from pathlib import Path

import numpy as np

import tinytorch.core.autograd  # noqa: F401  (switches gradients on; also binds `tinytorch`)
from tinytorch.core.tensor import Tensor


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
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        self.arrays = tuple(_as_array(array) for array in arrays)
        lengths = [len(array) for array in self.arrays]
        if len(set(lengths)) != 1:
            raise ValueError(
                f"TensorDataset: arrays of different lengths {lengths}: example i is row i of "
                "every array, so they must all have the same first dimension"
            )
        self.transform = transform

    def __len__(self):
        """The number of examples: the common first dimension."""
        return len(self.arrays[0])

    def __getitem__(self, index):
        """Example `index` as a tuple with one entry per array: `(arrays[0][index], ...)`.

        Apply `self.transform` (when it is not None) to the first entry only.
        """
        sample = tuple(array[index] for array in self.arrays)
        if self.transform is not None:
            sample = (self.transform(sample[0]),) + sample[1:]
        return sample


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
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = seed
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        """The number of batches in one epoch: floor(N / b) with drop_last, ceil(N / b) without."""
        count = len(self.dataset)
        if self.drop_last:
            return count // self.batch_size
        return (count + self.batch_size - 1) // self.batch_size

    def _epoch_order(self):
        """The order in which this epoch visits the examples, an int array of length N.

        Without shuffle: 0, 1, ..., N-1. With shuffle: a new permutation from `self.rng`.
        (Step 3.)
        """
        count = len(self.dataset)
        if not self.shuffle:
            return np.arange(count)
        return self.rng.permutation(count)

    def _fetch(self, indices):
        """The examples at `indices` (an int array) as a tuple of numpy arrays, one per entry.

        Fast path: a TensorDataset without transform -> `array[indices]` for each of its arrays.
        General path: read `self.dataset[i]` for each index and `np.stack` the k-th entries of
        all examples, for every k. (`_as_array` turns an entry that is a Tensor into numpy.)
        """
        dataset = self.dataset
        if isinstance(dataset, TensorDataset) and dataset.transform is None:
            return tuple(array[indices] for array in dataset.arrays)
        examples = [dataset[int(i)] for i in indices]
        return tuple(
            np.stack([_as_array(example[k]) for example in examples])
            for k in range(len(examples[0]))
        )

    def __iter__(self):
        """One epoch: yield batches of `batch_size` examples in the order of `_epoch_order()`.

        Keep the last, smaller batch unless `drop_last`. Yield each batch as a tuple of
        Tensors that keep the arrays' dtypes: `Tensor(array, dtype=array.dtype)`.
        """
        order = self._epoch_order()
        count = len(order)
        stop = count - count % self.batch_size if self.drop_last else count
        for start in range(0, stop, self.batch_size):
            arrays = self._fetch(order[start:start + self.batch_size])
            yield tuple(Tensor(array, dtype=array.dtype) for array in arrays)

    def __repr__(self):
        return (f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, batch_size="
                f"{self.batch_size}, shuffle={self.shuffle}, drop_last={self.drop_last})")


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
    path = data_root(root) / "digits" / "digits.npz"
    if not path.is_file():
        raise FileNotFoundError(
            f"digits data not found at {path}. Put digits.npz (from the course repository's "
            f"data/digits/) at exactly that path, or set TINYTORCH_DATA to a folder that holds "
            "digits/digits.npz."
        )
    with np.load(path) as archive:
        return archive["images"], archive["labels"]


def train_test_split(x, y, test_fraction=0.2, seed=0):
    """Shuffle (x, y) pairs with one seeded permutation; return x_train, x_test, y_train, y_test.

    The test set is the first round(N * test_fraction) shuffled examples, the training set the
    rest. `test_fraction` must be strictly between 0 and 1 (ValueError otherwise), and x and y
    must have the same length (ValueError naming both).
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    if len(x) != len(y):
        raise ValueError(f"train_test_split: x has {len(x)} examples but y has {len(y)}")
    order = np.random.default_rng(seed).permutation(len(x))
    test_count = int(round(len(x) * test_fraction))
    test, train = order[:test_count], order[test_count:]
    return x[train], x[test], y[train], y[test]


class Compose:
    """Apply several transforms in order: Compose([a, b])(x) == b(a(x))."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, x):
        for transform in self.transforms:
            x = transform(x)
        return x


class Normalize:
    """(x - mean) / std as float32; mean and std are numbers or arrays that broadcast with x."""

    def __init__(self, mean, std):
        self.mean = np.asarray(mean, dtype=np.float32)
        self.std = np.asarray(std, dtype=np.float32)

    def __call__(self, x):
        return (np.asarray(x, dtype=np.float32) - self.mean) / self.std


class Flatten:
    """One example's array as a vector: shape (8, 8) -> (64,)."""

    def __call__(self, x):
        return np.reshape(x, -1)


def shift_image(image, dy, dx):
    """Move `image` by dy rows (down when positive) and dx columns (right when positive).

    Works on the last two axes, so an (H, W) image and a (C, H, W) image both work. Pixels
    that come in from outside are 0; the result has the input's shape and dtype.
    Hint: `out = np.zeros_like(image)`, then one assignment
    `out[..., rows_to, cols_to] = image[..., rows_from, cols_from]` with slices such as
    `slice(max(dy, 0), height + min(dy, 0))`.
    """
    height, width = image.shape[-2:]
    out = np.zeros_like(image)
    rows_to = slice(max(dy, 0), height + min(dy, 0))
    rows_from = slice(max(-dy, 0), height + min(-dy, 0))
    cols_to = slice(max(dx, 0), width + min(dx, 0))
    cols_from = slice(max(-dx, 0), width + min(-dx, 0))
    out[..., rows_to, cols_to] = image[..., rows_from, cols_from]
    return out


class RandomShift:
    """Augmentation: shift an image by random (dy, dx), each uniform in -max_shift..max_shift."""

    def __init__(self, max_shift=1, seed=None):
        self.max_shift = int(max_shift)
        self.rng = np.random.default_rng(seed)

    def __call__(self, image):
        """Draw dy and dx from self.rng (`integers(-k, k + 1)`) and return shift_image(...)."""
        dy, dx = (int(v) for v in self.rng.integers(-self.max_shift, self.max_shift + 1, size=2))
        return shift_image(image, dy, dx)


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
