"""The reference package's embeddings (tinytorch.text.embeddings), as later modules rely on them."""
import math

import numpy as np
import pytest

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import check_vjp
from tinytorch.core.autograd import no_grad
from tinytorch.core.tensor import Tensor
from tinytorch.text.embeddings import (
    Embedding,
    EmbeddingBackward,
    LearnedPositionalEncoding,
    PositionalEncoding,
    as_token_ids,
    sinusoidal_encoding,
)

RNG = np.random.default_rng(110)


# ---- Embedding: construction and lookup ------------------------------------------------------

def test_embedding_table_is_a_float32_standard_normal_parameter():
    np.random.seed(0)
    layer = Embedding(3000, 32)
    assert layer.vocab_size == 3000 and layer.embed_dim == 32
    weight = layer.weight
    assert weight.shape == (3000, 32) and weight.dtype == np.float32 and weight.requires_grad
    assert abs(weight.data.std() - 1) < 0.02 and abs(weight.data.mean()) < 0.02
    assert layer.parameters() == [weight]


def test_embedding_init_follows_the_global_numpy_seed():
    np.random.seed(4)
    first = Embedding(10, 3).weight.data.copy()
    np.random.seed(4)
    assert np.array_equal(first, Embedding(10, 3).weight.data)


@pytest.mark.parametrize("shape", [(), (5,), (2, 7), (2, 3, 4)])
def test_lookup_reads_rows_for_ids_of_any_shape(shape):
    layer = Embedding(9, 4)
    ids = RNG.integers(0, 9, size=shape)
    out = layer(ids)
    assert isinstance(out, Tensor) and out.shape == shape + (4,) and out.dtype == np.float32
    np.testing.assert_array_equal(out.data, layer.weight.data[ids])


def test_lookup_equals_the_one_hot_matrix_product():
    layer = Embedding(6, 3)
    ids = np.array([5, 0, 5, 2])
    np.testing.assert_allclose(layer(ids).data, np.eye(6)[ids] @ layer.weight.data, rtol=1e-6)


def test_ids_may_be_lists_tensors_or_integral_floats():
    layer = Embedding(5, 2)
    expected = layer.weight.data[[1, 4, 1]]
    for ids in ([1, 4, 1], np.array([1, 4, 1], dtype=np.int32), Tensor([1, 4, 1]), np.array([1.0, 4.0, 1.0])):
        np.testing.assert_array_equal(layer(ids).data, expected)
    assert as_token_ids(Tensor([[2, 3]])).dtype == np.int64


@pytest.mark.parametrize("bad", [5, 17, -1, -5])
def test_out_of_range_ids_raise_naming_the_id_and_the_vocab_size(bad):
    with pytest.raises(IndexError, match=rf"{bad}.*5"):
        Embedding(5, 2)(np.array([[0, 1], [bad, 2]]))


def test_non_integer_ids_are_refused():
    with pytest.raises(ValueError, match="whole numbers"):
        Embedding(5, 2)([0.5, 1.0])
    with pytest.raises(TypeError, match="integers"):
        Embedding(5, 2)(np.array(["a"]))


# ---- Embedding: backward ----------------------------------------------------------------------

def test_backward_scatter_adds_and_repeated_ids_accumulate():
    weight = Tensor(np.zeros((4, 2)), requires_grad=True)
    ids = np.array([[3, 3], [3, 0]])
    grad_weight, grad_ids = EmbeddingBackward(weight, ids).backward(np.ones((2, 2, 2)))
    assert grad_ids is None
    np.testing.assert_array_equal(grad_weight, [[1, 1], [0, 0], [0, 0], [3, 3]])


@pytest.mark.parametrize("shape", [(11,), (3, 6), (2, 2, 5)])
def test_backward_matches_central_differences_with_many_repeats(shape):
    ids = RNG.integers(0, 3, size=shape)
    check_vjp(
        "EmbeddingBackward",
        lambda table: table[ids],
        lambda up, table: EmbeddingBackward(Tensor(table, requires_grad=True), ids).backward(up)[0],
        [RNG.standard_normal((4, 3))],
    )


def test_backward_gradient_has_the_weight_dtype():
    for dtype in (np.float32, np.float64):
        weight = Tensor(np.zeros((3, 2), dtype=dtype), requires_grad=True)
        grad, _ = EmbeddingBackward(weight, np.array([0, 2])).backward(np.ones((2, 2), dtype=np.float64))
        assert grad.dtype == dtype


