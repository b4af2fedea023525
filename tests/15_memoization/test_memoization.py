"""tinytorch.perf.memoization (module 15): the KV cache's storage and errors, its memory formula,
and cached GPT inference against module 13's full forward and generate, over many sizes."""
import numpy as np
import pytest

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from tinytorch.core.attention import MultiHeadAttention, causal_mask
from tinytorch.core.tensor import Tensor
from tinytorch.core.transformer import GPT
from tinytorch.perf.memoization import (
    KVCache, cache_for, cached_attention, cached_forward, generate_cached, kv_cache_bytes,
)


def gpt(seed, vocab_size=11, embed_dim=12, num_layers=2, num_heads=3, max_seq_len=10, dtype=np.float64, noise=0.1):
    np.random.seed(seed)
    model = GPT(vocab_size, embed_dim, num_layers, num_heads, max_seq_len)
    rng = np.random.default_rng(seed)
    for p in model.parameters():  # move LayerNorms off ones and zeros
        p.data = (p.data + noise * rng.standard_normal(p.data.shape)).astype(dtype)
    return model


def test_append_writes_at_length_and_returns_views_of_everything_so_far():
    cache = KVCache(2, 3, 2, 6, 4, dtype=np.float64)
    rng = np.random.default_rng(0)
    first = rng.standard_normal((3, 2, 4, 4))
    keys, values = cache.append(1, first, -first)
    assert keys.shape == (3, 2, 4, 4) and cache.length == 0
    assert np.shares_memory(keys, cache.keys) and np.shares_memory(values, cache.values)
    cache.append(0, first, first)
    cache.advance(4)
    second = rng.standard_normal((3, 2, 2, 4))
    keys, values = cache.append(1, second, -second)
    np.testing.assert_array_equal(keys, np.concatenate([first, second], axis=2))
    np.testing.assert_array_equal(values, -np.concatenate([first, second], axis=2))
    assert cache.get(1)[0].shape == (3, 2, 4, 4), "get returns the committed positions only"
    np.testing.assert_array_equal(cache.get(0)[1], first)


def test_full_cache_and_bad_shapes_raise_readable_errors():
    cache = KVCache(1, 1, 2, 3, 2)
    with pytest.raises(ValueError, match="full"):
        cache.append(0, np.zeros((1, 2, 4, 2)), np.zeros((1, 2, 4, 2)))
    cache.append(0, np.zeros((1, 2, 3, 2)), np.zeros((1, 2, 3, 2)))
    cache.advance(3)
    with pytest.raises(ValueError, match="full"):
        cache.append(0, np.zeros((1, 2, 1, 2)), np.zeros((1, 2, 1, 2)))
    with pytest.raises(ValueError, match="full"):
        cache.advance(1)
    cache.reset()
    with pytest.raises(ValueError, match="head_dim=2"):
        cache.append(0, np.zeros((1, 2, 1, 3)), np.zeros((1, 2, 1, 3)))
    with pytest.raises(ValueError, match="differ"):
        cache.append(0, np.zeros((1, 2, 1, 2)), np.zeros((1, 2, 2, 2)))
    with pytest.raises(IndexError, match="layer 1"):
        cache.append(1, np.zeros((1, 2, 1, 2)), np.zeros((1, 2, 1, 2)))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_nbytes_is_the_formula(dtype):
    for sizes in [(1, 1, 1, 1, 1), (2, 3, 4, 5, 6), (12, 1, 12, 16, 64)]:
        cache = KVCache(*sizes, dtype=dtype)
        assert cache.nbytes == kv_cache_bytes(*sizes, dtype=dtype) == 2 * int(np.prod(sizes)) * np.dtype(dtype).itemsize
    assert kv_cache_bytes(12, 1, 12, 1024, 64) == 75_497_472  # GPT-2 small, one 1024-token sequence


def test_cache_for_takes_the_models_sizes_and_dtype():
    model = gpt(1, embed_dim=12, num_layers=3, num_heads=4, max_seq_len=9, dtype=np.float32)
    cache = cache_for(model, 5)
    assert cache.keys.shape == (3, 5, 4, 9, 3) and cache.dtype == np.float32
    assert cache_for(gpt(1), 2, max_seq_len=4).keys.shape == (2, 2, 3, 4, 4)
    assert cache_for(gpt(1), 2).dtype == np.float64


