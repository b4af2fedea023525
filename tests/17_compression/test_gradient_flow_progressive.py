"""Module 17 with modules 01-09: compress a small CNN and an MLP trained by the course's own stack."""
import numpy as np

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import check_gradient_flow
from tinytorch.core.activations import ReLU
from tinytorch.core.autograd import no_grad
from tinytorch.core.dataloader import DataLoader, TensorDataset, load_digits, train_test_split
from tinytorch.core.layers import Layer, Linear, Sequential
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.optimizers import Adam
from tinytorch.core.spatial import Conv2d
from tinytorch.core.tensor import Tensor
from tinytorch.core.training import Trainer
from tinytorch.perf.compression import (MaskedOptimizer, distillation_loss, low_rank_linear, magnitude_prune,
                                        prunable_weights, prune_neurons, sparsity)


def digits():
    images, labels = load_digits()
    x = images.reshape(len(images), -1).astype(np.float32) / 16.0
    return train_test_split(x, labels, test_fraction=0.25, seed=0)


def accuracy(model, x, y):
    with no_grad():
        return float(np.mean(model(Tensor(x)).data.argmax(axis=-1) == y))


def test_prune_fine_tune_and_shrink_a_digits_mlp_trained_by_the_trainer():
    x_train, x_test, y_train, y_test = digits()
    np.random.seed(0)
    model = Sequential(Linear(64, 48, init="he"), ReLU(), Linear(48, 10))
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=128, shuffle=True, seed=0)
    Trainer(model, Adam(model.parameters(), lr=0.01), CrossEntropyLoss()).fit(loader, epochs=6, progress=False)
    dense_accuracy = accuracy(model, x_test, y_test)
    assert dense_accuracy > 0.92

    masks = magnitude_prune(model, 0.85)
    optimizer = MaskedOptimizer(Adam(model.parameters(), lr=0.01), prunable_weights(model), masks)
    Trainer(model, optimizer, CrossEntropyLoss()).fit(loader, epochs=3, progress=False)
    assert sparsity(model) == round(0.85 * (64 * 48 + 48 * 10)) / (64 * 48 + 48 * 10)
    assert accuracy(model, x_test, y_test) > dense_accuracy - 0.05

    narrow_first, narrow_second, _ = prune_neurons(model.layers[0], 0.25, model.layers[2])
    narrow = Sequential(narrow_first, ReLU(), narrow_second)
    assert narrow_first.out_features == 36
    assert accuracy(narrow, x_test, y_test) > 0.8


def test_distillation_and_low_rank_gradients_flow_through_a_conv_student():
    rng = np.random.default_rng(17)
    np.random.seed(17)

    class ConvStudent(Layer):
        def __init__(self):
            self.conv = Conv2d(1, 2, 3)
            self.head = low_rank_linear(Linear(2 * 6 * 6, 10), 3)

        def forward(self, x):
            hidden = self.conv(x)
            return self.head(hidden.reshape(x.shape[0], -1))

    student = ConvStudent()
    for p in student.parameters():
        p.data = p.data.astype(np.float64)
    x = Tensor(rng.standard_normal((3, 1, 8, 8)))
    teacher_logits, targets = rng.standard_normal((3, 10)), rng.integers(0, 10, size=3)
    down, up = student.head.layers
    check_gradient_flow(lambda: distillation_loss(student(x), teacher_logits, targets, T=3.0, alpha=0.6),
                        {"conv.weight": student.conv.weight, "conv.bias": student.conv.bias,
                         "head.down": down.weight, "head.up": up.weight, "head.bias": up.bias}, max_entries=8)


def test_masked_conv_weights_stay_zero():
    rng = np.random.default_rng(5)
    np.random.seed(5)
    conv = Conv2d(1, 3, 3)
    head = Linear(3 * 4 * 4, 2)

    class Net(Layer):
        def __init__(self):
            self.conv, self.head = conv, head

        def forward(self, x):
            return self.head(self.conv(x).reshape(x.shape[0], -1))

    net = Net()
    masks = magnitude_prune(net, 0.5, scope="layer")
    optimizer = MaskedOptimizer(Adam(net.parameters(), lr=0.05), prunable_weights(net), masks)
    x, targets = Tensor(rng.standard_normal((4, 1, 6, 6))), rng.integers(0, 2, size=4)
    for _ in range(5):
        optimizer.zero_grad()
        CrossEntropyLoss()(net(x), targets).backward()
        optimizer.step()
    assert np.all(conv.weight.data[masks[0] == 0] == 0) and np.all(head.weight.data[masks[1] == 0] == 0)
