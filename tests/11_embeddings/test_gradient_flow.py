"""Gradients through Embedding and the positional encodings (module 11), by autograd (module 05)."""
import numpy as np

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import check_gradient_flow, check_model_gradients
from tinytorch.core.layers import Layer
from tinytorch.core.tensor import Tensor
from tinytorch.text.embeddings import Embedding, LearnedPositionalEncoding, PositionalEncoding

RNG = np.random.default_rng(111)


def float64_embedding(vocab, dim):
    layer = Embedding(vocab, dim)
    layer.weight = Tensor(RNG.standard_normal((vocab, dim)), requires_grad=True)
    return layer


def test_embedding_with_repeated_ids_gets_central_difference_gradients():
    layer = float64_embedding(4, 3)
    ids = np.array([[0, 2, 2, 2], [3, 0, 2, 1]])  # token 2 four times, token 0 twice
    up = RNG.standard_normal((2, 4, 3))
    check_model_gradients(layer, lambda: (layer(ids) * Tensor(up)).sum())


def test_embedding_gradient_counts_each_use_of_a_token():
    layer = float64_embedding(5, 2)
    ids = np.array([1, 1, 1, 4])
    layer(ids).sum().backward()
    np.testing.assert_array_equal(layer.weight.grad, [[0, 0], [3, 3], [0, 0], [0, 0], [1, 1]])


def test_unused_rows_get_zero_gradient_and_gradients_accumulate_over_two_backward_calls():
    layer = float64_embedding(6, 2)
    layer([[0, 3]]).sum().backward()
    layer([[3]]).sum().backward()
    np.testing.assert_array_equal(layer.weight.grad[:, 0], [1, 0, 0, 2, 0, 0])


def test_the_same_embedding_used_twice_in_one_graph_adds_both_paths():
    layer = float64_embedding(5, 3)
    first, second = np.array([0, 1, 1]), np.array([[1, 4]])
    check_gradient_flow(
        lambda: (layer(first) ** 2).sum() + (layer(second).exp()).sum(), {"Embedding.weight": layer.weight}
    )


def test_sinusoidal_positional_encoding_passes_the_gradient_to_its_input():
    layer = PositionalEncoding(12, 5)
    x = Tensor(RNG.standard_normal((3, 7, 5)), requires_grad=True)
    up = RNG.standard_normal((3, 7, 5))
    check_gradient_flow(lambda: (layer(x).exp() * Tensor(up)).sum(), {"x": x})
    assert layer.encoding.grad is None


def test_learned_positions_get_gradient_only_in_the_rows_used():
    layer = LearnedPositionalEncoding(9, 4)
    layer.weight = Tensor(RNG.standard_normal((9, 4)), requires_grad=True)
    x = Tensor(RNG.standard_normal((2, 6, 4)), requires_grad=True)
    check_gradient_flow(lambda: (layer(x) ** 3).sum(), {"x": x, "weight": layer.weight})
    assert not np.any(layer.weight.grad[6:])
    assert np.all(np.any(layer.weight.grad[:6] != 0, axis=1))


class TokensAndPositions(Layer):
    def __init__(self, learned):
        self.tokens = float64_embedding(7, 4)
        self.positions = LearnedPositionalEncoding(8, 4) if learned else PositionalEncoding(8, 4)
        if learned:
            self.positions.weight = Tensor(RNG.standard_normal((8, 4)), requires_grad=True)

    def forward(self, ids):
        return self.positions(self.tokens(ids))


def test_token_plus_position_embeddings_fixed_and_learned():
    ids = np.array([[6, 6, 0, 2, 6], [1, 0, 0, 5, 3]])
    up = RNG.standard_normal((2, 5, 4))
    for learned in (False, True):
        model = TokensAndPositions(learned)
        errors = check_model_gradients(model, lambda: (model(ids) ** 2 * Tensor(up)).sum())
        assert len(errors) == (2 if learned else 1)
