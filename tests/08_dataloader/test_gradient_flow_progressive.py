"""Module 08 with modules 01-05: real batches through the whole stack, and learning from them."""
import numpy as np

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import check_model_gradients
from tinytorch.core.activations import GELU, Sigmoid, Softmax, Tanh
from tinytorch.core.autograd import no_grad
from tinytorch.core.dataloader import (
    Compose, DataLoader, Flatten, Normalize, RandomShift, TensorDataset, load_digits, train_test_split,
)
from tinytorch.core.layers import Dropout, Linear, Sequential
from tinytorch.core.losses import BinaryCrossEntropyLoss, CrossEntropyLoss, MSELoss
from tinytorch.core.tensor import Tensor


def float64_net(sizes, activation, seed):
    rng = np.random.default_rng(seed)
    layers = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        layer = Linear(n_in, n_out)
        layer.weight = Tensor(rng.standard_normal((n_in, n_out)) / np.sqrt(n_in), requires_grad=True)
        layer.bias = Tensor(rng.standard_normal(n_out) * 0.1, requires_grad=True)
        layers += [layer, activation()]
    return Sequential(*layers[:-1])


def test_real_digit_batches_give_correct_gradients_through_every_activation():
    images, labels = load_digits()
    x = images.reshape(len(images), -1)[:40].astype(np.float64) / 16.0
    loader = DataLoader(TensorDataset(x, labels[:40]), batch_size=8, shuffle=True, seed=0)
    xb, yb = next(iter(loader))
    for activation in (Tanh, GELU, Sigmoid):
        model = float64_net([64, 6, 10], activation, seed=4)
        check_model_gradients(model, lambda: CrossEntropyLoss()(model(xb), yb), max_entries=40)


def test_regression_and_binary_targets_come_through_the_loader():
    rng = np.random.default_rng(820)
    x = rng.standard_normal((10, 3))
    loader = DataLoader(TensorDataset(x, rng.standard_normal((10, 2)), rng.integers(0, 2, size=(10, 1)).astype(np.float64)),
                        batch_size=5)
    xb, regression, binary = next(iter(loader))
    model = float64_net([3, 4, 2], Tanh, seed=5)
    check_model_gradients(model, lambda: MSELoss()(model(xb), regression))
    head = float64_net([3, 4, 1], Tanh, seed=6)
    check_model_gradients(head, lambda: BinaryCrossEntropyLoss()(Sigmoid()(head(xb)), binary))


def test_softmax_outputs_of_a_batch_sum_to_one_and_backpropagate():
    x = np.random.default_rng(821).standard_normal((6, 4))
    xb, = next(iter(DataLoader(TensorDataset(x), batch_size=6)))
    model = float64_net([4, 3], Tanh, seed=7)
    probabilities = Softmax()(model(xb))
    np.testing.assert_allclose(probabilities.data.sum(axis=1), 1.0)
    weights = np.arange(3.0)
    check_model_gradients(model, lambda: (Softmax()(model(xb)) * Tensor(weights)).sum())


def test_augmented_normalized_digits_train_a_dropout_network():
    images, labels = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(images.astype(np.float32), labels, test_fraction=0.2, seed=3)
    mean, std = float(x_train.mean()), float(x_train.std())
    augment = Compose([RandomShift(1, seed=0), Normalize(mean, std), Flatten()])
    loader = DataLoader(TensorDataset(x_train, y_train, transform=augment), batch_size=64, shuffle=True, seed=1)
    np.random.seed(2)
    model = Sequential(Linear(64, 64, init="he"), Tanh(), Dropout(0.1), Linear(64, 10))
    for _ in range(20):
        for xb, yb in loader:
            for p in model.parameters():
                p.grad = None
            CrossEntropyLoss()(model(xb), yb).backward()
            with no_grad():
                for p in model.parameters():
                    p.data -= 0.1 * p.grad
    model.eval()
    with no_grad():
        test_inputs = Tensor(((x_test - mean) / std).reshape(len(x_test), -1).astype(np.float32))
        accuracy = np.mean(model(test_inputs).data.argmax(axis=1) == y_test)
    assert accuracy > 0.85, accuracy
