"""Gradients through a whole training step (DESIGN.md section 5): every parameter receives a
gradient and moves, the loss on a fixed batch falls, clipping is exact, and skipping
zero_grad accumulates gradients across batches."""
import numpy as np
import pytest

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import check_model_gradients
from tinytorch.core.activations import GELU, ReLU, Tanh
from tinytorch.core.layers import Linear, Sequential
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.tensor import Tensor
from tinytorch.core.training import Trainer, clip_grad_norm


class PlainSGD:
    """Module 06's optimizer contract with plain gradient descent: p.data -= lr * p.grad."""

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


class NoZeroGrad(PlainSGD):
    """An optimizer whose zero_grad does nothing: what a loop without zero_grad does."""

    def zero_grad(self):
        pass


def float64_mlp(seed):
    rng = np.random.default_rng(seed)
    model = Sequential(Linear(3, 6), Tanh(), Linear(6, 5), GELU(), Linear(5, 3))
    for layer in model.layers[::2]:
        layer.weight = Tensor(rng.standard_normal(layer.weight.shape) * 0.7, requires_grad=True)
        layer.bias = Tensor(rng.standard_normal(layer.bias.shape) * 0.1, requires_grad=True)
    return model


def batch(seed, n=8):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 3)), rng.integers(0, 3, size=n)


def test_the_trainers_gradients_match_central_differences():
    model = float64_mlp(0)
    x, y = batch(0)
    check_model_gradients(model, lambda: CrossEntropyLoss()(model(Tensor(x)), y))


def test_one_training_step_moves_every_parameter_downhill():
    model = float64_mlp(1)
    x, y = batch(1)
    trainer = Trainer(model, PlainSGD(model.parameters(), lr=0.05), CrossEntropyLoss())
    before = [p.data.copy() for p in model.parameters()]
    loss_before = trainer.evaluate([(x, y)])["loss"]
    trainer.train_epoch([(x, y)])
    assert all(not np.array_equal(b, p.data) for b, p in zip(before, model.parameters()))
    assert trainer.evaluate([(x, y)])["loss"] < loss_before
    # the step was exactly -lr * gradient of the loss at the old parameters
    for p, b in zip(model.parameters(), before):
        np.testing.assert_allclose(b - p.data, 0.05 * p.grad, rtol=1e-12, atol=1e-15)


def test_loss_on_a_fixed_batch_falls_steadily():
    np.random.seed(2)
    model = Sequential(Linear(3, 16, init="he"), ReLU(), Linear(16, 3))
    x, y = batch(2, n=16)
    trainer = Trainer(model, PlainSGD(model.parameters(), lr=0.5), CrossEntropyLoss())
    losses = [trainer.train_epoch([(x.astype(np.float32), y)]) for _ in range(100)]
    assert losses[-1] < 0.3 * losses[0], losses[::10]
    assert sum(b > a for a, b in zip(losses, losses[1:])) < 10, "gradient descent on one batch rarely goes up"


def test_without_zero_grad_the_gradients_accumulate_across_batches():
    x1, y1 = batch(3)
    x2, y2 = batch(4)
    model = float64_mlp(5)
    trainer = Trainer(model, NoZeroGrad(model.parameters(), lr=0.0), CrossEntropyLoss())
    trainer.train_epoch([(x1, y1), (x2, y2)])
    accumulated = [p.grad.copy() for p in model.parameters()]
    separate = []
    for xb, yb in ((x1, y1), (x2, y2)):
        for p in model.parameters():
            p.grad = None
        CrossEntropyLoss()(model(Tensor(xb)), yb).backward()
        separate.append([p.grad.copy() for p in model.parameters()])
    for total, first, second in zip(accumulated, *separate):
        np.testing.assert_allclose(total, first + second, rtol=1e-12)
    # and the trainer's own zero_grad keeps only the last batch's gradient
    trainer = Trainer(model, PlainSGD(model.parameters(), lr=0.0), CrossEntropyLoss())
    trainer.train_epoch([(x1, y1), (x2, y2)])
    for p, last in zip(model.parameters(), separate[1]):
        np.testing.assert_allclose(p.grad, last, rtol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_clip_grad_norm_is_exact_and_keeps_the_direction(seed):
    model = float64_mlp(seed)
    x, y = batch(seed)
    (CrossEntropyLoss()(model(Tensor(x)), y) * 100.0).backward()
    grads = [p.grad.copy() for p in model.parameters()]
    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    max_norm = 0.3 * norm
    assert clip_grad_norm(model.parameters(), max_norm) == pytest.approx(norm, rel=1e-12)
    clipped = np.concatenate([p.grad.ravel() for p in model.parameters()])
    original = np.concatenate([g.ravel() for g in grads])
    assert abs(np.linalg.norm(clipped) - max_norm) <= 1e-9 * max_norm
    cosine = clipped @ original / (np.linalg.norm(clipped) * np.linalg.norm(original))
    assert cosine == pytest.approx(1.0, abs=1e-12)


def test_clipping_float32_gradients_is_exact_to_float32_precision():
    rng = np.random.default_rng(9)
    tensors = [Tensor(np.zeros(s, dtype=np.float32), requires_grad=True) for s in ((4, 5), (5,), (5, 2))]
    for t in tensors:
        t.grad = (rng.standard_normal(t.shape) * 50).astype(np.float32)
    clip_grad_norm(tensors, 1.0)
    after = np.sqrt(sum(np.sum(t.grad.astype(np.float64) ** 2) for t in tensors))
    assert abs(after - 1.0) <= 1e-6
    assert all(t.grad.dtype == np.float32 for t in tensors)
