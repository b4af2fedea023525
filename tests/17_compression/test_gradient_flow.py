"""Module 17 gradients: masked fine-tuning keeps pruned weights at zero with SGD momentum and
Adam; the distillation loss and the low-rank layers differentiate correctly."""
import numpy as np
import pytest

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import check_gradient_flow, check_model_gradients
from tinytorch.core.activations import Tanh
from tinytorch.core.layers import Linear, Sequential
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.optimizers import SGD, Adam, AdamW
from tinytorch.core.tensor import Tensor
from tinytorch.core.training import clip_grad_norm
from tinytorch.perf.compression import (MaskedOptimizer, distillation_loss, linear_from_arrays, low_rank_linear,
                                        magnitude_prune, prunable_weights, sparsity)

OPTIMIZERS = {
    "sgd-momentum": lambda params: SGD(params, lr=0.1, momentum=0.9),
    "sgd-nesterov-decay": lambda params: SGD(params, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    "adam": lambda params: Adam(params, lr=0.02),
    "adamw": lambda params: AdamW(params, lr=0.02, weight_decay=0.1),
}


def pruned_problem(seed):
    rng = np.random.default_rng(seed)
    np.random.seed(seed)
    model = Sequential(Linear(5, 12), Tanh(), Linear(12, 3))
    masks = magnitude_prune(model, 0.7)
    return model, masks, Tensor(rng.standard_normal((20, 5))), rng.integers(0, 3, size=20)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_pruned_weights_stay_exactly_zero_through_fine_tuning(name):
    model, masks, x, targets = pruned_problem(1)
    inner = OPTIMIZERS[name](model.parameters())
    optimizer = MaskedOptimizer(inner, prunable_weights(model), masks)
    losses = []
    for _ in range(25):
        optimizer.zero_grad()
        loss = CrossEntropyLoss()(model(x), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        for weight, mask in zip(prunable_weights(model), masks):
            assert np.all(weight.data[mask == 0] == 0.0)
            assert np.all(weight.grad[mask == 0] == 0.0)
    assert losses[-1] < losses[0], "the kept weights still learn"
    assert sparsity(model) == round(0.7 * 96) / 96  # 5*12 + 12*3 weights
    for weight, mask in zip(prunable_weights(model), masks):
        index = next(i for i, p in enumerate(inner.params) if p is weight)
        for buffer in inner.state[index].values():
            if isinstance(buffer, np.ndarray):
                assert np.all(buffer[mask == 0] == 0.0), "optimizer state of pruned weights stays empty"


def test_masking_weights_only_lets_adam_state_fill_up():
    """Why the gradient must be masked: re-zeroing weights after an unmasked step leaves Adam's
    moments of pruned weights non-zero, so they regrow the moment the mask is lifted."""
    model, masks, x, targets = pruned_problem(2)
    inner = Adam(model.parameters(), lr=0.02)
    weights = prunable_weights(model)
    for _ in range(5):
        inner.zero_grad()
        CrossEntropyLoss()(model(x), targets).backward()
        inner.step()
        for weight, mask in zip(weights, masks):
            weight.data *= mask
    state = inner.state[0]["exp_avg"]
    assert np.any(state[masks[0] == 0] != 0)
    inner.zero_grad()
    CrossEntropyLoss()(model(x), targets).backward()
    for weight in weights:
        weight.grad = np.zeros_like(weight.data)  # no new gradient at all
    inner.step()
    assert np.any(weights[0].data[masks[0] == 0] != 0), "momentum alone regrows the pruned weights"


def test_masked_gradients_do_not_inflate_the_clipping_norm():
    model, masks, x, targets = pruned_problem(3)
    optimizer = MaskedOptimizer(SGD(model.parameters(), lr=0.0), prunable_weights(model), masks)
    optimizer.zero_grad()
    CrossEntropyLoss()(model(x), targets).backward()
    full_norm = clip_grad_norm(model.parameters(), 1e9)
    optimizer.step()
    masked_norm = clip_grad_norm(model.parameters(), 1e9)
    assert masked_norm < full_norm


@pytest.mark.parametrize("T", [1.0, 2.5, 7.0])
@pytest.mark.parametrize("alpha", [0.0, 0.4, 1.0])
def test_distillation_loss_gradient_matches_central_differences(T, alpha):
    rng = np.random.default_rng(int(T * 10 + alpha * 100))
    student = Tensor(rng.standard_normal((5, 6)) * 2, requires_grad=True)
    teacher, targets = rng.standard_normal((5, 6)) * 2, rng.integers(0, 6, size=5)
    check_gradient_flow(lambda: distillation_loss(student, teacher, targets, T=T, alpha=alpha), {"student": student})


def test_distillation_gradient_is_T_times_q_minus_p():
    rng = np.random.default_rng(9)
    zs, zt = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))

    def softmax(z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    for T in (1.0, 3.0, 10.0):
        student = Tensor(zs.copy(), requires_grad=True)
        distillation_loss(student, zt, np.zeros(4, dtype=int), T=T, alpha=1.0).backward()
        np.testing.assert_allclose(student.grad, T * (softmax(zs / T) - softmax(zt / T)) / 4, rtol=1e-10)


def test_no_gradient_reaches_the_teacher():
    teacher = Tensor(np.ones((2, 3)), requires_grad=True)
    student = Tensor(np.zeros((2, 3)), requires_grad=True)
    distillation_loss(student, teacher, np.array([0, 2]), T=2.0, alpha=0.5).backward()
    assert student.grad is not None and teacher.grad is None


@pytest.mark.parametrize("rank", [1, 2, 4])
def test_low_rank_layers_get_correct_gradients(rank):
    rng = np.random.default_rng(rank)
    factored = low_rank_linear(linear_from_arrays(rng.standard_normal((6, 4)), rng.standard_normal(4)), rank)
    model = Sequential(factored, Tanh(), linear_from_arrays(rng.standard_normal((4, 3)), np.zeros(3)))
    x = Tensor(rng.standard_normal((7, 6)), requires_grad=True)
    targets = rng.integers(0, 3, size=7)
    check_model_gradients(model, lambda: CrossEntropyLoss()(model(x), targets), inputs={"x": x})
