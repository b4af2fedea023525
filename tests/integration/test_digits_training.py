"""The stack learns a real task: models trained on the shipped digits with the course's own
DataLoader (08), Trainer (07) and optimizers (06). Seeded; each run takes seconds."""
import time

import numpy as np
import pytest

from tinytorch.core.activations import ReLU
from tinytorch.core.dataloader import DataLoader, TensorDataset, load_digits, train_test_split
from tinytorch.core.layers import Linear, Sequential
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.optimizers import SGD, Adam
from tinytorch.core.spatial import Conv2d, Flatten, MaxPool2d
from tinytorch.core.training import Trainer


def digits(seed, image_shape):
    images, labels = load_digits()
    x = images.reshape((len(images),) + image_shape).astype(np.float32) / 16.0
    x_train, x_test, y_train, y_test = train_test_split(x, labels, test_fraction=0.2, seed=seed)
    train = DataLoader(TensorDataset(x_train, y_train), batch_size=32, shuffle=True, seed=seed)
    test = DataLoader(TensorDataset(x_test, y_test), batch_size=256)
    return train, test


def fit(model, optimizer, train, test, epochs):
    trainer = Trainer(model, optimizer, CrossEntropyLoss())
    start = time.perf_counter()
    trainer.fit(train, epochs=epochs, progress=False)
    accuracy = trainer.evaluate(test)["accuracy"]
    print(f"{type(optimizer).__name__}: digits test accuracy {accuracy:.3f} in {time.perf_counter() - start:.1f} s")
    return accuracy


@pytest.mark.parametrize("seed", [0, 1])
def test_mlp_reaches_95_percent_on_held_out_digits(seed):
    train, test = digits(seed, (64,))
    np.random.seed(seed)
    model = Sequential(Linear(64, 128, init="he"), ReLU(), Linear(128, 10))
    assert fit(model, Adam(model.parameters(), lr=0.003), train, test, epochs=12) >= 0.95


def test_mlp_with_sgd_momentum_also_reaches_95_percent():
    train, test = digits(2, (64,))
    np.random.seed(2)
    model = Sequential(Linear(64, 128, init="he"), ReLU(), Linear(128, 10))
    assert fit(model, SGD(model.parameters(), lr=0.05, momentum=0.9), train, test, epochs=15) >= 0.95


def test_small_cnn_reaches_97_percent_on_held_out_digits():
    train, test = digits(0, (1, 8, 8))
    np.random.seed(0)
    model = Sequential(
        Conv2d(1, 16, 3, padding=1), ReLU(), MaxPool2d(2),      # 16 x 4 x 4
        Conv2d(16, 32, 3, padding=1), ReLU(), MaxPool2d(2),     # 32 x 2 x 2
        Flatten(), Linear(128, 64, init="he"), ReLU(), Linear(64, 10),
    )
    assert fit(model, Adam(model.parameters(), lr=0.003), train, test, epochs=15) >= 0.97
