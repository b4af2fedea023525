"""Module 07 with modules 01-05: the training stack trains every kind of layer and loss built
so far, and gradients reach the first layer's weights through all of it."""
import numpy as np

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from tinytorch.core.activations import GELU, ReLU, Sigmoid, Softmax, Tanh
from tinytorch.core.autograd import no_grad
from tinytorch.core.layers import Dropout, Linear, Sequential
from tinytorch.core.losses import BinaryCrossEntropyLoss, CrossEntropyLoss, MSELoss
from tinytorch.core.tensor import Tensor
from tinytorch.core.training import CosineSchedule, StepDecay, Trainer, diagnose_gradients


class PlainSGD:
    def __init__(self, params, lr=0.1):
        self.params, self.lr = list(params), lr

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        for p in self.params:
            if p.grad is not None:
                p.data -= self.lr * p.grad

    def state_dict(self):
        return {"lr": self.lr}

    def load_state_dict(self, state):
        self.lr = state["lr"]


class Spy:
    """Batches that remember whether gradients reached the first layer on every step."""

    def __init__(self, batches, first_layer):
        self.batches, self.first_layer, self.seen = batches, first_layer, []

    def __iter__(self):
        for batch in self.batches:
            yield batch
            self.seen.append(None if self.first_layer.weight.grad is None else np.abs(self.first_layer.weight.grad).sum())


def test_regression_with_tanh_mse_and_step_decay():
    rng = np.random.default_rng(70)
    np.random.seed(70)
    x = rng.uniform(-1, 1, size=(96, 1)).astype(np.float32)
    y = np.sin(3 * x)
    model = Sequential(Linear(1, 32), Tanh(), Linear(32, 1))
    trainer = Trainer(model, PlainSGD(model.parameters()), MSELoss(), scheduler=StepDecay(0.3, step_size=200, gamma=0.5))
    batches = [(x[i:i + 32], y[i:i + 32]) for i in range(0, 96, 32)]
    spy = Spy(batches, model.layers[0])
    history = trainer.fit(spy, batches, epochs=150, progress=False)
    assert history["val_accuracy"][-1] is None
    assert history["val_loss"][-1] < 0.1 * history["val_loss"][0]
    assert all(s is not None and s > 0 for s in spy.seen), "every step put a gradient on the first layer"


def test_binary_classification_with_sigmoid_output_and_dropout():
    rng = np.random.default_rng(71)
    np.random.seed(71)
    x = rng.standard_normal((120, 2)).astype(np.float32)
    y = (x[:, :1] * x[:, 1:] > 0).astype(np.float32)   # XOR of the signs
    model = Sequential(Linear(2, 32, init="he"), ReLU(), Dropout(0.1), Linear(32, 1), Sigmoid())
    trainer = Trainer(model, PlainSGD(model.parameters(), lr=0.5), BinaryCrossEntropyLoss(),
                      scheduler=CosineSchedule(1.0, 0.05, total_steps=600, warmup_steps=20), grad_clip=2.0)
    batches = [(x[i:i + 20], y[i:i + 20]) for i in range(0, 120, 20)]
    history = trainer.fit(batches, batches, epochs=100, progress=False)
    assert history["val_loss"][-1] < 0.5 * history["val_loss"][0]
    assert not model.layers[2].training, "evaluate leaves the model in eval mode"
    with no_grad():
        predictions = model(Tensor(x)).data > 0.5
    assert np.mean(predictions == (y > 0.5)) > 0.9


def test_gelu_classifier_with_tensor_batches_and_healthy_gradients():
    rng = np.random.default_rng(72)
    np.random.seed(72)
    x = rng.standard_normal((90, 4)).astype(np.float32)
    y = np.argmax(x[:, :3], axis=1)
    model = Sequential(Linear(4, 24), GELU(), Linear(24, 24), GELU(), Linear(24, 3))
    trainer = Trainer(model, PlainSGD(model.parameters(), lr=0.3), CrossEntropyLoss())
    batches = [(Tensor(x[i:i + 30]), Tensor(y[i:i + 30])) for i in range(0, 90, 30)]
    history = trainer.fit(batches, batches, epochs=60, progress=False)
    assert history["val_accuracy"][-1] > 0.9
    for p in model.parameters():
        p.grad = None
    CrossEntropyLoss()(model(batches[0][0]), batches[0][1]).backward()
    assert diagnose_gradients(model).healthy


def test_softmax_output_with_mse_on_one_hot_targets_still_trains_the_first_layer():
    rng = np.random.default_rng(73)
    np.random.seed(73)
    x = rng.standard_normal((60, 3)).astype(np.float32)
    labels = (x[:, 0] > 0).astype(int)
    one_hot = np.eye(2, dtype=np.float32)[labels]
    model = Sequential(Linear(3, 16), Tanh(), Linear(16, 2), Softmax())
    first = model.layers[0].weight.data.copy()
    trainer = Trainer(model, PlainSGD(model.parameters(), lr=1.0), MSELoss())
    history = trainer.fit([(x, one_hot)], epochs=80, progress=False)
    assert history["train_loss"][-1] < 0.5 * history["train_loss"][0]
    assert not np.allclose(first, model.layers[0].weight.data)
