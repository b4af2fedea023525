# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Module 15 — Memoization: a key–value cache for generation
#
# Module 13's GPT writes text one token at a time, and every new token costs a forward pass over
# the *whole* context again. Almost all of that work repeats the previous step exactly. This
# module finds the part that repeats, stores it once, and reuses it: a **key–value cache**
# (KV cache), the optimisation every production language model uses when it generates.
#
# **What you build.**
# - `KVCache(num_layers, batch_size, num_heads, max_seq_len, head_dim, dtype)`: preallocated
#   arrays for the keys and values of every layer, with `append`, `get`, `advance`, `reset`,
#   `length` and `nbytes`, and a clear error when it would overflow;
# - `kv_cache_bytes(...)`: the memory a cache needs, by formula;
# - `cached_attention`, `cached_block` and `cached_forward`: module 12's attention, module 13's
#   block and GPT, run on the *new* tokens only, reading the old ones from the cache;
# - `generate_cached(model, ids, max_new_tokens, temperature=1.0, top_k=None, seed=None)`:
#   module 13's `generate`, token for token the same output, much faster.
#
# **Why build it yourself.** "Cache the keys and values" is one sentence; getting it *exactly*
# right is not. The position of a new token, which keys a prompt token may read, the dtype of the
# cache, the random numbers the sampler draws — each one, done slightly wrong, gives text that
# looks plausible and is not what the model would have written. You will prove equality, not
# hope for it: same logits to $10^{-10}$, same tokens exactly. Then you measure what the cache
# buys (time) and what it costs (memory).
#
# **What you need.** Module 05's `no_grad`; module 11's `as_token_ids`; module 12's
# `MultiHeadAttention`, `scaled_dot_product_attention`, `split_heads`, `merge_heads` and
# `causal_mask`; module 13's `GPT`, `TransformerBlock` and `sample_next_token`; module 06's
# `Adam` to train a model at the end. Your cache works on module 13's GPT objects *as they
# are*: it calls their layers and reads their weights, and changes nothing in them.
#
# **Where it lands.** `tinytorch/perf/memoization.py`.
#
# **A word on timings.** The course machine is a small shared box: every timing below is the
# median of a few repeats, the numbers change from run to run, and no test asserts anything
# about speed. Tests check *correctness*; the prose reports *speed*. If the timings without the
# cache look wildly slow (seconds), other programs are competing for the cores and numpy's BLAS
# threads are waiting for each other: start Jupyter with `OPENBLAS_NUM_THREADS=1`, as the
# grader does, and they steady.
#
# **How this notebook works.** Fill in the places marked `# YOUR CODE HERE` (delete the
# `raise NotImplementedError()` line), run the cell, then the test cell below it. When your
# notebook is graded, hidden tests try random model sizes, batch sizes and prompt lengths.

# %%
#| default_exp perf.memoization
#| export
import numpy as np

import tinytorch.core.autograd  # noqa: F401  (gradients on)
from tinytorch.core.attention import merge_heads, scaled_dot_product_attention, split_heads
from tinytorch.core.autograd import no_grad
from tinytorch.core.tensor import Tensor
from tinytorch.core.transformer import sample_next_token
from tinytorch.text.embeddings import as_token_ids

# %%
import time

import matplotlib.pyplot as plt

from tinytorch.core.attention import MultiHeadAttention, causal_mask
from tinytorch.core.optimizers import Adam
from tinytorch.core.transformer import GPT


def measure(compute, repeats=5):
    """(median, best) wall time in seconds of compute() over `repeats` runs, after one warm-up."""
    compute()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        compute()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), float(min(times))


def make_float64(model):
    """Every parameter of `model` as float64: equality checks to 1e-10 need it."""
    for parameter in model.parameters():
        parameter.data = parameter.data.astype(np.float64)
    return model


def tiny_gpt(seed, vocab_size=13, embed_dim=16, num_layers=2, num_heads=4, max_seq_len=12, float64=True):
    """A small, freshly initialised GPT (module 13), seeded; float64 unless told otherwise."""
    np.random.seed(seed)
    model = GPT(vocab_size, embed_dim, num_layers, num_heads, max_seq_len)
    return make_float64(model) if float64 else model


# %% [markdown]
# ## Where the waste is
#
# Generating with module 13's `generate` looks like this, for a prompt of $p$ tokens:
#
# ```
# step 1: forward(t_1 ... t_p)              -> logits at the last position -> t_{p+1}
# step 2: forward(t_1 ... t_p t_{p+1})      -> ... -> t_{p+2}
# step 3: forward(t_1 ... t_p t_{p+1} t_{p+2}) -> ...
# ```
#
# Inside every block, attention projects each position $i$ of its input $x$ to a query, a key
# and a value:
#
# $$q_i = x_i W_Q + b_Q, \qquad k_i = x_i W_K + b_K, \qquad v_i = x_i W_V + b_V,$$
#
# and the output at position $t$ reads the keys and values of positions $i \le t$ (the causal
# mask):
#
# $$\text{out}_t = \sum_{i \le t} \operatorname{softmax}_i\!\Big(\frac{q_t \cdot k_i}{\sqrt{d_h}}\Big)\, v_i .$$
#
# Now the key observation. Because of the causal mask, **nothing at position $i$ depends on any
# later position**: not the embedding, not the attention output (it reads $j \le i$ only), not
# the MLP (it works on each position alone), so not the input of the next block either. By
# induction over the blocks, the keys $k_i$ and values $v_i$ of every layer are fixed the moment
# token $i$ is known. Step 2 recomputes all of them for positions $1 \dots p$, and gets the very
# same numbers step 1 got.
#
# And the only logits `generate` uses are those of the *last* position, which needs just one
# new query, $q_t$. So one step really needs, per layer: the new token's $q_t, k_t, v_t$ (one row
# each), and all the earlier keys and values — which were computed before. Keep them, and each
# step touches one token instead of $t$. That is **memoization**: store the result of a pure
# computation the first time, look it up afterwards.
#
# The cell below checks the claim on a real GPT: the keys of the first block for a 7-token
# sequence, and for the same sequence with an eighth token appended.

# %%
def first_block_keys(model, ids):
    """The keys (B, T, D) that the first block's attention computes for `ids` (before splitting heads)."""
    block = model.blocks[0]
    x = model.position_embedding(model.token_embedding(ids))
    return block.attention.k_proj(block.ln1(x)).data


demo_model = tiny_gpt(seed=0)
demo_ids = np.random.default_rng(0).integers(0, demo_model.vocab_size, size=(1, 8))
keys_of_7 = first_block_keys(demo_model, demo_ids[:, :7])
keys_of_8 = first_block_keys(demo_model, demo_ids)
print("keys of positions 0..6, computed with 7 tokens vs with 8 tokens: largest difference",
      np.abs(keys_of_8[:, :7] - keys_of_7).max())
print("the step with 8 tokens computed", keys_of_8.shape[1], "key rows; only 1 of them was new")

