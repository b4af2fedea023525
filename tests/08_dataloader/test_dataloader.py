"""Module 08: datasets, the loader's batching and shuffling, and the transforms."""
import numpy as np
import pytest

from tinytorch.core.dataloader import (
    Compose, DataLoader, Dataset, Flatten, Normalize, RandomShift, TensorDataset, shift_image,
)
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.tensor import Tensor

RNG = np.random.default_rng(800)


class Listed(Dataset):
    """A general dataset: examples served one at a time from Python lists."""

    def __init__(self, x, y):
        self.x, self.y = list(x), list(y)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, index):
        return self.x[index], self.y[index]


def epoch_labels(loader):
    return np.concatenate([batch[-1].data for batch in loader])


def test_dataset_base_class_says_what_to_implement():
    with pytest.raises(NotImplementedError, match="__len__"):
        len(Dataset())
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]


def test_tensor_dataset_indexes_rows_and_transforms_only_the_input():
    x, y = RNG.standard_normal((6, 2)), np.arange(6)
    data = TensorDataset(Tensor(x), y, transform=lambda v: -v)
    assert len(data) == 6 and isinstance(data.arrays[0], np.ndarray)
    got_x, got_y = data[-1]
    np.testing.assert_array_equal(got_x, -x[-1])
    assert got_y == 5


@pytest.mark.parametrize("arrays", [(np.zeros(5), np.zeros(4)), (np.zeros((3, 2)), np.zeros(3), np.zeros(7))])
def test_tensor_dataset_rejects_different_lengths_naming_them(arrays):
    with pytest.raises(ValueError) as error:
        TensorDataset(*arrays)
    for array in arrays:
        assert str(len(array)) in str(error.value)


def test_tensor_dataset_needs_an_array():
    with pytest.raises(ValueError):
        TensorDataset()


@pytest.mark.parametrize("n,b,drop", [(10, 3, False), (10, 3, True), (9, 3, False), (9, 3, True), (2, 5, False),
                                      (2, 5, True), (1, 1, False), (64, 64, True)])
def test_len_and_batch_shapes(n, b, drop):
    x = RNG.standard_normal((n, 4)).astype(np.float32)
    loader = DataLoader(TensorDataset(x, np.arange(n)), batch_size=b, drop_last=drop)
    expected = n // b if drop else -(-n // b)
    batches = list(loader)
    assert len(loader) == len(batches) == expected
    sizes = [batch[0].shape[0] for batch in batches]
    assert sum(sizes) == (n - n % b if drop else n)
    assert all(size == b for size in sizes[:-1])
    if drop:
        assert all(size == b for size in sizes)


def test_batches_are_tensors_that_keep_dtypes():
    x = np.zeros((5, 3), dtype=np.float32)
    y = np.arange(5, dtype=np.int64)
    weights = np.ones(5, dtype=np.float64)
    batch = next(iter(DataLoader(TensorDataset(x, y, weights), batch_size=4)))
    assert all(isinstance(t, Tensor) for t in batch)
    assert [t.dtype for t in batch] == [np.float32, np.int64, np.float64]


def test_integer_label_tensors_work_with_cross_entropy():
    logits = np.log(np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], dtype=np.float32))
    _, labels = next(iter(DataLoader(TensorDataset(logits, np.array([0, 2])), batch_size=2)))
    loss = CrossEntropyLoss()(Tensor(logits), labels)
    np.testing.assert_allclose(loss.item(), -np.mean(np.log([0.7, 0.8])), rtol=1e-6)


def test_without_shuffle_the_order_is_the_dataset_order():
    y = RNG.integers(0, 9, size=23)
    np.testing.assert_array_equal(epoch_labels(DataLoader(TensorDataset(np.zeros((23, 1)), y), batch_size=4)), y)


@pytest.mark.parametrize("seed", [0, 1, 12345])
def test_shuffle_visits_every_example_once_with_a_new_order_each_epoch(seed):
    n = 50
    loader = DataLoader(TensorDataset(np.arange(n)[:, None] * 2.0, np.arange(n)), batch_size=7, shuffle=True, seed=seed)
    epochs = [epoch_labels(loader) for _ in range(5)]
    for labels in epochs:
        np.testing.assert_array_equal(np.sort(labels), np.arange(n))
    assert len({tuple(e) for e in epochs}) == 5
    for x, y in loader:
        np.testing.assert_array_equal(x.data[:, 0], y.data * 2.0)


