"""Module 08: data that comes through the loader keeps gradients flowing and correct."""
import numpy as np
import pytest

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import check_model_gradients
from tinytorch.core.activations import ReLU
from tinytorch.core.dataloader import DataLoader, Dataset, TensorDataset
from tinytorch.core.layers import Linear, Sequential
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.tensor import Tensor


def float64_mlp(sizes, seed):
    rng = np.random.default_rng(seed)
    layers = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        layer = Linear(n_in, n_out)
        layer.weight = Tensor(rng.standard_normal((n_in, n_out)) / np.sqrt(n_in), requires_grad=True)
        layer.bias = Tensor(rng.standard_normal(n_out) * 0.1, requires_grad=True)
        layers += [layer, ReLU()]
    return Sequential(*layers[:-1])


def gradients(model, x, y):
    for p in model.parameters():
        p.grad = None
    CrossEntropyLoss()(model(x), y).backward()
    return [p.grad.copy() for p in model.parameters()]


class OneByOne(Dataset):
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


@pytest.mark.parametrize("general", [False, True])
def test_every_parameter_and_the_batch_get_correct_gradients(general):
    rng = np.random.default_rng(810)
    x, y = rng.standard_normal((20, 4)), rng.integers(0, 3, size=20)
    dataset = OneByOne(x, y) if general else TensorDataset(x, y)
    model = float64_mlp([4, 8, 6, 3], seed=1)
    xb, yb = next(iter(DataLoader(dataset, batch_size=7, shuffle=True, seed=3)))
    assert xb.dtype == np.float64
    xb.requires_grad = True
    check_model_gradients(model, lambda: CrossEntropyLoss()(model(xb), yb), inputs={"batch": xb})
    assert all(np.any(p.grad != 0) for p in model.parameters())


@pytest.mark.parametrize("batch_size", [2, 5, 9])
def test_batch_gradient_is_the_mean_of_per_example_gradients(batch_size):
    rng = np.random.default_rng(811)
    x, y = rng.standard_normal((9, 3)), rng.integers(0, 4, size=9)
    model = float64_mlp([3, 5, 4], seed=2)
    for xb, yb in DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True, seed=0):
        whole = gradients(model, xb, yb)
        singles = [gradients(model, x1, y1) for x1, y1 in DataLoader(TensorDataset(xb.data, yb.data), batch_size=1)]
        for position, grad in enumerate(whole):
            np.testing.assert_allclose(grad, np.mean([s[position] for s in singles], axis=0), rtol=1e-9, atol=1e-12)


def test_one_epoch_of_batches_accumulates_the_full_batch_gradient():
    """Summing size-weighted batch gradients over an epoch gives N times the full-data mean gradient."""
    rng = np.random.default_rng(812)
    x, y = rng.standard_normal((11, 3)), rng.integers(0, 2, size=11)
    model = float64_mlp([3, 4, 2], seed=3)
    full = gradients(model, Tensor(x), y)
    total = [np.zeros_like(g) for g in full]
    for xb, yb in DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True, seed=1):
        for position, grad in enumerate(gradients(model, xb, yb)):
            total[position] += grad * len(yb)
    for position, grad in enumerate(full):
        np.testing.assert_allclose(total[position] / len(x), grad, rtol=1e-9, atol=1e-12)