# %% [markdown]
# ## Step 1 — The cache: preallocated storage
#
# For every layer $\ell$ the cache holds the keys and values of every position seen so far,
# already split into heads as attention uses them: arrays of shape
#
# ```
# keys, values: (num_layers, batch_size, num_heads, max_seq_len, head_dim)
#                                                    ^^^^^^^^^^^
#                   positions 0 .. length-1 are filled, the rest is room to grow
# ```
#
# **Why preallocate?** The obvious alternative, `np.concatenate([old_keys, new_key])` at every
# step, copies the whole cache each time: $1 + 2 + \dots + n$ rows copied for $n$ tokens — the
# quadratic cost we set out to remove, back again in the bookkeeping. Allocating the arrays once
# at their largest size and writing each new row into its slot costs one row per step. The price:
# we must know the largest length in advance, and the memory is taken from the start (Step 2
# counts it).
#
# **The methods.**
# - `append(layer, keys, values)` writes the keys and values of `count` new positions of one
#   layer — arrays of shape `(batch_size, num_heads, count, head_dim)` — into positions
#   `length ... length + count - 1`, and returns that layer's keys and values of **all** positions
#   so far, `[:, :, :length + count]`: the old ones and the new ones, ready for attention. These
#   are numpy *views* (basic slicing), so returning them copies nothing.
# - `append` does **not** move `length`: every layer appends the same new positions, one layer
#   after another. When all layers have appended, `advance(count)` moves `length` on.
# - `get(layer)` returns the views `[:, :, :length]` of the committed positions.
# - `reset()` empties the cache for a new sequence: `length = 0`. No need to zero the arrays —
#   positions at or beyond `length` are never read, and they are overwritten before they are.
# - If `length + count` would exceed `max_seq_len`, `append` (and `advance`) raise a
#   `ValueError` that says the cache is full and by how much. Numpy would not: writing
#   `a[:, :, 10:12] = x` into an array of length 11 fails with a baffling broadcasting message, or,
#   worse, a slice past the end silently comes back shorter.
#
# `_check_new_entries` is given: it checks the layer index and the shapes, so that a mistake in
# the caller reads clearly.

# %% nbgrader={"grade": false, "grade_id": "kv-cache-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
class KVCache:
    """Keys and values of every layer for the positions generated so far, in preallocated arrays.

    keys, values: numpy arrays (num_layers, batch_size, num_heads, max_seq_len, head_dim);
    positions 0 .. length - 1 are filled, the same number in every layer.
    """

    def __init__(self, num_layers, batch_size, num_heads, max_seq_len, head_dim, dtype=np.float32):
        """Keep the five sizes as attributes of the same names and `self.dtype = np.dtype(dtype)`;
        allocate `self.keys` and `self.values` with np.zeros of the shape above and that dtype;
        start with `self.length = 0`."""
        ### BEGIN SOLUTION
        self.num_layers, self.batch_size, self.num_heads = num_layers, batch_size, num_heads
        self.max_seq_len, self.head_dim = max_seq_len, head_dim
        self.dtype = np.dtype(dtype)
        shape = (num_layers, batch_size, num_heads, max_seq_len, head_dim)
        self.keys = np.zeros(shape, dtype=self.dtype)
        self.values = np.zeros(shape, dtype=self.dtype)
        self.length = 0
        ### END SOLUTION

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
        ### BEGIN SOLUTION
        end = self.length + count
        if end > self.max_seq_len:
            raise ValueError(
                f"KVCache is full: {self.length} positions stored + {count} new = {end} > max_seq_len "
                f"{self.max_seq_len}. reset() it, or build it with a larger max_seq_len."
            )
        self.keys[layer, :, :, self.length:end] = keys
        self.values[layer, :, :, self.length:end] = values
        return self.keys[layer, :, :, :end], self.values[layer, :, :, :end]
        ### END SOLUTION

    def get(self, layer):
        """The views (keys, values) of `layer` for the committed positions: [:, :, :length]."""
        ### BEGIN SOLUTION
        return self.keys[layer, :, :, :self.length], self.values[layer, :, :, :self.length]
        ### END SOLUTION

    def advance(self, count):
        """Commit `count` appended positions: length += count. Raise ValueError (cache full)
        if that would pass max_seq_len."""
        ### BEGIN SOLUTION
        if self.length + count > self.max_seq_len:
            raise ValueError(f"KVCache is full: cannot advance {self.length} by {count} past max_seq_len {self.max_seq_len}")
        self.length += count
        ### END SOLUTION

    def reset(self):
        """Forget every position (length = 0); the arrays are kept and reused."""
        ### BEGIN SOLUTION
        self.length = 0
        ### END SOLUTION

    @property
    def nbytes(self):
        """Bytes held by the key and value arrays together."""
        ### BEGIN SOLUTION
        return self.keys.nbytes + self.values.nbytes
        ### END SOLUTION

    def __repr__(self):
        return (f"KVCache(num_layers={self.num_layers}, batch_size={self.batch_size}, num_heads={self.num_heads}, "
                f"max_seq_len={self.max_seq_len}, head_dim={self.head_dim}, dtype={self.dtype}, length={self.length})")


# %% nbgrader={"grade": true, "grade_id": "kv-cache-storage", "locked": true, "points": 3, "schema_version": 3, "solution": false}
cache = KVCache(num_layers=2, batch_size=1, num_heads=2, max_seq_len=5, head_dim=3)
assert cache.keys.shape == (2, 1, 2, 5, 3) and cache.values.shape == (2, 1, 2, 5, 3), \
    f"keys/values: (layers, batch, heads, max_seq_len, head_dim) = (2, 1, 2, 5, 3), got {cache.keys.shape}"
