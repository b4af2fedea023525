# Generated from modules/15_memoization/15_memoization.py by `make build`: do not edit.
# Change the module source and run `make build` again.

import numpy as np

import tinytorch.core.autograd  # noqa: F401  (gradients on)
from tinytorch.core.attention import merge_heads, scaled_dot_product_attention, split_heads
from tinytorch.core.autograd import no_grad
from tinytorch.core.tensor import Tensor
from tinytorch.core.transformer import sample_next_token
from tinytorch.text.embeddings import as_token_ids


class KVCache:
    """Keys and values of every layer for the positions generated so far, in preallocated arrays.

    keys, values: numpy arrays (num_layers, batch_size, num_heads, max_seq_len, head_dim);
    positions 0 .. length - 1 are filled, the same number in every layer.
    """

    def __init__(self, num_layers, batch_size, num_heads, max_seq_len, head_dim, dtype=np.float32):
        """Keep the five sizes as attributes of the same names and `self.dtype = np.dtype(dtype)`;
        allocate `self.keys` and `self.values` with np.zeros of the shape above and that dtype;
        start with `self.length = 0`."""
        self.num_layers, self.batch_size, self.num_heads = num_layers, batch_size, num_heads
        self.max_seq_len, self.head_dim = max_seq_len, head_dim
        self.dtype = np.dtype(dtype)
        shape = (num_layers, batch_size, num_heads, max_seq_len, head_dim)
        self.keys = np.zeros(shape, dtype=self.dtype)
        self.values = np.zeros(shape, dtype=self.dtype)
        self.length = 0

    def _check_new_entries(self, layer, keys, values):
        """Raise a readable error unless `layer` is a layer index and keys/values have the shape
        (batch_size, num_heads, count, head_dim) with count >= 1. Returns count."""
        if not 0 <= layer < self.num_layers:
            raise IndexError(f"layer {layer} is out of range for a cache of {self.num_layers} layers")
        expected = f"(batch_size={self.batch_size}, num_heads={self.num_heads}, count, head_dim={self.head_dim})"
        for name, array in (("keys", keys), ("values", values)):
            if (np.ndim(array) != 4 or np.shape(array)[:2] != (self.batch_size, self.num_heads)
                    or np.shape(array)[3] != self.head_dim or np.shape(array)[2] < 1):
                raise ValueError(f"KVCache.append: {name} should have shape {expected}, got {np.shape(array)}")
        if np.shape(keys) != np.shape(values):
            raise ValueError(f"KVCache.append: keys {np.shape(keys)} and values {np.shape(values)} differ in shape")
        return np.shape(keys)[2]

    def append(self, layer, keys, values):
        """Store `count` new positions of one layer; return that layer's keys and values so far.

        keys, values: arrays (batch_size, num_heads, count, head_dim). Write them into positions
        length .. length + count - 1 of self.keys[layer] and self.values[layer]; do not change
        self.length (advance does that once every layer has appended). Return the views
        (self.keys[layer, :, :, :length + count], self.values[layer, :, :, :length + count]).

        Raise ValueError when length + count > max_seq_len: say the cache is full, and give
        length, count and max_seq_len.
        """
        count = self._check_new_entries(layer, keys, values)
        end = self.length + count
        if end > self.max_seq_len:
            raise ValueError(
                f"KVCache is full: {self.length} positions stored + {count} new = {end} > max_seq_len "
                f"{self.max_seq_len}. reset() it, or build it with a larger max_seq_len."
            )
        self.keys[layer, :, :, self.length:end] = keys
        self.values[layer, :, :, self.length:end] = values
        return self.keys[layer, :, :, :end], self.values[layer, :, :, :end]

    def get(self, layer):
        """The views (keys, values) of `layer` for the committed positions: [:, :, :length]."""
        return self.keys[layer, :, :, :self.length], self.values[layer, :, :, :self.length]

    def advance(self, count):
        """Commit `count` appended positions: length += count. Raise ValueError (cache full)
        if that would pass max_seq_len."""
        if self.length + count > self.max_seq_len:
            raise ValueError(f"KVCache is full: cannot advance {self.length} by {count} past max_seq_len {self.max_seq_len}")
        self.length += count

    def reset(self):
        """Forget every position (length = 0); the arrays are kept and reused."""
        self.length = 0

    @property
    def nbytes(self):
        """Bytes held by the key and value arrays together."""
        return self.keys.nbytes + self.values.nbytes

    def __repr__(self):
        return (f"KVCache(num_layers={self.num_layers}, batch_size={self.batch_size}, num_heads={self.num_heads}, "
                f"max_seq_len={self.max_seq_len}, head_dim={self.head_dim}, dtype={self.dtype}, length={self.length})")


def kv_cache_bytes(num_layers, batch_size, num_heads, max_seq_len, head_dim, dtype=np.float32):
    """Bytes of a KV cache by the formula 2 * L * B * H * T * d_h * itemsize, as a Python int.

    Hint: np.dtype(dtype).itemsize is the number of bytes per number.
    """
    return int(2 * num_layers * batch_size * num_heads * max_seq_len * head_dim * np.dtype(dtype).itemsize)