def test_shuffled_epochs_are_reproducible_from_the_seed():
    def run(seed):
        loader = DataLoader(TensorDataset(np.zeros((30, 1)), np.arange(30)), batch_size=4, shuffle=True, seed=seed)
        return [epoch_labels(loader) for _ in range(3)]

    for a, b in zip(run(7), run(7)):
        np.testing.assert_array_equal(a, b)
    assert not all(np.array_equal(a, b) for a, b in zip(run(7), run(8)))


def test_shuffle_with_drop_last_uses_distinct_examples():
    loader = DataLoader(TensorDataset(np.zeros((17, 1)), np.arange(17)), batch_size=5, shuffle=True, drop_last=True, seed=0)
    labels = epoch_labels(loader)
    assert len(labels) == 15 and len(np.unique(labels)) == 15


def test_general_and_transformed_paths_match_the_vectorized_path():
    x = RNG.standard_normal((13, 2, 2))
    y = RNG.integers(0, 3, size=13)
    reference = list(DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True, seed=5))
    for other in (Listed(x, y), TensorDataset(x, y, transform=lambda v: v)):
        got = list(DataLoader(other, batch_size=4, shuffle=True, seed=5))
        assert len(got) == len(reference)
        for mine, ref in zip(got, reference):
            for a, b in zip(mine, ref):
                assert a.dtype == b.dtype
                np.testing.assert_array_equal(a.data, b.data)


def test_general_dataset_returning_tensors_is_stacked():
    class TensorExamples(Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return Tensor(np.full(2, float(i))), i

    x, y = next(iter(DataLoader(TensorExamples(), batch_size=3)))
    np.testing.assert_array_equal(x.data, [[0, 0], [1, 1], [2, 2]])
    np.testing.assert_array_equal(y.data, [0, 1, 2])


@pytest.mark.parametrize("batch_size", [0, -2, 1.5])
def test_batch_size_must_be_a_positive_integer(batch_size):
    with pytest.raises(ValueError):
        DataLoader(TensorDataset(np.zeros(3)), batch_size=batch_size)


def test_normalize_flatten_compose():
    x = RNG.standard_normal((3, 4)) * 5 + 2
    out = Compose([Normalize(x.mean(), x.std()), Flatten()])(x)
    assert out.dtype == np.float32 and out.shape == (12,)
    np.testing.assert_allclose(out.mean(), 0.0, atol=1e-5)
    np.testing.assert_allclose(out.std(), 1.0, rtol=1e-5)
    per_column = Normalize([0, 1, 2, 3], [1, 2, 4, 8])(np.ones((2, 4)))
    np.testing.assert_allclose(per_column[0], [1, 0, -0.25, -0.25])


@pytest.mark.parametrize("dy,dx", [(0, 0), (1, 0), (0, -2), (-3, 2), (7, 7), (8, 0)])
def test_shift_image_matches_a_pixel_by_pixel_shift(dy, dx):
    image = RNG.integers(0, 17, size=(3, 8, 8)).astype(np.uint8)
    got = shift_image(image, dy, dx)
    assert got.dtype == np.uint8 and got.shape == image.shape
    for r in range(8):
        for c in range(8):
            inside = 0 <= r - dy < 8 and 0 <= c - dx < 8
            np.testing.assert_array_equal(got[:, r, c], image[:, r - dy, c - dx] if inside else 0)


def test_random_shift_is_seeded_bounded_and_varied():
    image = RNG.standard_normal((6, 6))
    first, second = RandomShift(2, seed=3), RandomShift(2, seed=3)
    allowed = {shift_image(image, a, b).tobytes(): (a, b) for a in range(-2, 3) for b in range(-2, 3)}
    used = set()
    for _ in range(60):
        out = first(image)
        np.testing.assert_array_equal(out, second(image))
        assert out.tobytes() in allowed
        used.add(allowed[out.tobytes()])
    assert len(used) > 10


def test_augmentation_gives_each_epoch_new_inputs():
    images = RNG.integers(1, 17, size=(4, 8, 8)).astype(np.float32)
    loader = DataLoader(TensorDataset(images, np.arange(4), transform=RandomShift(1, seed=0)), batch_size=4)
    first, second = next(iter(loader))[0].data, next(iter(loader))[0].data
    assert first.shape == (4, 8, 8) and not np.array_equal(first, second)