assert cache.keys.dtype == np.float32 and cache.length == 0, "float32 by default, and empty: length 0"
first_k, first_v = np.full((1, 2, 2, 3), 1.0), np.full((1, 2, 2, 3), 2.0)
keys, values = cache.append(0, first_k, first_v)
assert keys.shape == (1, 2, 2, 3), f"append returns the keys of all positions so far: (1, 2, 2, 3), got {keys.shape}"
np.testing.assert_array_equal(values, first_v, err_msg="the values returned are the ones appended")
assert cache.length == 0, "append must not move length: advance() does, after every layer has appended"
assert np.shares_memory(keys, cache.keys), "append should return views into the cache, not copies"
cache.append(1, first_k + 10, first_v + 10)
cache.advance(2)
assert cache.length == 2, f"after advance(2), length is 2, got {cache.length}"
keys, values = cache.append(0, np.full((1, 2, 1, 3), 3.0), np.full((1, 2, 1, 3), 4.0))
assert keys.shape == (1, 2, 3, 3), "old positions and the new one: 3 positions"
np.testing.assert_array_equal(keys[0, 0, :, 0], [1.0, 1.0, 3.0], err_msg="the new key goes to position length = 2")
np.testing.assert_array_equal(values[0, 1, :, 0], [2.0, 2.0, 4.0], err_msg="the new value goes to position 2")
layer_1_keys, layer_1_values = cache.get(1)
assert layer_1_keys.shape == (1, 2, 2, 3), "get(layer) returns the committed positions only (length 2)"
np.testing.assert_array_equal(layer_1_values, first_v + 10, err_msg="each layer keeps its own values")
cache.reset()
assert cache.length == 0 and cache.get(0)[0].shape == (1, 2, 0, 3), "reset() empties the cache"
assert KVCache(1, 1, 1, 4, 2, dtype=np.float64).keys.dtype == np.float64, "dtype= chooses the arrays' dtype"
print("Step 1 passed: the cache stores, returns views, advances and resets.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1501)
for _ in range(4):
    layers, batch, heads, max_len, head_dim = (int(n) for n in rng.integers(1, 5, size=5))
    max_len += 4
    cache = KVCache(layers, batch, heads, max_len, head_dim, dtype=np.float64)
    stored_k = np.zeros((layers, batch, heads, 0, head_dim))
    stored_v = np.zeros((layers, batch, heads, 0, head_dim))
    for count in (2, 1, 1):
        new_k = rng.standard_normal((layers, batch, heads, count, head_dim))
        new_v = rng.standard_normal((layers, batch, heads, count, head_dim))
        for layer in range(layers):
            keys, values = cache.append(layer, new_k[layer], new_v[layer])
            np.testing.assert_array_equal(keys, np.concatenate([stored_k[layer], new_k[layer]], axis=2))
            np.testing.assert_array_equal(values, np.concatenate([stored_v[layer], new_v[layer]], axis=2))
            assert np.shares_memory(values, cache.values)
        cache.advance(count)
        stored_k = np.concatenate([stored_k, new_k], axis=3)
        stored_v = np.concatenate([stored_v, new_v], axis=3)
        assert cache.length == stored_k.shape[3]
        for layer in range(layers):
            np.testing.assert_array_equal(cache.get(layer)[0], stored_k[layer])
            np.testing.assert_array_equal(cache.get(layer)[1], stored_v[layer])
    cache.reset()
    assert cache.length == 0
    replacement = rng.standard_normal((batch, heads, 1, head_dim))
    keys, _ = cache.append(0, replacement, replacement)
    np.testing.assert_array_equal(keys, replacement, err_msg="after reset, position 0 is written again")
float_cache = KVCache(1, 1, 1, 3, 2)
keys, _ = float_cache.append(0, np.ones((1, 1, 1, 2)), np.ones((1, 1, 1, 2)))
assert keys.dtype == np.float32, "the cache keeps its own dtype whatever is appended"
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "kv-cache-overflow", "locked": true, "points": 2, "schema_version": 3, "solution": false}
cache = KVCache(num_layers=1, batch_size=1, num_heads=1, max_seq_len=3, head_dim=2)
row = np.ones((1, 1, 1, 2))
for _ in range(3):
    cache.append(0, row, row)
    cache.advance(1)
assert cache.length == 3, "a cache of max_seq_len 3 holds exactly 3 positions"
try:
    cache.append(0, row, row)
except ValueError as error:
    assert "3" in str(error) and "full" in str(error).lower(), f"say the cache is full and give max_seq_len 3: {error}"
else:
    raise AssertionError("appending a 4th position to a cache of max_seq_len 3 must raise ValueError")
print("Step 1 passed: a full cache says so.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1502)
for _ in range(4):
    max_len = int(rng.integers(2, 9))
    cache = KVCache(2, 2, 1, max_len, 3)
    first = int(rng.integers(1, max_len + 1))
    chunk = np.zeros((2, 1, first, 3))
    cache.append(0, chunk, chunk)
    cache.append(1, chunk, chunk)
    cache.advance(first)
    rest = max_len - first
    if rest:
        chunk = np.zeros((2, 1, rest, 3))
        cache.append(1, chunk, chunk)
        cache.advance(rest)
    assert cache.length == max_len, "filling the cache to exactly max_seq_len is allowed"
    for too_many in (1, 2):
        chunk = np.zeros((2, 1, too_many, 3))
        try:
            cache.append(0, chunk, chunk)
        except ValueError as error:
            assert "full" in str(error).lower() and str(max_len) in str(error), str(error)
        else:
            raise AssertionError(f"a full cache of {max_len} positions accepted {too_many} more")
    try:
        cache.advance(1)
    except ValueError:
        pass
    else:
        raise AssertionError("advance past max_seq_len must raise ValueError")
cache = KVCache(1, 1, 1, 4, 2)
chunk = np.zeros((1, 1, 5, 2))
try:
    cache.append(0, chunk, chunk)
except ValueError:
    pass
else:
    raise AssertionError("a prompt of 5 positions cannot go into a cache of 4")
assert cache.length == 0
### END HIDDEN TESTS

# %% [markdown]
# ## Step 2 — What the cache costs in memory
#
# The cache stores, for each of $L$ layers, a key and a value vector of $H \cdot d_h = d$ numbers
# for each of $T$ positions of each of $B$ sequences. In bytes, with $s$ bytes per number
# (4 for float32, 2 for float16):
#
# $$M_{\text{KV}} = 2 \cdot L \cdot B \cdot H \cdot T \cdot d_h \cdot s = 2\, L\, B\, T\, d\, s .$$
#
# The 2 counts keys and values. Notice what is *not* in the formula: the vocabulary, and the MLP
# (it is $\frac{2}{3}$ of the parameters, and caches nothing). And notice what is: $B$ and $T$.
# The weights are shared by every sequence, the cache is not — each sequence of a batch has its
# own. Serving many long conversations at once, a model's KV caches easily outgrow the model.
#
# Write `kv_cache_bytes` by the formula, and `nbytes` in the class above if you have not yet;
# the test checks that the two agree.

# %% nbgrader={"grade": false, "grade_id": "kv-cache-bytes-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
def kv_cache_bytes(num_layers, batch_size, num_heads, max_seq_len, head_dim, dtype=np.float32):
    """Bytes of a KV cache by the formula 2 * L * B * H * T * d_h * itemsize, as a Python int.

    Hint: np.dtype(dtype).itemsize is the number of bytes per number.
    """
    ### BEGIN SOLUTION
    return int(2 * num_layers * batch_size * num_heads * max_seq_len * head_dim * np.dtype(dtype).itemsize)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "kv-cache-memory", "locked": true, "points": 2, "schema_version": 3, "solution": false}
