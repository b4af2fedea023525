"""Forward behaviour of tinytorch.core.attention (module 12): scores, masks, heads, shapes, memory."""
import numpy as np
import pytest

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from tinytorch.core.attention import (
    MASK_VALUE, MultiHeadAttention, apply_mask, attention_scores, causal_mask, merge_heads,
    scaled_dot_product_attention, split_heads,
)
from tinytorch.core.layers import Linear
from tinytorch.core.tensor import Tensor

RNG = np.random.default_rng(120)


def numpy_attention(q, k, v, allowed=None):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    return weights @ v, weights


def test_scores_are_scaled_dot_products_and_keep_float32():
    q, k = RNG.standard_normal((2, 3, 4, 8)).astype(np.float32), RNG.standard_normal((2, 3, 5, 8)).astype(np.float32)
    scores = attention_scores(Tensor(q), Tensor(k))
    assert scores.shape == (2, 3, 4, 5) and scores.dtype == np.float32
    np.testing.assert_allclose(scores.data, q @ np.swapaxes(k, -1, -2) / np.sqrt(8), rtol=1e-5)


def test_scaling_keeps_score_variance_near_one_for_any_head_size():
    for d in (4, 64, 1024):
        q, k = RNG.standard_normal((500, d)), RNG.standard_normal((40, d))
        variance = attention_scores(Tensor(q), Tensor(k)).data.var()
        assert 0.8 < variance < 1.2, (d, variance)


@pytest.mark.parametrize("lead", [(), (3,), (2, 4)])
def test_attention_matches_numpy_with_and_without_a_mask(lead):
    q, k, v = RNG.standard_normal(lead + (4, 6)), RNG.standard_normal(lead + (7, 6)), RNG.standard_normal(lead + (7, 3))
    allowed = RNG.random((4, 7)) < 0.5
    allowed[:, 0] = True
    for mask in (None, allowed, allowed.astype(int), Tensor(allowed.astype(np.float64))):
        output, weights = scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v), mask)
        expected_output, expected_weights = numpy_attention(q, k, v, None if mask is None else allowed)
        np.testing.assert_allclose(weights.data, expected_weights, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(output.data, expected_output, rtol=1e-10, atol=1e-14)


def test_masked_positions_weigh_exactly_zero_and_rows_sum_to_one():
    scores_shape = (2, 3, 6, 6)
    q, k, v = (Tensor(RNG.standard_normal(scores_shape[:-1] + (4,)).astype(np.float32)) for _ in range(3))
    _, weights = scaled_dot_product_attention(q, k, v, causal_mask(6))
    assert np.all(weights.data[..., ~causal_mask(6)] == 0.0)
    np.testing.assert_allclose(weights.data.sum(axis=-1), 1.0, rtol=1e-6)


def test_fully_masked_row_is_finite_not_nan():
    q, k, v = (Tensor(RNG.standard_normal((3, 4)).astype(np.float32)) for _ in range(3))
    blocked = np.ones((3, 3), dtype=bool)
    blocked[1] = False
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        output, weights = scaled_dot_product_attention(q, k, v, blocked)
    assert np.all(np.isfinite(output.data)) and np.all(np.isfinite(weights.data))
    np.testing.assert_allclose(weights.data[1].sum(), 1.0, rtol=1e-6)


def test_huge_scores_do_not_overflow():
    q = Tensor(np.full((1, 3, 4), 1e3))
    k = Tensor(RNG.standard_normal((1, 3, 4)) * 1e3)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        _, weights = scaled_dot_product_attention(q, k, q, causal_mask(3))
    assert np.all(np.isfinite(weights.data))


def test_apply_mask_rejects_a_mask_that_would_grow_the_scores():
    scores = Tensor(np.zeros((2, 4, 4)))
    assert np.all(apply_mask(scores, np.zeros((4, 4), dtype=bool)).data == MASK_VALUE)
    for bad in [(3, 4), (3, 2, 4, 4), (4, 5)]:
        with pytest.raises(ValueError):
            apply_mask(scores, np.ones(bad, dtype=bool))


def test_causal_mask_is_the_lower_triangle():
    for n in (1, 5, 64):
        i, j = np.indices((n, n))
        np.testing.assert_array_equal(causal_mask(n), j <= i)
        assert causal_mask(n).dtype == bool


def test_split_and_merge_heads_are_inverse_and_slice_features():
    x = RNG.standard_normal((2, 5, 12))
    heads = split_heads(Tensor(x), 3)
    assert heads.shape == (2, 3, 5, 4)
    np.testing.assert_array_equal(heads.data[:, 1], x[:, :, 4:8])
    np.testing.assert_array_equal(merge_heads(heads).data, x)
    with pytest.raises(ValueError):
        split_heads(Tensor(x), 5)


def test_multi_head_attention_equals_heads_computed_one_by_one():
    np.random.seed(1)
    mha = MultiHeadAttention(12, 4)
    x = RNG.standard_normal((3, 6, 12)).astype(np.float32)
    output = mha(Tensor(x), causal_mask(6)).data
    q, k, v = (x @ layer.weight.data + layer.bias.data for layer in (mha.q_proj, mha.k_proj, mha.v_proj))
    heads = [numpy_attention(q[..., h * 3:(h + 1) * 3], k[..., h * 3:(h + 1) * 3], v[..., h * 3:(h + 1) * 3], causal_mask(6))[0]
             for h in range(4)]
    expected = np.concatenate(heads, axis=-1) @ mha.out_proj.weight.data + mha.out_proj.bias.data
    np.testing.assert_allclose(output, expected, rtol=1e-4, atol=1e-5)
    assert mha.attention_weights.shape == (3, 4, 6, 6) and isinstance(mha.attention_weights, np.ndarray)


def test_multi_head_attention_layout_and_errors():
    mha = MultiHeadAttention(8, 2)
    assert all(isinstance(getattr(mha, n), Linear) for n in ("q_proj", "k_proj", "v_proj", "out_proj"))
    assert len(mha.parameters()) == 8 and mha.head_dim == 4 and mha.attention_weights is None
    assert "MultiHeadAttention(embed_dim=8, num_heads=2)" == repr(mha)
    with pytest.raises(ValueError):
        MultiHeadAttention(10, 4)
    with pytest.raises(ValueError):
        mha(Tensor(np.zeros((4, 8))))
    with pytest.raises(ValueError):
        mha(Tensor(np.zeros((1, 4, 6))))


def test_a_batch_mask_of_shape_b_1_1_t_hides_padding_keys():
    np.random.seed(2)
    mha = MultiHeadAttention(8, 2)
    x = RNG.standard_normal((2, 5, 8))
    padding = np.ones((2, 1, 1, 5), dtype=bool)
    padding[0, ..., 3:] = False  # sequence 0 has two padding tokens at the end
    mha(Tensor(x), padding)
    assert np.all(mha.attention_weights[0, :, :, 3:] == 0.0)
    changed = x.copy()
    changed[0, 3:] = RNG.standard_normal((2, 8))
    np.testing.assert_allclose(mha(Tensor(changed), padding).data[0, :3], mha(Tensor(x), padding).data[0, :3], atol=1e-12)


def test_score_memory_is_quadratic_in_sequence_length():
    sizes = {}
    for seq_len in (64, 128, 256):
        q = Tensor(np.zeros((1, 2, seq_len, 8), dtype=np.float32))
        _, weights = scaled_dot_product_attention(q, q, q)
        sizes[seq_len] = weights.data.nbytes
    assert sizes[128] == 4 * sizes[64] and sizes[256] == 4 * sizes[128]
    assert sizes[64] == 4 * 2 * 64 * 64