@pytest.mark.parametrize("seed", range(4))
def test_cached_attention_equals_rows_of_full_causal_attention(seed):
    rng = np.random.default_rng(seed)
    np.random.seed(seed)
    heads, head_dim, batch, length = 1 + seed % 3, 2 + seed, 1 + seed % 2, 7
    attention = MultiHeadAttention(heads * head_dim, heads)
    for p in attention.parameters():
        p.data = p.data.astype(np.float64)
    x = Tensor(rng.standard_normal((batch, length, heads * head_dim)))
    full = attention(x, causal_mask(length)).data
    cache = KVCache(1, batch, heads, length, head_dim, dtype=np.float64)
    for piece in np.split(np.arange(length), [3, 4, 6]):
        out = cached_attention(attention, x[:, piece], cache, 0)
        np.testing.assert_allclose(out.data, full[:, piece], rtol=1e-10, atol=1e-12)
        cache.advance(len(piece))


@pytest.mark.parametrize("num_layers,num_heads,embed_dim,batch", [(1, 1, 4, 1), (2, 3, 12, 2), (3, 2, 8, 3)])
def test_cached_forward_in_chunks_equals_the_full_forward(num_layers, num_heads, embed_dim, batch):
    model = gpt(num_layers, embed_dim=embed_dim, num_layers=num_layers, num_heads=num_heads)
    ids = np.random.default_rng(batch).integers(0, model.vocab_size, size=(batch, 10))
    full = model(ids).data
    for cuts in ([1, 2, 3, 4, 5, 6, 7, 8, 9], [4], [6, 7, 8, 9], [2, 5, 9]):
        cache = cache_for(model, batch)
        pieces = [cached_forward(model, ids[:, piece], cache).data for piece in np.split(np.arange(10), cuts)]
        np.testing.assert_allclose(np.concatenate(pieces, axis=1), full, rtol=1e-9, atol=1e-11)
        assert cache.length == 10
        with pytest.raises(ValueError, match="max_seq_len"):
            cached_forward(model, ids[:, :1], cache)


def test_cached_forward_rejects_ids_of_the_wrong_batch_size():
    model = gpt(3)
    with pytest.raises(ValueError, match="batch_size=2"):
        cached_forward(model, np.zeros((3, 1), dtype=int), cache_for(model, 2))


@pytest.mark.parametrize("options", [{"top_k": 1}, {"seed": 0}, {"temperature": 0.5, "seed": 1},
                                     {"temperature": 2.0, "top_k": 3, "seed": 2}])
@pytest.mark.parametrize("prompt_shape,new", [((5,), 3), ((2, 1), 12), ((3, 4), 20), ((2, 13), 4)])
def test_generate_cached_returns_exactly_the_tokens_of_generate(options, prompt_shape, new):
    model = gpt(7, max_seq_len=10, noise=0.5)
    prompt = np.random.default_rng(7).integers(0, model.vocab_size, size=prompt_shape)
    np.testing.assert_array_equal(generate_cached(model, prompt, new, **options), model.generate(prompt, new, **options))


def test_generate_cached_on_a_float32_model_and_with_zero_new_tokens():
    model = gpt(8, dtype=np.float32, max_seq_len=16)
    prompt = np.random.default_rng(8).integers(0, model.vocab_size, size=(2, 3))
    np.testing.assert_array_equal(generate_cached(model, prompt, 14, top_k=1), model.generate(prompt, 14, top_k=1))
    np.testing.assert_array_equal(generate_cached(model, prompt, 0), prompt)
    assert generate_cached(model, list(prompt[0]), 2, seed=0).dtype == np.int64


def test_generate_cached_restores_the_mode_and_switches_dropout_off():
    np.random.seed(9)
    model = GPT(11, 8, 1, 2, 8, dropout=0.5)
    for p in model.parameters():
        p.data = p.data.astype(np.float64)
    prompt = np.array([[1, 2, 3]])
    model.train()
    first = generate_cached(model, prompt, 6, seed=3)
    assert model.training
    np.testing.assert_array_equal(first, generate_cached(model, prompt, 6, seed=3))
    np.testing.assert_array_equal(first, model.generate(prompt, 6, seed=3))
    model.eval()
    generate_cached(model, prompt, 1)
    assert not model.training