assert kv_cache_bytes(1, 1, 1, 1, 1) == 8, "one position of one head of one layer: a key and a value, 4 bytes each"
gpt2_small = kv_cache_bytes(num_layers=12, batch_size=1, num_heads=12, max_seq_len=1024, head_dim=64)
assert gpt2_small == 75_497_472, f"GPT-2 small, one sequence of 1024 tokens, float32: 72 MiB, got {gpt2_small:,}"
assert isinstance(gpt2_small, int), "return a Python int"
assert kv_cache_bytes(12, 1, 12, 1024, 64, dtype=np.float16) == gpt2_small // 2, "float16 halves it"
cache = KVCache(num_layers=3, batch_size=2, num_heads=4, max_seq_len=10, head_dim=8)
assert cache.nbytes == kv_cache_bytes(3, 2, 4, 10, 8), f"nbytes {cache.nbytes} should equal the formula"
print(f"Step 2 passed: GPT-2 small's cache for 1024 tokens: {gpt2_small / 2**20:.0f} MiB per sequence.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1503)
for _ in range(5):
    sizes = [int(n) for n in rng.integers(1, 7, size=5)]
    for dtype in (np.float16, np.float32, np.float64):
        cache = KVCache(*sizes, dtype=dtype)
        assert cache.nbytes == kv_cache_bytes(*sizes, dtype=dtype) == 2 * np.prod(sizes) * np.dtype(dtype).itemsize
        assert cache.nbytes == cache.keys.nbytes + cache.values.nbytes
### END HIDDEN TESTS

# %% [markdown]
# What that means for the models of this course, and for a real one. Measured: the cache's
# `nbytes`; by formula: the same number for configurations too big to allocate here. Beside each,
# the bytes of the model's own float32 parameters.

# %%
def parameter_bytes(model):
    return sum(parameter.data.nbytes for parameter in model.parameters())


np.random.seed(0)
course_gpt = GPT(vocab_size=50, embed_dim=64, num_layers=2, num_heads=4, max_seq_len=256)
course_cache = KVCache(2, 1, 4, 256, 16)
print(f"course GPT (d=64, L=2, T=256), 1 sequence:  cache {course_cache.nbytes / 2**10:8.0f} KiB measured, "
      f"{kv_cache_bytes(2, 1, 4, 256, 16) / 2**10:8.0f} KiB by formula; parameters {parameter_bytes(course_gpt) / 2**10:6.0f} KiB")
gpt2_parameter_bytes = 124_439_808 * 4  # GPT-2 small's parameters in float32
print(f"GPT-2 small (d=768, L=12, H=12), T=1024; its float32 parameters: {gpt2_parameter_bytes / 2**20:.0f} MiB")
print(f"{'batch':>7} {'cache float32':>14} {'cache float16':>14} {'float32 cache / parameters':>27}")
for batch in (1, 8, 64):
    full_size = kv_cache_bytes(12, batch, 12, 1024, 64, np.float32)
    half_size = kv_cache_bytes(12, batch, 12, 1024, 64, np.float16)
    print(f"{batch:7d} {full_size / 2**20:10.0f} MiB {half_size / 2**20:10.0f} MiB {full_size / gpt2_parameter_bytes:26.2f}x")

# %% [markdown]
# One GPT-2-small conversation of 1024 tokens needs 72 MiB of cache beside its ~475 MiB of
# float32 weights; a batch of 64 such conversations needs 4.5 GiB — ten times the model. This is
# why serving systems store caches in float16 or int8 (module 16), share the key–value heads
# between query heads (multi-query and grouped-query attention shrink $H$ in the formula), and
# allocate the cache in pages as sequences grow instead of at `max_seq_len` up front.
#
# ## Step 3 — Cached attention: one new query against all the keys
#
# `cached_attention(attention, x, cache, layer)` is module 12's `MultiHeadAttention.forward`,
# for the `count` **newest** positions only. `x` has shape `(B, count, D)`; its positions are
# `start = cache.length` to `start + count - 1`. It must reuse the module's own weights:
#
# 1. project `x` with `attention.q_proj`, `k_proj`, `v_proj` and split the heads
#    (`split_heads(..., attention.num_heads)`): $(B, H, \text{count}, d_h)$ each;
# 2. `cache.append(layer, new_keys.data, new_values.data)` stores the new keys and values and
#    returns those of **all** positions so far, $(B, H, \text{start} + \text{count}, d_h)$;
# 3. attend: `scaled_dot_product_attention(queries, Tensor(keys), Tensor(values), mask)`
#    (module 12 scales by $\sqrt{d_h}$ and applies the mask), then `merge_heads` and
#    `attention.out_proj`. Also set `attention.attention_weights` to the weights' numpy array,
#    as `forward` does.
#
# **The mask.** The scores have shape $(B, H, \text{count}, \text{start} + \text{count})$: one row
# per new query, one column per key. Query $i$ of the new ones sits at position
# $\text{start} + i$ and may read key $j$ when $j \le \text{start} + i$:
#
# ```
# start = 3, count = 2          keys:  0  1  2  3  4
#   query at position 3                ✓  ✓  ✓  ✓  .
#   query at position 4                ✓  ✓  ✓  ✓  ✓
# ```
#
# Build it with `np.arange` and broadcasting: a `(count, start + count)` boolean array. When
# `count == 1` — every step of generation after the prompt — the one query is the newest
# position, so every key in the cache is in its past: the mask would be all `True`, and you can
# pass `mask=None`. Module 12's `causal_mask(T)` does not fit here: it is square, for queries and
# keys that start at the same position.
#
# `cached_attention` does **not** advance the cache; whoever runs all the layers does (Step 4).
# The test below plays that part for a single attention layer.

# %% nbgrader={"grade": false, "grade_id": "cached-attention-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
def cached_attention(attention, x, cache, layer):
    """Module 12's MultiHeadAttention for the newest positions of a sequence, using the cache.

    attention: a MultiHeadAttention; x: Tensor (B, count, embed_dim), the positions
    cache.length .. cache.length + count - 1; cache: a KVCache; layer: this attention's index
    in the cache. Returns a Tensor (B, count, embed_dim): exactly the rows of
    attention(full_x, causal_mask(T)) for those positions. Does not advance the cache.
    """
    ### BEGIN SOLUTION
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
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "cached-attention", "locked": true, "points": 3, "schema_version": 3, "solution": false}
def float64_attention(seed, embed_dim, num_heads):
    np.random.seed(seed)
    return make_float64(MultiHeadAttention(embed_dim, num_heads))


attention = float64_attention(0, embed_dim=8, num_heads=2)
x = Tensor(np.random.default_rng(0).standard_normal((1, 5, 8)))
full = attention(x, causal_mask(5)).data
cache = KVCache(1, 1, 2, 5, 4, dtype=np.float64)
for position in range(5):
    step = cached_attention(attention, x[:, position:position + 1], cache, layer=0)
    assert isinstance(step, Tensor) and step.shape == (1, 1, 8), f"one new token in, (1, 1, 8) out; got {step.shape}"
    np.testing.assert_allclose(step.data, full[:, position:position + 1], rtol=1e-10, atol=1e-12,
                               err_msg=f"the cached step at position {position} should equal row {position} of full attention")
    cache.advance(1)
np.testing.assert_allclose(cache.get(0)[0], attention.k_proj(x).data.reshape(1, 5, 2, 4).transpose(0, 2, 1, 3),
                           rtol=1e-12, err_msg="the cache should hold the heads of k_proj(x)")
np.testing.assert_allclose(cache.get(0)[1], attention.v_proj(x).data.reshape(1, 5, 2, 4).transpose(0, 2, 1, 3),
                           rtol=1e-12, err_msg="the cache should hold the heads of v_proj(x)")