def test_lookup_records_no_graph_under_no_grad_or_for_a_frozen_table():
    layer = Embedding(4, 2)
    with no_grad():
        assert layer([1, 2]).grad_fn is None
    layer.weight.requires_grad = False
    assert layer([1, 2]).grad_fn is None


# ---- sinusoidal encoding -----------------------------------------------------------------------

@pytest.mark.parametrize("length,dim", [(1, 1), (7, 2), (50, 16), (33, 9), (300, 64)])
def test_sinusoidal_encoding_matches_the_formula_everywhere(length, dim):
    table = sinusoidal_encoding(length, dim)
    assert table.shape == (length, dim) and table.dtype == np.float32
    expected = np.array([[math.sin(p / 10000 ** (2 * (j // 2) / dim)) if j % 2 == 0
                          else math.cos(p / 10000 ** (2 * (j // 2) / dim)) for j in range(dim)]
                         for p in range(length)])
    np.testing.assert_allclose(table, expected, atol=2e-6)


def test_position_similarity_depends_only_on_the_offset():
    table = sinusoidal_encoding(200, 32).astype(np.float64)
    similarity = table @ table.T
    for offset in (1, 7, 40):
        diagonal = np.diagonal(similarity, offset)
        np.testing.assert_allclose(diagonal, diagonal[0], atol=1e-4)
    np.testing.assert_allclose(np.diagonal(similarity), 16.0, rtol=1e-6)


def test_a_shift_is_a_fixed_rotation_of_each_pair():
    dim, shift = 16, 9
    table = sinusoidal_encoding(64, dim).astype(np.float64)
    omegas = 1 / 10000 ** (np.arange(0, dim, 2) / dim)
    sines, cosines = table[:-shift, 0::2], table[:-shift, 1::2]
    c, s = np.cos(omegas * shift), np.sin(omegas * shift)
    np.testing.assert_allclose(c * sines + s * cosines, table[shift:, 0::2], atol=1e-6)
    np.testing.assert_allclose(-s * sines + c * cosines, table[shift:, 1::2], atol=1e-6)


# ---- positional layers ---------------------------------------------------------------------------

def test_positional_encoding_is_a_buffer_added_to_each_sequence():
    layer = PositionalEncoding(20, 6)
    assert layer.parameters() == [] and not layer.encoding.requires_grad
    x = RNG.standard_normal((3, 8, 6)).astype(np.float32)
    out = layer(Tensor(x))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, x + sinusoidal_encoding(20, 6)[:8], rtol=1e-6)
    np.testing.assert_allclose(layer(x).data, out.data)  # a numpy array works too
    assert layer(Tensor(np.zeros((8, 6)))).shape == (8, 6)  # unbatched input


@pytest.mark.parametrize("layer_class", [PositionalEncoding, LearnedPositionalEncoding])
def test_positional_layers_refuse_long_sequences_and_wrong_widths(layer_class):
    layer = layer_class(10, 4)
    with pytest.raises(ValueError, match=r"11.*10"):
        layer(Tensor(np.zeros((2, 11, 4))))
    with pytest.raises(ValueError, match=r"\(\.\.\., seq_len, 4\)"):
        layer(Tensor(np.zeros((2, 3, 5))))
    assert layer(Tensor(np.zeros((2, 10, 4)))).shape == (2, 10, 4)


def test_learned_positional_encoding_is_a_small_trainable_table():
    np.random.seed(3)
    layer = LearnedPositionalEncoding(256, 64)
    weight = layer.weight
    assert weight.shape == (256, 64) and weight.dtype == np.float32 and weight.requires_grad
    assert layer.parameters() == [weight]
    assert abs(weight.data.std() - 0.02) < 0.001
    x = RNG.standard_normal((2, 5, 64))
    np.testing.assert_allclose(layer(Tensor(x)).data, x + weight.data[:5], rtol=1e-6)


def test_reprs_name_the_sizes():
    assert repr(Embedding(7, 3)) == "Embedding(vocab_size=7, embed_dim=3)"
    assert repr(PositionalEncoding(5, 2)) == "PositionalEncoding(max_seq_len=5, embed_dim=2)"
    assert repr(LearnedPositionalEncoding(5, 2)) == "LearnedPositionalEncoding(max_seq_len=5, embed_dim=2)"
