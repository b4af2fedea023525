"""Module 08: the file readers on small files the tests write, and the shipped digits."""
import gzip
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest

import tinytorch
from tinytorch.core.dataloader import (
    data_root, load_cifar10, load_digits, load_mnist, read_cifar10_batch, read_idx, train_test_split,
)

PROJECT_ROOT = Path(tinytorch.__file__).resolve().parent.parent
DIGITS = PROJECT_ROOT / "data" / "digits"
CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E}


def idx_bytes(array):
    """IDX encoding written independently of the notebook's writer."""
    code = CODES[array.dtype.type]
    header = struct.pack(">BBBB", 0, 0, code, array.ndim) + b"".join(struct.pack(">I", s) for s in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


@pytest.mark.parametrize("dtype", list(CODES))
@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_round_trips_every_type(tmp_path, dtype, compress):
    rng = np.random.default_rng(801)
    array = (rng.standard_normal((3, 5, 2)) * 50).astype(dtype)
    content = idx_bytes(array)
    path = tmp_path / ("a.idx.gz" if compress else "a.idx")
    path.write_bytes(gzip.compress(content) if compress else content)
    got = read_idx(path)
    assert got.dtype == np.dtype(dtype) and got.dtype.isnative and got.flags.writeable
    np.testing.assert_array_equal(got, array)


def test_read_idx_reads_sizes_big_endian(tmp_path):
    labels = np.zeros(300, dtype=np.uint8)  # 300 > 255: the size needs two bytes
    (tmp_path / "labels").write_bytes(idx_bytes(labels))
    assert read_idx(tmp_path / "labels").shape == (300,)


@pytest.mark.parametrize("content,message", [
    (b"\x08\x03\x00\x00" + b"\x00" * 12, "magic number"),
    (b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"\x00", "type code"),
    (b"\x00\x00\x08\x01" + struct.pack(">I", 4) + b"\x00\x00", "truncated"),
    (b"\x00\x00\x08\x02" + struct.pack(">I", 4), "ends inside"),
    (b"\x00", "too short"),
])
def test_read_idx_rejects_corrupt_files_clearly(tmp_path, content, message):
    (tmp_path / "bad").write_bytes(content)
    with pytest.raises(ValueError, match=message):
        read_idx(tmp_path / "bad")


def test_load_mnist_reads_raw_and_gzipped_files(tmp_path):
    images = np.random.default_rng(802).integers(0, 256, size=(4, 28, 28)).astype(np.uint8)
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(idx_bytes(images))
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.array([1, 2, 3, 4], np.uint8))))
    got_images, got_labels = load_mnist(tmp_path, kind="t10k")
    np.testing.assert_array_equal(got_images, images)
    assert got_labels.dtype == np.int64 and got_labels.tolist() == [1, 2, 3, 4]


def test_load_mnist_names_the_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        load_mnist(tmp_path, kind="train")
    assert "train-images-idx3-ubyte" in str(error.value) and str(tmp_path) in str(error.value)
    with pytest.raises(ValueError):
        load_mnist(tmp_path, kind="test")


def write_cifar(path, images, labels):
    with open(path, "wb") as f:
        pickle.dump({b"data": images.reshape(len(images), -1), b"labels": list(map(int, labels))}, f, protocol=2)


def test_read_cifar10_batch_is_channels_first(tmp_path):
    images = np.random.default_rng(803).integers(0, 256, size=(3, 3, 32, 32)).astype(np.uint8)
    write_cifar(tmp_path / "test_batch", images, [0, 9, 4])
    got, labels = read_cifar10_batch(tmp_path / "test_batch")
    assert got.shape == (3, 3, 32, 32) and got.dtype == np.uint8
    np.testing.assert_array_equal(got, images)
    # the red plane is the first 1024 bytes of each row
    np.testing.assert_array_equal(got[:, 0].reshape(3, -1), images.reshape(3, -1)[:, :1024])
    assert labels.dtype == np.int64 and labels.tolist() == [0, 9, 4]


def test_load_cifar10_concatenates_the_five_training_batches(tmp_path):
    for i in range(1, 6):
        write_cifar(tmp_path / f"data_batch_{i}", np.full((2, 3, 32, 32), i, np.uint8), [i, i])
    images, labels = load_cifar10(tmp_path, kind="train")
    assert images.shape == (10, 3, 32, 32) and labels.tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    with pytest.raises(FileNotFoundError, match="test_batch"):
        load_cifar10(tmp_path, kind="test")


@pytest.mark.parametrize("batch", [{b"data": np.zeros((2, 10), np.uint8), b"labels": [0, 1]},
                                   {b"labels": [0]},
                                   {b"data": np.zeros((2, 3072), np.uint8), b"labels": [0]}])
def test_read_cifar10_batch_rejects_malformed_batches(tmp_path, batch):
    with open(tmp_path / "bad", "wb") as f:
        pickle.dump(batch, f)
    with pytest.raises(ValueError):
        read_cifar10_batch(tmp_path / "bad")


def test_the_shipped_digits():
    images, labels = load_digits()
    assert images.shape == (1797, 8, 8) and images.dtype == np.uint8
    assert labels.shape == (1797,) and labels.dtype == np.int64
    assert images.min() == 0 and images.max() == 16
    assert np.bincount(labels).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_the_digits_ship_with_their_provenance():
    readme = (DIGITS / "README.md").read_text(encoding="utf-8")
    for fact in ("Alpaydin", "Kaynak", "CC BY 4.0", "BSD 3-Clause", "test set", "scikit-learn", "1797"):
        assert fact in readme, f"data/digits/README.md should state: {fact}"
    assert (DIGITS / "convert.py").is_file()


def test_default_data_root_is_beside_the_package(monkeypatch):
    monkeypatch.delenv("TINYTORCH_DATA", raising=False)
    assert data_root() == PROJECT_ROOT / "data"
    monkeypatch.setenv("TINYTORCH_DATA", "/somewhere/else")
    assert data_root() == Path("/somewhere/else")
    assert data_root("/explicit") == Path("/explicit")


def test_missing_digits_say_where_to_put_them(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYTORCH_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError) as error:
        load_digits()
    assert str(tmp_path / "digits" / "digits.npz") in str(error.value)


def test_train_test_split_is_a_seeded_partition_that_keeps_pairs():
    x, y = np.arange(50) * 10, np.arange(50)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_fraction=0.3, seed=4)
    assert len(x_test) == 15 and len(x_train) == 35
    np.testing.assert_array_equal(x_test, y_test * 10)
    np.testing.assert_array_equal(np.sort(np.concatenate([y_train, y_test])), y)
    np.testing.assert_array_equal(train_test_split(x, y, 0.3, seed=4)[1], x_test)
    with pytest.raises(ValueError):
        train_test_split(x, y[:-1])
    with pytest.raises(ValueError):
        train_test_split(x, y, test_fraction=0)
