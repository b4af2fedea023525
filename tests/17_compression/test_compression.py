"""Module 17: pruning, low-rank factorisation and distillation, on the reference package."""
import numpy as np
import pytest

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from tinytorch.core.activations import ReLU
from tinytorch.core.layers import Layer, Linear, Sequential
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.tensor import Tensor
from tinytorch.perf.compression import (distillation_loss, linear_from_arrays, low_rank_linear, magnitude_prune,
                                        parameter_count, prunable_weights, prune_neurons, sparsity)


class Weights(Layer):
    def __init__(self, tensors):
        self.tensors = tensors


@pytest.mark.parametrize("level", [0.1, 0.5, 0.77, 0.9])
@pytest.mark.parametrize("scope", ["global", "layer"])
def test_magnitude_prune_zeroes_exactly_the_requested_count(level, scope):
    rng = np.random.default_rng(int(level * 100))
    tensors = [Tensor(rng.standard_normal(shape), requires_grad=True) for shape in ((7, 5), (3, 9), (11, 2))]
    originals = [t.data.copy() for t in tensors]
    masks = magnitude_prune(Weights(tensors), level, scope=scope)
    for tensor, original, mask in zip(tensors, originals, masks):
        np.testing.assert_array_equal(tensor.data, original * mask)
        assert set(np.unique(mask)) <= {0.0, 1.0}
        if scope == "layer":
            assert int((mask == 0).sum()) == int(round(level * original.size))
    total = sum(o.size for o in originals)
    if scope == "global":
        assert sum(int((m == 0).sum()) for m in masks) == int(round(level * total))
        pruned = np.concatenate([np.abs(o[m == 0]) for o, m in zip(originals, masks)])
        kept = np.concatenate([np.abs(o[m == 1]) for o, m in zip(originals, masks)])
        assert pruned.max() <= kept.min()


def test_ties_give_exact_counts_and_pruning_twice_is_stable():
    weight = Tensor(np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 2.0]]))
    first = magnitude_prune(weight, 0.5)
    assert int((first == 0).sum()) == 3
    np.testing.assert_array_equal(first, [[0, 0, 0], [1, 1, 1]])
    second = magnitude_prune(weight, 0.5)
    np.testing.assert_array_equal(second, first)
    assert sparsity(weight) == 0.5


def test_global_pruning_spares_the_layer_of_large_weights():
    small, large = Linear(8, 8), Linear(8, 2)
    small.weight.data[...] = 0.01
    large.weight.data[...] = 5.0
    masks = magnitude_prune(Sequential(small, ReLU(), large), 0.5)
    assert masks[1].all() and masks[0].sum() == 8 * 8 - 40


def test_biases_are_not_prunable():
    model = Sequential(Linear(3, 4), ReLU(), Linear(4, 2))
    assert [p.shape for p in prunable_weights(model)] == [(3, 4), (4, 2)]


@pytest.mark.parametrize("bad", [-0.01, 1.0, 1.5])
def test_magnitude_prune_rejects_bad_sparsity(bad):
    with pytest.raises(ValueError):
        magnitude_prune(Tensor(np.ones((2, 2))), bad)


def test_magnitude_prune_rejects_unknown_scope():
    with pytest.raises(ValueError):
        magnitude_prune(Tensor(np.ones((2, 2))), 0.5, scope="row")


def test_prune_neurons_removes_the_weakest_columns_and_the_next_layers_rows():
    rng = np.random.default_rng(3)
    first = linear_from_arrays(rng.standard_normal((6, 10)), rng.standard_normal(10))
    second = linear_from_arrays(rng.standard_normal((10, 4)), rng.standard_normal(4))
    smaller, smaller_next, kept = prune_neurons(first, 0.3, second)
    norms = np.linalg.norm(first.weight.data, axis=0)
    assert len(kept) == 7 and list(kept) == sorted(kept)
    assert norms[kept].min() >= np.delete(norms, kept).max()
    x = rng.standard_normal((5, 6))
    hidden = np.maximum(x @ first.weight.data + first.bias.data, 0)
    expected = hidden[:, kept] @ second.weight.data[kept] + second.bias.data
    np.testing.assert_allclose(smaller_next(ReLU()(smaller(Tensor(x)))).data, expected, rtol=1e-12)
    assert parameter_count(Sequential(smaller, smaller_next)) == 6 * 7 + 7 + 7 * 4 + 4


def test_prune_neurons_without_bias_and_without_next_layer():
    layer = Linear(4, 6, bias=False)
    smaller, nothing, kept = prune_neurons(layer, 0.5)
    assert nothing is None and smaller.bias is None and smaller.weight.shape == (4, 3)


def test_prune_neurons_does_not_touch_the_global_random_state():
    np.random.seed(0)
    expected = np.random.rand()
    np.random.seed(0)
    prune_neurons(linear_from_arrays(np.ones((3, 4)), None), 0.5)
    assert np.random.rand() == expected


@pytest.mark.parametrize("rank", [1, 3, 5])
def test_low_rank_error_is_the_discarded_singular_energy(rank):
    rng = np.random.default_rng(rank)
    layer = linear_from_arrays(rng.standard_normal((9, 5)), rng.standard_normal(5))
    down, up = low_rank_linear(layer, rank).layers
    singular_values = np.linalg.svd(layer.weight.data, compute_uv=False)
    error = np.sum((layer.weight.data - down.weight.data @ up.weight.data) ** 2)
    np.testing.assert_allclose(error, np.sum(singular_values[rank:] ** 2), rtol=1e-9, atol=1e-12)
    assert parameter_count(low_rank_linear(layer, rank)) == rank * (9 + 5) + 5


def test_low_rank_rejects_impossible_ranks():
    layer = Linear(4, 3)
    for rank in (0, 4):
        with pytest.raises(ValueError):
            low_rank_linear(layer, rank)


def test_low_rank_keeps_float32():
    layer = Linear(6, 6)
    factored = low_rank_linear(layer, 2)
    assert all(p.dtype == np.float32 for p in factored.parameters())


def test_distillation_loss_limits():
    rng = np.random.default_rng(0)
    logits, targets = rng.standard_normal((6, 4)), rng.integers(0, 4, size=6)
    hard = distillation_loss(Tensor(logits), rng.standard_normal((6, 4)), targets, T=3.0, alpha=0.0)
    np.testing.assert_allclose(hard.item(), CrossEntropyLoss()(Tensor(logits), targets).item(), rtol=1e-10)
    self_teaching = distillation_loss(Tensor(logits), logits, targets, T=3.0, alpha=1.0)
    assert abs(self_teaching.item()) < 1e-12
    soft = distillation_loss(Tensor(logits), rng.standard_normal((6, 4)), targets, T=3.0, alpha=1.0)
    assert soft.item() > 0


def test_distillation_loss_is_stable_for_huge_logits():
    logits = Tensor(np.array([[1000.0, -1000.0, 0.0]]))
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss = distillation_loss(logits, np.array([[-1000.0, 1000.0, 0.0]]), np.array([0]), T=2.0, alpha=0.5)
    assert np.isfinite(loss.item())


def test_distillation_loss_keeps_the_student_dtype():
    logits = Tensor(np.zeros((2, 3), dtype=np.float32))
    assert distillation_loss(logits, np.ones((2, 3)), np.array([0, 1])).dtype == np.float32