def cached_attention(attention, x, cache, layer):
    """Module 12's MultiHeadAttention for the newest positions of a sequence, using the cache.

    attention: a MultiHeadAttention; x: Tensor (B, count, embed_dim), the positions
    cache.length .. cache.length + count - 1; cache: a KVCache; layer: this attention's index
    in the cache. Returns a Tensor (B, count, embed_dim): exactly the rows of
    attention(full_x, causal_mask(T)) for those positions. Does not advance the cache.
    """
    start, count = cache.length, x.shape[1]
    queries = split_heads(attention.q_proj(x), attention.num_heads)
    new_keys = split_heads(attention.k_proj(x), attention.num_heads)
    new_values = split_heads(attention.v_proj(x), attention.num_heads)
    keys, values = cache.append(layer, new_keys.data, new_values.data)
    # One newest query reads every cached position; several need the causal rule j <= start + i.
    mask = None
    if count > 1:
        mask = np.arange(start + count)[None, :] <= start + np.arange(count)[:, None]
    output, weights = scaled_dot_product_attention(queries, Tensor(keys), Tensor(values), mask)
    attention.attention_weights = weights.data
    return attention.out_proj(merge_heads(output))


def cache_for(model, batch_size, max_seq_len=None):
    """An empty KVCache sized for `model` (a module-13 GPT): model.num_layers layers,
    model.num_heads heads of model.embed_dim // model.num_heads features, max_seq_len
    positions (default model.max_seq_len), and the dtype of the model's token embedding weight.
    """
    max_seq_len = model.max_seq_len if max_seq_len is None else max_seq_len
    return KVCache(model.num_layers, batch_size, model.num_heads, max_seq_len,
                   model.embed_dim // model.num_heads, dtype=model.token_embedding.weight.data.dtype)


def cached_block(block, x, cache, layer):
    """Module 13's TransformerBlock.forward for the newest positions x (B, count, D), with
    cached_attention in place of block.attention: the pre-norm residual block."""
    x = x + block.dropout(cached_attention(block.attention, block.ln1(x), cache, layer))
    return x + block.mlp(block.ln2(x))


def cached_forward(model, ids, cache):
    """Logits (B, count, vocab_size) for the `count` newest tokens `ids` (B, count), reading
    the earlier positions from `cache`, which it then advances by count. Runs under no_grad.

    Steps: start = cache.length; x = token embeddings of ids + position rows start ..
    start + count - 1 of model.position_embedding.weight; model.dropout; every block with
    cached_block (block i is layer i of the cache); cache.advance(count); ln_f; lm_head.
    """
    ids = as_token_ids(ids)
    if ids.ndim != 2 or ids.shape[0] != cache.batch_size:
        raise ValueError(f"cached_forward expects ids of shape (batch_size={cache.batch_size}, count), got {ids.shape}")
    if cache.length + ids.shape[1] > model.max_seq_len:
        raise ValueError(
            f"{cache.length} cached + {ids.shape[1]} new positions exceed the model's max_seq_len {model.max_seq_len}"
        )
    with no_grad():
        start, count = cache.length, ids.shape[1]
        positions = model.position_embedding.weight[start:start + count]
        x = model.dropout(model.token_embedding(ids) + positions)
        for layer, block in enumerate(model.blocks):
            x = cached_block(block, x, cache, layer)
        cache.advance(count)
        return model.lm_head(model.ln_f(x))


def generate_cached(model, ids, max_new_tokens, temperature=1.0, top_k=None, seed=None):
    """Module 13's GPT.generate with a KV cache: the same tokens, one position computed per step.

    ids: (B, T) or (T,) integers (the prompt); returns a new int64 array with max_new_tokens
    tokens appended, the same array model.generate(ids, max_new_tokens, temperature, top_k,
    seed) returns.

    Each step: on the first step, or when the cache is full (cache.length == window), reset
    the cache and prefill it with cached_forward(model, ids[:, -window:], cache); otherwise
    feed the last token alone, ids[:, -1:]. Then draw the next tokens with
    sample_next_token(logits.data[:, -1], temperature, top_k, rng) and append them to ids.
    """
    rng = np.random.default_rng(seed)
    ids = as_token_ids(ids)
    single_sequence = ids.ndim == 1
    if single_sequence:
        ids = ids[None, :]
    window = model.max_seq_len
    cache = cache_for(model, ids.shape[0])
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            for step in range(max_new_tokens):
                # The first step, and every step once the context slides: (re)fill from the window.
                if step == 0 or cache.length == window:
                    cache.reset()
                    logits = cached_forward(model, ids[:, -window:], cache)
                else:
                    logits = cached_forward(model, ids[:, -1:], cache)
                next_ids = sample_next_token(logits.data[:, -1], temperature, top_k, rng)
                ids = np.concatenate([ids, next_ids[:, None]], axis=1)
    finally:
        model.train(was_training)
    return ids[0] if single_sequence else ids