print("Step 3 passed: one token at a time, cached attention equals the full causal attention.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1504)
for trial in range(4):
    heads = int(rng.integers(1, 4))
    head_dim = int(rng.integers(1, 5))
    batch, length = int(rng.integers(1, 4)), int(rng.integers(2, 9))
    attention = float64_attention(1504 + trial, heads * head_dim, heads)
    x = Tensor(rng.standard_normal((batch, length, heads * head_dim)) * 2)
    full = attention(x, causal_mask(length)).data
    cache = KVCache(1, batch, heads, length, head_dim, dtype=np.float64)
    # a prompt chunk, then single tokens
    prompt = int(rng.integers(1, length))
    out = cached_attention(attention, x[:, :prompt], cache, 0)
    np.testing.assert_allclose(out.data, full[:, :prompt], rtol=1e-10, atol=1e-12, err_msg="prompt chunk")
    cache.advance(prompt)
    for position in range(prompt, length):
        out = cached_attention(attention, x[:, position:position + 1], cache, 0)
        np.testing.assert_allclose(out.data, full[:, position:position + 1], rtol=1e-10, atol=1e-12,
                                   err_msg=f"step at position {position}")
        assert attention.attention_weights.shape == (batch, heads, 1, position + 1)
        np.testing.assert_allclose(attention.attention_weights.sum(axis=-1), 1.0, rtol=1e-12)
        cache.advance(1)
### END HIDDEN TESTS

# %% [markdown]
# ## Step 4 — The cached GPT: block, forward, and prefill
#
# The rest of the model needs no cache at all: LayerNorm, the MLP, the residual additions and
# the vocabulary head all work on each position alone. So a cached block is module 13's
# `TransformerBlock.forward` with the attention call replaced:
#
# $$x \leftarrow x + \text{dropout}\big(\text{cached\_attention}(\text{LN}_1(x))\big), \qquad x \leftarrow x + \text{MLP}(\text{LN}_2(x)).$$
#
# And a cached forward is `GPT.forward` on the newest tokens, with two differences:
#
# - **Positions.** The newest tokens sit at positions `start = cache.length` onwards, so they get
#   rows `start ... start + count - 1` of the position table
#   (`model.position_embedding.weight[start:start + count]`, added to the token embeddings), not
#   rows `0 ... count - 1` as `LearnedPositionalEncoding.forward` would add.
# - **Advancing.** After every block has appended its keys and values, `cache.advance(count)`.
#
# **Prefill, then decode.** The same function does both phases of generation. Given the whole
# prompt of $p$ tokens and an empty cache, it computes all $p$ positions in one pass — big
# matrix products, the efficient way (module 01) — and fills the cache: the **prefill**. Given
# one token, it computes one position: a **decode step**. The logits it returns are those of the
# positions it was given; the next token is read from the last one.
#
# **No graph.** `cached_forward` runs under `no_grad()` *itself*. The cache stores plain numpy
# arrays, which cut any graph: a gradient through a cached step would silently miss every path
# through the earlier keys and values. So the cache is for inference only, and says so by never
# recording a graph — to train, use `model.forward`.
#
# **The cache's dtype.** `cache_for(model, batch_size)` builds a cache that fits the model:
# its layers, heads, head size and `max_seq_len`, and **the dtype of the model's parameters**.
# A float32 cache under a float64 model would round every key to 7 digits: close, not equal.

# %% nbgrader={"grade": false, "grade_id": "cached-gpt-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
def cache_for(model, batch_size, max_seq_len=None):
    """An empty KVCache sized for `model` (a module-13 GPT): model.num_layers layers,
    model.num_heads heads of model.embed_dim // model.num_heads features, max_seq_len
    positions (default model.max_seq_len), and the dtype of the model's token embedding weight.
    """
    max_seq_len = model.max_seq_len if max_seq_len is None else max_seq_len
    ### BEGIN SOLUTION
    return KVCache(model.num_layers, batch_size, model.num_heads, max_seq_len,
                   model.embed_dim // model.num_heads, dtype=model.token_embedding.weight.data.dtype)
    ### END SOLUTION


def cached_block(block, x, cache, layer):
    """Module 13's TransformerBlock.forward for the newest positions x (B, count, D), with
    cached_attention in place of block.attention: the pre-norm residual block."""
    ### BEGIN SOLUTION
    x = x + block.dropout(cached_attention(block.attention, block.ln1(x), cache, layer))
    return x + block.mlp(block.ln2(x))
    ### END SOLUTION


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
        ### BEGIN SOLUTION
        start, count = cache.length, ids.shape[1]
        positions = model.position_embedding.weight[start:start + count]
        x = model.dropout(model.token_embedding(ids) + positions)
        for layer, block in enumerate(model.blocks):
            x = cached_block(block, x, cache, layer)
        cache.advance(count)
        return model.lm_head(model.ln_f(x))
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "cached-gpt-logits", "locked": true, "points": 3, "schema_version": 3, "solution": false}
model = tiny_gpt(seed=1)
ids = np.random.default_rng(1).integers(0, model.vocab_size, size=(2, 9))
full_logits = model(ids).data
cache = cache_for(model, batch_size=2)
assert (cache.num_layers, cache.num_heads, cache.head_dim, cache.max_seq_len) == (2, 4, 4, 12), f"cache_for: {cache}"
assert cache.dtype == np.float64, "cache_for: the cache takes the model's dtype (float64 here)"
for position in range(9):
    step_logits = cached_forward(model, ids[:, position:position + 1], cache)
    assert isinstance(step_logits, Tensor) and step_logits.shape == (2, 1, 13), f"got {step_logits.shape}"
    np.testing.assert_allclose(step_logits.data, full_logits[:, position:position + 1], rtol=1e-9, atol=1e-10,
                               err_msg=f"cached logits at position {position} should equal model(ids)'s")
    assert cache.length == position + 1, f"cached_forward advances the cache: length {cache.length}, expected {position + 1}"
assert step_logits.grad_fn is None and not step_logits.requires_grad, "cached_forward runs under no_grad: no graph"
print("Step 4 passed: token by token, the cached GPT gives the full forward's logits at every position.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1505)
for trial in range(3):
    heads = int(rng.integers(1, 4))
    model = tiny_gpt(1505 + trial, vocab_size=int(rng.integers(5, 20)), embed_dim=heads * int(rng.integers(2, 5)),
                     num_layers=int(rng.integers(1, 4)), num_heads=heads, max_seq_len=10)
    for parameter in model.parameters():  # LayerNorms away from ones and zeros
        parameter.data += 0.1 * rng.standard_normal(parameter.data.shape)
    batch = int(rng.integers(1, 4))
    ids = rng.integers(0, model.vocab_size, size=(batch, 10))
    full_logits = model(ids).data
    cache = cache_for(model, batch)
    for position in range(10):
        step_logits = cached_forward(model, ids[:, position:position + 1], cache)
        np.testing.assert_allclose(step_logits.data, full_logits[:, position:position + 1], rtol=1e-9, atol=1e-10)
float32_model = tiny_gpt(1509, float64=False)
assert cache_for(float32_model, 1).dtype == np.float32, "a float32 model gets a float32 cache"
assert cache_for(float32_model, 3, max_seq_len=7).keys.shape == (2, 3, 4, 7, 4)
ids = rng.integers(0, 13, size=(1, 6))
float32_full = float32_model(ids).data
cache = cache_for(float32_model, 1)
steps = np.concatenate([cached_forward(float32_model, ids[:, i:i + 1], cache).data for i in range(6)], axis=1)
np.testing.assert_allclose(steps, float32_full, rtol=1e-4, atol=1e-5)
### END HIDDEN TESTS

# %% [markdown]
# The test above fed every token one at a time, from an empty cache. Generation feeds the
# prompt in **one** call (the prefill), then one token per call. The next test checks exactly
# that pattern: a prompt chunk of several tokens into an empty cache — the causal mask of Step 3
# at work — then single tokens, and also a second chunk into a cache that is not empty.

# %% nbgrader={"grade": true, "grade_id": "prefill", "locked": true, "points": 2, "schema_version": 3, "solution": false}
model = tiny_gpt(seed=2)
ids = np.random.default_rng(2).integers(0, model.vocab_size, size=(3, 10))
full_logits = model(ids).data
cache = cache_for(model, batch_size=3)
prompt_logits = cached_forward(model, ids[:, :6], cache)
assert prompt_logits.shape == (3, 6, 13) and cache.length == 6, "a 6-token prefill: logits for 6 positions, length 6"
np.testing.assert_allclose(prompt_logits.data, full_logits[:, :6], rtol=1e-9, atol=1e-10,
                           err_msg="prefill logits should equal model(ids)[:, :6] at every position")
for position in range(6, 10):
    step_logits = cached_forward(model, ids[:, position:position + 1], cache)
    np.testing.assert_allclose(step_logits.data, full_logits[:, position:position + 1], rtol=1e-9, atol=1e-10,
                               err_msg=f"decode step at position {position}, after a 6-token prefill")
print("Prefill passed: a prompt in one call, then one token at a time, gives the full forward's logits.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1506)
for trial in range(4):
    model = tiny_gpt(1506 + trial, num_layers=int(rng.integers(1, 4)), max_seq_len=11)
    for parameter in model.parameters():
        parameter.data += 0.1 * rng.standard_normal(parameter.data.shape)
    batch = int(rng.integers(1, 4))
    ids = rng.integers(0, model.vocab_size, size=(batch, 11))
    full_logits = model(ids).data
    cache = cache_for(model, batch)
    cuts = np.sort(rng.choice(np.arange(1, 11), size=2, replace=False))
    pieces = np.split(np.arange(11), cuts)
    for piece in pieces:
        logits = cached_forward(model, ids[:, piece], cache)
        np.testing.assert_allclose(logits.data, full_logits[:, piece], rtol=1e-9, atol=1e-10,
                                   err_msg=f"chunks {[list(p) for p in pieces]}, chunk {list(piece)}")
    assert cache.length == 11
    try:
        cached_forward(model, ids[:, :1], cache)
    except ValueError:
        pass
    else:
        raise AssertionError("a 12th position does not fit a model of max_seq_len 11")
### END HIDDEN TESTS

# %% [markdown]
# ## Step 5 — Cached generation: the same tokens, faster
#
# `generate_cached(model, ids, max_new_tokens, temperature=1.0, top_k=None, seed=None)` must
# return **exactly** what `model.generate(...)` returns for the same arguments: the same array,
# token for token, for greedy decoding and for sampling. Read module 13's `generate` again; yours
# has the same frame (given below: the rng, the batch axis, `eval()` and restoring the mode,
# `no_grad`). The loop is yours:
#
# - first step: `cache.reset()` and prefill the context `ids[:, -window:]` (`window =
#   model.max_seq_len`, the same crop `generate` uses) with `cached_forward`;
# - later steps: `cached_forward` of the last token `ids[:, -1:]` alone;
# - every step: the next tokens are `sample_next_token(logits.data[:, -1], temperature, top_k,
#   rng)` — the same function, with the **same generator**, called once per step as `generate`
#   calls it, so that the same random numbers are drawn in the same order; then append them
#   (`np.concatenate` along axis 1).
#
# **When the cache is full.** Once the text is longer than `max_seq_len`, `generate` crops the
# context to the last `window` tokens: every token moves one position to the left. Our position
# embeddings are *absolute* — a token's key depends on its position — so every cached key is now
# stale, and there is nothing to reuse. The honest fix: when `cache.length == window`, reset and
# prefill the cropped context again, which is what `generate` computes anyway. (Models with
# *relative* positions, such as rotary embeddings, can slide the window instead; that is one
# reason they are popular.)

# %% nbgrader={"grade": false, "grade_id": "generate-cached-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
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
                ### BEGIN SOLUTION
                # The first step, and every step once the context slides: (re)fill from the window.
                if step == 0 or cache.length == window:
                    cache.reset()
                    logits = cached_forward(model, ids[:, -window:], cache)
                else:
                    logits = cached_forward(model, ids[:, -1:], cache)
                next_ids = sample_next_token(logits.data[:, -1], temperature, top_k, rng)
                ids = np.concatenate([ids, next_ids[:, None]], axis=1)
                ### END SOLUTION
    finally:
        model.train(was_training)
    return ids[0] if single_sequence else ids


# %% nbgrader={"grade": true, "grade_id": "cached-generation", "locked": true, "points": 3, "schema_version": 3, "solution": false}
model = tiny_gpt(seed=3, max_seq_len=20)
prompt = np.random.default_rng(3).integers(0, model.vocab_size, size=(2, 4))
greedy = generate_cached(model, prompt, 10, top_k=1)
assert isinstance(greedy, np.ndarray) and greedy.shape == (2, 14), f"2 prompts of 4 + 10 new tokens: (2, 14), got {np.shape(greedy)}"
np.testing.assert_array_equal(greedy, model.generate(prompt, 10, top_k=1), err_msg="greedy: the tokens of model.generate")
sampled = generate_cached(model, prompt, 10, temperature=1.5, seed=7)
np.testing.assert_array_equal(sampled, model.generate(prompt, 10, temperature=1.5, seed=7),
                              err_msg="sampling with seed 7: the same random draws, so the same tokens as model.generate")
single = generate_cached(model, prompt[0], 5, top_k=3, seed=1)
np.testing.assert_array_equal(single, model.generate(prompt[0], 5, top_k=3, seed=1), err_msg="a 1-D prompt, top_k=3")
model.train()
generate_cached(model, prompt, 2)
assert model.training, "generate_cached restores the training mode it found"
print("Step 5 passed: cached generation writes exactly what generate writes.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1507)
for trial in range(3):
    model = tiny_gpt(1507 + trial, vocab_size=int(rng.integers(5, 30)), num_layers=int(rng.integers(1, 3)),
                     max_seq_len=int(rng.integers(6, 10)))
    for parameter in model.parameters():
        parameter.data += 0.2 * rng.standard_normal(parameter.data.shape)
    batch, prompt_len = int(rng.integers(1, 4)), int(rng.integers(1, 5))
    prompt = rng.integers(0, model.vocab_size, size=(batch, prompt_len))
    new = model.max_seq_len + 4  # past the window: the context slides
    for options in ({"top_k": 1}, {"temperature": 0.7, "seed": 11 + trial}, {"top_k": 4, "seed": 3, "temperature": 2.0}):
        np.testing.assert_array_equal(generate_cached(model, prompt, new, **options), model.generate(prompt, new, **options),
                                      err_msg=f"trial {trial}, {options}")
np.testing.assert_array_equal(generate_cached(model, prompt, 0), prompt, err_msg="max_new_tokens=0 returns the prompt")
long_prompt = rng.integers(0, model.vocab_size, size=(2, model.max_seq_len + 3))
np.testing.assert_array_equal(generate_cached(model, long_prompt, 5, seed=0), model.generate(long_prompt, 5, seed=0),
                              err_msg="a prompt longer than max_seq_len is cropped as generate crops it")
float32_model = tiny_gpt(1510, float64=False, max_seq_len=16)
prompt = rng.integers(0, 13, size=(2, 3))
np.testing.assert_array_equal(generate_cached(float32_model, prompt, 12, top_k=1), float32_model.generate(prompt, 12, top_k=1))
### END HIDDEN TESTS

# %% [markdown]
# ## Systems view — what the cache buys
#
# **Counting the work.** Write $d$ for the model width, $L$ for the layers, $V$ for the
# vocabulary and $t$ for the context length at a step. Per token and layer, the weight matrix
# products cost $2 \cdot 12 d^2$ FLOPs (four $d \times d$ projections, two $d \times 4d$ MLP
# matrices); attention costs $4 t d$ (the $t$ scores $q \cdot k_i$ and the weighted sum of $t$
# values). The head costs $2 d V$ per position.
#
# - **Without the cache**, step $t$ runs the model on all $t$ positions:
#   $C_{\text{full}}(t) \approx t\,(24 L d^2 + 2dV) + 4 L t^2 d$ — and uses the logits of one.
# - **With the cache**, step $t$ runs one position against $t$ cached keys:
#   $C_{\text{cached}}(t) \approx 24 L d^2 + 2dV + 4 L t d$.
#
# Generating $n$ tokens sums these over $t = 1 \dots n$:
#
# $$\sum_t C_{\text{full}}(t) = O\!\big(n^2 (L d^2 + dV) + n^3 L d\big), \qquad
#   \sum_t C_{\text{cached}}(t) = O\!\big(n (L d^2 + dV) + n^2 L d\big).$$
#
# The time **per token** grows linearly with the length without the cache and is almost
# constant with it (its $4Ltd$ attention term is small next to $24Ld^2$ until $t$ approaches
# $6d$). The cost of the whole generation drops from quadratic to linear in $n$, i.e. the
# speed-up itself grows like $n$.
#
# **Measuring it.** The cell below generates 200 tokens after a 16-token prompt with the course
# GPT of Step 2 ($d = 64$, $L = 2$, $V = 50$, float32), timing every single step with and without
# the cache. Each step is timed once, so the curves are noisy; the median of the surrounding
# steps smooths them.

# %%
def per_step_times(model, prompt, new_tokens, use_cache):
    """Seconds of each generation step (greedy), with or without a KV cache."""
    ids, times = prompt.copy(), []
    cache = cache_for(model, prompt.shape[0])
    with no_grad():
        for step in range(new_tokens):
            start = time.perf_counter()
            if not use_cache:
                logits = model(ids).data[:, -1]
            elif step == 0:
                logits = cached_forward(model, ids, cache).data[:, -1]
            else:
                logits = cached_forward(model, ids[:, -1:], cache).data[:, -1]
            times.append(time.perf_counter() - start)
            ids = np.concatenate([ids, logits.argmax(axis=-1)[:, None]], axis=1)
    return np.array(times)


def smooth(values, width=9):
    """Running median: a timing curve without the spikes of a shared machine."""
    padded = np.pad(values, width // 2, mode="edge")
    return np.array([np.median(padded[i:i + width]) for i in range(len(values))])


course_gpt.eval()
timing_prompt = np.random.default_rng(0).integers(0, 50, size=(1, 16))
uncached_steps = per_step_times(course_gpt, timing_prompt, 200, use_cache=False)
cached_steps = per_step_times(course_gpt, timing_prompt, 200, use_cache=True)
context = 16 + np.arange(200)

figure, (per_token_axis, total_axis) = plt.subplots(1, 2, figsize=(11, 3.8))
per_token_axis.plot(context, 1e3 * smooth(uncached_steps), label="without cache (generate)")
per_token_axis.plot(context, 1e3 * smooth(cached_steps), label="with KV cache")
per_token_axis.set(xlabel="context length t", ylabel="ms per generated token", title="Time per token")
per_token_axis.legend()
total_axis.plot(context - 15, 1e3 * np.cumsum(uncached_steps), label="without cache")
total_axis.plot(context - 15, 1e3 * np.cumsum(cached_steps), label="with KV cache")
total_axis.set(xlabel="tokens generated n", ylabel="total ms", title="Time to generate n tokens")
total_axis.legend()
figure.tight_layout()
plt.show()
print(f"first step (prefill of 16 tokens): {1e3 * uncached_steps[0]:.2f} ms without, {1e3 * cached_steps[0]:.2f} ms with the cache")
print(f"at context ~{context[-10]}: {1e3 * np.median(uncached_steps[-20:]):.2f} ms vs {1e3 * np.median(cached_steps[-20:]):.2f} ms per token")

# %% [markdown]
# The left plot is the argument above, measured: the uncached step time climbs with the context
# (a larger forward pass every time), the cached one stays nearly flat. On the right, their
# sums: a parabola against a straight line. The first step is the same for both — it is the
# prefill, a full forward pass of the prompt either way.
#
# Now whole generations, `generate` against `generate_cached`, end to end and for a few lengths
# (median of 3 runs each), beside the ratio the FLOP counts above predict.

# %%
def generation_flops(model, prompt_len, new_tokens, cached):
    """Approximate FLOPs of a generation by the formulas above (weights, attention, head)."""
    d, layers, vocab = model.embed_dim, model.num_layers, model.vocab_size
    total = 0
    for step in range(new_tokens):
        t = prompt_len + step
        positions = t if (not cached or step == 0) else 1
        total += positions * (24 * layers * d * d + 2 * d * vocab) + 4 * layers * positions * t * d
    return total


print(f"{'new tokens':>10} {'generate':>12} {'cached':>12} {'speed-up':>9} {'FLOP ratio':>11}")
for new_tokens in (16, 64, 128):
    uncached_time, _ = measure(lambda: course_gpt.generate(timing_prompt, new_tokens, top_k=1), repeats=3)
    cached_time, _ = measure(lambda: generate_cached(course_gpt, timing_prompt, new_tokens, top_k=1), repeats=3)
    flop_ratio = generation_flops(course_gpt, 16, new_tokens, False) / generation_flops(course_gpt, 16, new_tokens, True)
    print(f"{new_tokens:10d} {1e3 * uncached_time:9.1f} ms {1e3 * cached_time:9.1f} ms {uncached_time / cached_time:8.1f}x "
          f"{flop_ratio:10.1f}x")

# %% [markdown]
# The speed-up grows with the length, as the counts predict — but it stays below the FLOP ratio.
# A cached step multiplies matrices of *one* row: a few thousand FLOPs per layer, which numpy
# finishes in well under a microsecond, while the framework's overhead per operation (creating
# Tensors, the Python calls of every layer — module 13 counted about a hundred operations per
# forward) stays the same as for a long context. At this size, cached generation is bound by
# overhead, not arithmetic; in a large model, where $d$ is in the thousands, the matrix products
# dominate again and the speed-up approaches the FLOP ratio. Real inference engines also batch
# many users' decode steps together to give the hardware bigger matrices — which is exactly
# where the memory of Step 2 becomes the limit: time traded for memory.
#
# ## Putting it together — a trained GPT, cached
#
# The equality tests so far used random models, whose next-token distributions are flat. A
# trained model is confident, and its generated text is something you can read. The cell below
# trains a small character GPT for 100 Adam steps (module 06) on a repetitive text, then
# generates with and without the cache.

# %%
text = "the cache keeps the keys. the values stay. the queries come and go. " * 6
vocabulary = sorted(set(text))
encode = lambda string: np.array([vocabulary.index(char) for char in string], dtype=np.int64)  # noqa: E731
decode = lambda ids: "".join(vocabulary[int(i)] for i in ids)  # noqa: E731
text_ids = encode(text)


def train_briefly(model, steps, seq_len, seed):
    """Adam on random windows of the text; returns the losses."""
    optimizer = Adam(model.parameters(), lr=1e-2)
    window_rng = np.random.default_rng(seed)
    losses = []
    for _ in range(steps):
        starts = window_rng.integers(0, len(text_ids) - seq_len - 1, size=8)
        inputs = np.stack([text_ids[s:s + seq_len] for s in starts])
        targets = np.stack([text_ids[s + 1:s + seq_len + 1] for s in starts])
        optimizer.zero_grad()
        loss = model.loss(inputs, targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


np.random.seed(15)
text_gpt = GPT(len(vocabulary), embed_dim=32, num_layers=2, num_heads=4, max_seq_len=24)
losses = train_briefly(text_gpt, steps=100, seq_len=24, seed=15)
print(f"loss {losses[0]:.2f} -> {np.mean(losses[-5:]):.2f}")
start = time.perf_counter()
uncached_text = text_gpt.generate(encode("the "), 60, temperature=0.8, seed=0)
middle = time.perf_counter()
cached_text = generate_cached(text_gpt, encode("the "), 60, temperature=0.8, seed=0)
end = time.perf_counter()
print(f"generate        ({1e3 * (middle - start):5.0f} ms): {decode(uncached_text)!r}")
print(f"generate_cached ({1e3 * (end - middle):5.0f} ms): {decode(cached_text)!r}")

# %% [markdown]
# 64 characters with a 24-character window: the context slides for most of them, and the
# cache is refilled whenever it is full, yet the texts agree character for character.
#
# The graded integration test runs the whole course stack around the cache: a GPT trained with
# Adam, cached and uncached generation that must agree, and training that must carry on
# correctly afterwards — the cache must leave no graph and no gradient behind.

# %% nbgrader={"grade": true, "grade_id": "memoization-integration", "locked": true, "points": 3, "schema_version": 3, "solution": false}
np.random.seed(16)
model = GPT(len(vocabulary), embed_dim=16, num_layers=2, num_heads=2, max_seq_len=16)
losses = train_briefly(model, steps=30, seq_len=16, seed=16)
assert losses[-1] < 0.7 * losses[0], f"the GPT should learn: loss {losses[0]:.2f} -> {losses[-1]:.2f}"
for parameter in model.parameters():
    parameter.grad = None
prompt = encode("the ")
for options in ({"top_k": 1}, {"temperature": 0.9, "seed": 4}):
    np.testing.assert_array_equal(generate_cached(model, prompt, 20, **options), model.generate(prompt, 20, **options),
                                  err_msg=f"a trained GPT, {options}: cached and uncached generation must agree")
assert all(parameter.grad is None for parameter in model.parameters()), \
    "generation runs under no_grad: it must not leave gradients on the parameters"
model.loss(text_ids[None, :16], text_ids[None, 1:17]).backward()
assert all(parameter.grad is not None for parameter in model.parameters()), "training works after cached generation"
print("Integration passed: a trained GPT generates the same text with and without the cache.")
### BEGIN HIDDEN TESTS
np.random.seed(1508)
model = GPT(len(vocabulary), embed_dim=24, num_layers=3, num_heads=3, max_seq_len=10)
train_briefly(model, steps=15, seq_len=10, seed=1508)
batch_prompt = np.stack([encode("the "), encode("keys"), encode(" go.")])
for options in ({"top_k": 1}, {"temperature": 1.2, "top_k": 5, "seed": 1508}):
    np.testing.assert_array_equal(generate_cached(model, batch_prompt, 14, **options), model.generate(batch_prompt, 14, **options))
for parameter in model.parameters():
    parameter.grad = None
generate_cached(model, batch_prompt, 3)
assert all(parameter.grad is None for parameter in model.parameters())
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# - **Why a cache works.** Under a causal mask nothing at position $i$ depends on later
#   positions, so every layer's keys and values are final the moment token $i$ is known; a decode
#   step needs one new query, key and value per layer, plus all the old keys and values.
# - **`KVCache`**: preallocated `(L, B, H, T_max, d_h)` arrays (no reallocation or copying per
#   token), `append` returning views, `advance` once all layers appended, `reset`, and a clear
#   error instead of an overflow.
# - **Memory**: $2 L B H T d_h s$ bytes — 72 MiB per 1024-token GPT-2-small sequence in float32,
#   growing with batch and length, and easily larger than the model.
# - **Exactness**: positions offset by the cache length, a rectangular causal mask for the
#   prefill (none for one token), the model's dtype for the cache, the same sampler with the same
#   generator — and the cached GPT gives the full forward's logits and `generate`'s tokens.
# - **Speed**: per-token work from $O(t\,d^2 + t^2 d)$ to $O(d^2 + t\,d)$ per layer; measured,
#   the speed-up grows with the length, held back at this size by per-operation overhead.
#
# **Next:** module 16 quantizes the model (and the same idea shrinks a cache), module 17 prunes
# it, and module 18 attacks the overhead that limits the speed-up here.
#
# **Export your work** into your own package: `python -m autograder export` with this notebook
# writes `tinytorch/perf/memoization.py`.
