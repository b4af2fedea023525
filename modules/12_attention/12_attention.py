# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Module 12 — Attention
#
# A convolution looks at a fixed neighbourhood; a recurrent network passes one summary vector
# from token to token. **Attention** lets every position of a sequence look at *every other
# position* and decide, from the content itself, which ones matter. It is the one operation
# every transformer — every GPT — is built around.
#
# **What you build.**
# - `attention_scores(Q, K)`: how well each query matches each key, scaled by $1/\sqrt{d}$;
# - `apply_mask(scores, mask)`: forbid some query–key pairs (future tokens, padding);
# - `scaled_dot_product_attention(Q, K, V, mask=None)`, returning the output and the weights;
# - `causal_mask(seq_len)`: the mask that keeps a language model from reading the future;
# - `split_heads` / `merge_heads` and `MultiHeadAttention(embed_dim, num_heads)`: several
#   attention patterns computed side by side, all heads in one batched matrix product.
#
# **Why build it yourself.** Attention is five lines of code, and each hides a decision that
# matters: why divide by $\sqrt{d}$ (you will measure softmax saturating without it), why mask
# with $-10^9$ and not $-\infty$ (you will see the NaN), why heads are a reshape *and a
# transpose*. And attention is where transformers spend their memory: the score matrix grows
# with the *square* of the sequence length, which you will measure.
#
# **What you need.** Module 01's `Tensor` (`@`, `transpose`, `reshape`), module 02's
# `Softmax(dim)`, module 03's `Layer` and `Linear`, module 04's `CrossEntropyLoss` (for the
# final experiment) and module 05's autograd: every function here is built from Tensor
# operations, so `loss.backward()` differentiates it with no backward of your own.
# Modules 10–11 (tokens and embeddings) are not needed: the tests feed random tensors and
# one-hot vectors.
#
# **Where it lands.** `tinytorch/core/attention.py`. Module 13 stacks your
# `MultiHeadAttention` into a `TransformerBlock` and a GPT; module 15 caches its keys and
# values to generate text fast.
#
# **How this notebook works.** Fill in the places marked `# YOUR CODE HERE` (delete the
# `raise NotImplementedError()` line), run the cell, then the test cell below it. When your
# notebook is graded, hidden tests in the same cells try random shapes and masks and compare
# your gradients with central differences.

# %%
#| default_exp core.attention
#| export
import numpy as np

import tinytorch.core.autograd  # noqa: F401  (gradients on)
from tinytorch.core.tensor import Tensor
from tinytorch.core.activations import Softmax
from tinytorch.core.layers import Layer, Linear

# %%
import time

import matplotlib.pyplot as plt

from tinytorch.core.autograd import no_grad
from tinytorch.core.losses import CrossEntropyLoss

# %% [markdown]
# ## Attention as a soft dictionary lookup
#
# A Python dictionary maps a query to *one* value: the value whose key equals the query.
# Attention does the same thing softly. Every position $i$ of a sequence emits three vectors:
#
# - a **query** $q_i$: "what am I looking for?"
# - a **key** $k_j$: "what do I contain?" (as seen by others' queries)
# - a **value** $v_j$: "what do I hand over if you pick me?"
#
# Query $i$ scores every key by a dot product, turns the scores into weights that sum to 1
# with a softmax, and returns the weighted average of the values:
#
# $$\text{Attention}(Q, K, V) = \operatorname{softmax}\!\left(\frac{Q K^\top}{\sqrt{d}}\right) V,
# \qquad Q \in \mathbb{R}^{T_q \times d},\; K \in \mathbb{R}^{T_k \times d},\; V \in \mathbb{R}^{T_k \times d_v}.$$
#
# ```
#   Q (Tq, d) ──┐
#               ├─► Q @ Kᵀ / √d ──► [mask] ──► softmax (each row) ──► weights (Tq, Tk) ──┐
#   K (Tk, d) ──┘    scores (Tq, Tk)                                                       ├─► output (Tq, dv)
#   V (Tk, dv) ────────────────────────────────────────────────────────────────────────────┘
# ```
#
# Row $i$ of the weights says how much position $i$ takes from each position $j$. Everything
# is a matrix product or a softmax, so a batch of sequences — and, later, a batch of heads —
# is just leading dimensions: $Q$ of shape $(\dots, T_q, d)$ works the same way, because `@`
# multiplies the last two axes and broadcasts the rest.

# %% [markdown]
# ## Step 1 — The scores, and why $\sqrt{d}$
#
# `attention_scores(Q, K)` returns $Q K^\top / \sqrt{d}$ with $d$ the size of the last axis
# of $Q$. Transpose only the *last two* axes of $K$ — `K.transpose(-2, -1)` — so that leading
# batch (and head) axes stay where they are. Build it from Tensor operations (`@`,
# `transpose`, `*`): module 05 then differentiates it for you.
#
# **Why divide by $\sqrt{d}$?** If the entries of $q$ and $k$ are independent with mean 0 and
# variance 1, the dot product $q \cdot k = \sum_{m=1}^{d} q_m k_m$ is a sum of $d$ terms of
# variance 1, so
#
# $$\operatorname{Var}(q \cdot k) = d, \qquad \operatorname{std}(q \cdot k) = \sqrt{d}.$$
#
# With $d = 64$ the scores spread over about $\pm 8$, with $d = 1024$ over $\pm 32$. The softmax
# of numbers that far apart is nearly one-hot: one key takes all the weight, and the softmax
# gradient $y_j(\delta_{jk} - y_k)$ is nearly zero everywhere — the model cannot learn to
# change where it looks. Dividing by $\sqrt{d}$ brings the variance back to 1 whatever $d$ is.
# The cell after the test measures both effects.
#
# A dtype detail: scale by a Python float (`float(np.sqrt(d))`), not a numpy float64
# scalar, which would silently turn float32 scores into float64.

# %% nbgrader={"grade": false, "grade_id": "attention-scores-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
def attention_scores(Q, K):
    """Scaled dot products Q @ K^T / sqrt(d) of shape (..., Tq, Tk).

    Q: Tensor (..., Tq, d), K: Tensor (..., Tk, d); d = Q.shape[-1].
    Use Tensor operations only: K.transpose(-2, -1), @, and * by a Python float
    (keeps float32 scores float32).
    """
    ### BEGIN SOLUTION
    scale = 1.0 / float(np.sqrt(Q.shape[-1]))
    return (Q @ K.transpose(-2, -1)) * scale
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "attention-scores", "locked": true, "points": 2, "schema_version": 3, "solution": false}
Q = Tensor([[1.0, 0.0, 1.0, 0.0], [0.0, 2.0, 0.0, 2.0]])
K = Tensor([[1.0, 1.0, 1.0, 1.0], [2.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
scores = attention_scores(Q, K)
assert isinstance(scores, Tensor), "return a Tensor"
assert scores.shape == (2, 3), f"(Tq, d) and (Tk, d) give scores (Tq, Tk) = (2, 3), got {scores.shape}"
expected = np.array([[2.0, 2.0, 0.0], [4.0, 0.0, 0.0]]) / 2.0  # sqrt(d) = sqrt(4) = 2
np.testing.assert_allclose(scores.data, expected, rtol=1e-6,
                           err_msg="scores = Q @ K^T / sqrt(d): with d = 4 every dot product is halved")
assert scores.dtype == np.float32, f"float32 in, float32 out: got {scores.dtype} (scale by a Python float)"
batched = attention_scores(Tensor(np.ones((2, 3, 5, 8))), Tensor(np.ones((2, 3, 7, 8))))
assert batched.shape == (2, 3, 5, 7), f"leading axes stay: expected (2, 3, 5, 7), got {batched.shape}"
np.testing.assert_allclose(batched.data, 8 / np.sqrt(8), rtol=1e-6, err_msg="all-ones of size 8: 8 / sqrt(8)")
print("attention_scores passed.")
### BEGIN HIDDEN TESTS
from autograder.gradcheck import check_gradient_flow

rng = np.random.default_rng(1201)
for _ in range(4):
    lead = tuple(int(n) for n in rng.integers(1, 4, size=int(rng.integers(0, 3))))
    t_q, t_k, d = (int(n) for n in rng.integers(1, 9, size=3))
    q, k = rng.standard_normal(lead + (t_q, d)), rng.standard_normal(lead + (t_k, d))
    found = attention_scores(Tensor(q), Tensor(k))
    np.testing.assert_allclose(found.data, q @ np.swapaxes(k, -1, -2) / np.sqrt(d), rtol=1e-10,
                               err_msg=f"scores for Q {q.shape}, K {k.shape}")
    assert found.dtype == np.float64, "float64 stays float64"

q = Tensor(rng.standard_normal((2, 3, 5)), requires_grad=True)
k = Tensor(rng.standard_normal((2, 4, 5)), requires_grad=True)
upstream = rng.standard_normal((2, 3, 4))
check_gradient_flow(lambda: (attention_scores(q, k) * upstream).sum(), {"Q": q, "K": k})
### END HIDDEN TESTS

# %% [markdown]
# ### Measure it: what $\sqrt{d}$ does to the softmax
#
# For each $d$, draw 2000 queries and 32 keys with unit-variance entries, and look at (a) the
# variance of the raw dot products, (b) how much weight the softmax gives to the single best
# key, with and without the scale, and (c) how much gradient gets through the softmax: the
# size of module 02's `Softmax.backward` for a random upstream gradient.

# %%
softmax = Softmax(dim=-1)
rng = np.random.default_rng(0)
dims = [4, 16, 64, 256, 1024]
measured = {"variance": [], "top_raw": [], "top_scaled": [], "grad_raw": [], "grad_scaled": []}
for d in dims:
    queries, keys = rng.standard_normal((2000, d)), rng.standard_normal((32, d))
    raw = Tensor(queries @ keys.T)
    scaled = attention_scores(Tensor(queries), Tensor(keys))
    upstream = rng.standard_normal(raw.shape)
    measured["variance"].append(raw.data.var())
    for name, scores in (("raw", raw), ("scaled", scaled)):
        measured[f"top_{name}"].append(softmax(scores).data.max(axis=-1).mean())
        measured[f"grad_{name}"].append(np.abs(softmax.backward(scores, upstream)).mean())
print("    d   Var(q.k)   top weight raw / scaled   |softmax grad| raw / scaled")
for i, d in enumerate(dims):
    print(f"{d:5d} {measured['variance'][i]:9.1f}        {measured['top_raw'][i]:.3f} / {measured['top_scaled'][i]:.3f}"
          f"             {measured['grad_raw'][i]:.4f} / {measured['grad_scaled'][i]:.4f}")

fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
axes[0].loglog(dims, measured["variance"], "o-", label="measured Var(q·k)")
axes[0].loglog(dims, dims, "k--", label="d")
axes[0].set(xlabel="d (head size)", ylabel="variance of the raw scores", title="Raw dot products spread like √d")
axes[0].legend()
axes[1].semilogx(dims, measured["top_raw"], "o-", label="largest weight, raw Q·Kᵀ")
axes[1].semilogx(dims, measured["top_scaled"], "s-", label="largest weight, Q·Kᵀ/√d")
axes[1].semilogx(dims, np.array(measured["grad_raw"]) / measured["grad_raw"][0], "o:", label="softmax gradient, raw (relative)")
axes[1].semilogx(dims, np.array(measured["grad_scaled"]) / measured["grad_scaled"][0], "s:", label="softmax gradient, scaled (relative)")
axes[1].set(xlabel="d (head size)", title="Softmax over 32 keys", ylim=(0, 1.5))
axes[1].legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# Without the scale, the variance of the scores grows exactly like $d$, the best key takes
# most of the weight as soon as $d$ reaches the sizes real heads use (64 to 128), and the
# gradient through the softmax shrinks — training would stall on nearly one-hot attention.
# With the scale, both stay where they were at $d = 4$.

# %% [markdown]
# ## Step 2 — Masks, and why not $-\infty$
#
# Often a query must *not* see some keys: in a language model, token $i$ may not read tokens
# after it (it would be reading the answer); in a padded batch, no one should attend to
# padding. A **mask** says which pairs are allowed: an array broadcastable to the scores'
# shape $(\dots, T_q, T_k)$, where `True` (or 1) means "may attend" and `False` (or 0) means
# "may not" — PyTorch's convention for boolean masks in `scaled_dot_product_attention`.
#
# The mask must act **before** the softmax, so the allowed weights still sum to 1. We add a
# large negative number to every forbidden score:
#
# $$\tilde s_{ij} = \begin{cases} s_{ij} & \text{if } (i, j) \text{ is allowed} \\
# s_{ij} + (-10^9) & \text{otherwise,}\end{cases} \qquad e^{\tilde s_{ij} - \max_j \tilde s_{ij}} = 0 \text{ exactly for a forbidden } j.$$
#
# $e^{-10^9}$ underflows to exactly 0 in float32 and float64, so a forbidden key gets weight
# **exactly zero** — and, since the softmax gradient is $y_j(\dots)$, exactly zero gradient too.
#
# **Why not $-\infty$?** It works — until a row has *no* allowed key (a query over pure
# padding). Then every score of the row is $-\infty$, the stable softmax subtracts the row
# maximum, and $-\infty - (-\infty)$ is NaN. One NaN in the forward pass spreads through the
# loss into every gradient and destroys the whole model. With $-10^9$ such a row stays finite:
# every score moves by the same amount, the softmax (which ignores a common shift) returns
# roughly uniform weights, and the output is an average of the values — meaningless for that
# row, but harmless, and later layers or the loss can ignore it. The next cell shows both.
#
# `apply_mask(scores, mask)` returns `scores + Tensor(penalty)` where `penalty` is 0 where
# allowed and `MASK_VALUE` where forbidden, in the scores' dtype. Adding a constant Tensor is
# a Tensor operation, so the gradient passes straight through to the scores. Accept a numpy
# array (bool or 0/1) or a Tensor, and raise a `ValueError` naming both shapes when the mask
# does not broadcast to the scores' shape (a mask may *be* broadcast; it must never make the
# scores bigger).

# %% nbgrader={"grade": false, "grade_id": "attention-mask-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
# Added to forbidden scores. exp(-1e9 - max) is exactly 0 in float32 and float64, and unlike
# -inf it never produces NaN, even in a row where every key is forbidden.
MASK_VALUE = -1e9


def apply_mask(scores, mask):
    """scores + penalty: 0 where mask is True/nonzero ("may attend"), MASK_VALUE elsewhere.

    scores: Tensor (..., Tq, Tk). mask: numpy array or Tensor (bool or 0/1) broadcastable
    to scores.shape. Returns a new Tensor of scores.shape and dtype.

    Steps: read the mask's values (`mask.data` for a Tensor, np.asarray otherwise) and make
    them boolean (`!= 0`); check with np.broadcast_shapes that broadcasting leaves
    scores.shape unchanged (it raises ValueError itself when the shapes cannot broadcast)
    and raise ValueError naming both shapes otherwise; build the penalty with np.where,
    cast it to scores.dtype, and add it as a Tensor.
    """
    ### BEGIN SOLUTION
    allowed = np.asarray(mask.data if isinstance(mask, Tensor) else mask) != 0
    try:
        fits = np.broadcast_shapes(allowed.shape, scores.shape) == scores.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"a mask of shape {allowed.shape} does not broadcast to the scores' shape {scores.shape}: "
            "it needs (Tq, Tk) or (..., Tq, Tk) with sizes equal to the scores' or 1"
        )
    penalty = np.where(allowed, 0.0, MASK_VALUE).astype(scores.dtype)
    return scores + Tensor(penalty)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "attention-mask", "locked": true, "points": 2, "schema_version": 3, "solution": false}
scores = Tensor(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32))
allowed = np.array([[True, False, True], [True, True, False]])
masked = apply_mask(scores, allowed)
assert isinstance(masked, Tensor) and masked.shape == (2, 3), "a Tensor of the scores' shape"
assert masked.dtype == np.float32, f"the scores' dtype: got {masked.dtype}"
np.testing.assert_array_equal(masked.data[allowed], scores.data[allowed], err_msg="allowed scores stay unchanged")
assert np.all(masked.data[~allowed] < -1e8), f"forbidden scores get MASK_VALUE added: got {masked.data[~allowed]}"
np.testing.assert_array_equal(apply_mask(scores, allowed.astype(int)).data, masked.data,
                              err_msg="a 0/1 integer mask means the same as a boolean one")
np.testing.assert_array_equal(apply_mask(scores, Tensor(allowed.astype(np.float32))).data, masked.data,
                              err_msg="a Tensor of 0/1 means the same as a boolean array")
weights = Softmax(dim=-1)(masked).data
np.testing.assert_array_equal(weights[~allowed], 0.0, err_msg="after softmax, forbidden keys weigh exactly 0")
np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-6, err_msg="and the allowed weights still sum to 1")
nothing_allowed = Softmax(dim=-1)(apply_mask(scores, np.zeros((2, 3), dtype=bool))).data
assert np.all(np.isfinite(nothing_allowed)), "a row with no allowed key must not become NaN (use MASK_VALUE, not -inf)"
try:
    apply_mask(scores, np.ones((3, 3), dtype=bool))
except ValueError as error:
    assert "(3, 3)" in str(error) and "(2, 3)" in str(error), f"name both shapes in the message: {error}"
else:
    raise AssertionError("a (3, 3) mask for (2, 3) scores should raise ValueError")
print("apply_mask passed.")
### BEGIN HIDDEN TESTS
from autograder.gradcheck import check_gradient_flow

rng = np.random.default_rng(1202)
scores = Tensor(rng.standard_normal((2, 3, 4, 5)))
for mask_shape in [(4, 5), (1, 5), (2, 1, 4, 5), (3, 4, 1), (2, 3, 4, 5)]:
    mask = rng.random(mask_shape) < 0.6
    found = apply_mask(scores, mask).data
    assert found.shape == scores.shape and found.dtype == np.float64, f"mask {mask_shape}: shape and dtype"
    expected_penalty = np.broadcast_to(np.where(mask, 0.0, MASK_VALUE), scores.shape)
    np.testing.assert_allclose(found, scores.data + expected_penalty, rtol=1e-12,
                               err_msg=f"mask {mask_shape} broadcast over scores (2, 3, 4, 5)")
for bad_shape in [(2, 2, 3, 4, 5), (4, 4), (3, 5)]:
    try:
        apply_mask(scores, np.ones(bad_shape, dtype=bool))
    except ValueError:
        pass
    else:
        raise AssertionError(f"a mask of shape {bad_shape} does not fit scores (2, 3, 4, 5): ValueError")
s = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
mask = np.array([[1, 0, 1, 1], [0, 1, 1, 0], [1, 1, 1, 1]])
upstream = rng.standard_normal((3, 4))
s.grad = None
(apply_mask(s, mask) * upstream).sum().backward()
np.testing.assert_allclose(s.grad, upstream, rtol=1e-12, err_msg="adding a constant passes the gradient unchanged")
# numerically through the softmax: a score of -1e9 has too few digits left for central differences
check_gradient_flow(lambda: (Softmax(dim=-1)(apply_mask(s, mask)) * upstream).sum(), {"scores": s})
np.testing.assert_array_equal(s.grad[mask == 0], 0.0, err_msg="a masked score gets exactly zero gradient through the softmax")
### END HIDDEN TESTS

# %% [markdown]
# The NaN, seen once. A row of three scores where nothing is allowed, masked with $-\infty$ and
# with `MASK_VALUE` (numpy's warning about $-\infty - (-\infty)$ is silenced here on purpose):

# %%
row = np.array([[0.5, -1.0, 2.0]])
with np.errstate(invalid="ignore"):
    with_inf = row + np.where(np.zeros_like(row, dtype=bool), 0.0, -np.inf)
    print("masked with -inf:      ", Softmax(dim=-1)(Tensor(with_inf)).data)
print("masked with MASK_VALUE:", Softmax(dim=-1)(apply_mask(Tensor(row), np.zeros((1, 3), dtype=bool))).data)

# %% [markdown]
# ## Step 3 — Scaled dot-product attention
#
# Put the pieces together:
#
# 1. `scores = attention_scores(Q, K)`;
# 2. if a mask is given, `scores = apply_mask(scores, mask)`;
# 3. `attention_weights = Softmax(dim=-1)(scores)` — module 02's stable softmax, over the
#    **last** axis, the keys: each query's weights sum to 1;
# 4. `output = attention_weights @ V`.
#
# Return `(output, attention_weights)`: the weights are what you plot to see what a model
# looks at. Everything is a Tensor operation or module 02's softmax, which module 05 turned
# into one graph node with your hand-written backward — so gradients reach $Q$, $K$ and $V$
# with no new backward code. The hidden tests check them against central differences, with
# masks.
#
# What the gradient of a masked key is: its weight is exactly 0 for every query, so nothing of
# its value reaches the output ($\partial L/\partial v_j = \sum_i w_{ij}\, \partial L/\partial
# o_i = 0$), and its score's gradient $w_{ij}(\dots)$ is 0 too: a key no query may see learns
# nothing. The test checks exactly that.

# %% nbgrader={"grade": false, "grade_id": "scaled-dot-product-attention-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
def scaled_dot_product_attention(Q, K, V, mask=None):
    """softmax(Q @ K^T / sqrt(d) [+ mask penalty]) @ V, over the last two axes.

    Q: (..., Tq, d), K: (..., Tk, d), V: (..., Tk, dv) Tensors; mask: None, or a numpy
    array / Tensor broadcastable to (..., Tq, Tk), True/1 = may attend.
    Returns (output of shape (..., Tq, dv), attention_weights of shape (..., Tq, Tk)),
    both Tensors built by Tensor operations and Softmax(dim=-1).
    """
    ### BEGIN SOLUTION
    scores = attention_scores(Q, K)
    if mask is not None:
        scores = apply_mask(scores, mask)
    attention_weights = Softmax(dim=-1)(scores)
    output = attention_weights @ V
    return output, attention_weights
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "scaled-dot-product-attention", "locked": true, "points": 3, "schema_version": 3, "solution": false}
# One query, two keys: the query matches key 0, so the output leans towards value 0.
Q = Tensor([[2.0, 0.0]])
K = Tensor([[2.0, 0.0], [0.0, 2.0]])
V = Tensor([[10.0, 0.0], [0.0, 10.0]])
output, weights = scaled_dot_product_attention(Q, K, V)
assert isinstance(output, Tensor) and isinstance(weights, Tensor), "return (output, attention_weights), both Tensors"
assert output.shape == (1, 2) and weights.shape == (1, 2), f"shapes (Tq, dv) and (Tq, Tk): got {output.shape}, {weights.shape}"
expected_weights = np.exp([4 / np.sqrt(2), 0.0]) / np.exp([4 / np.sqrt(2), 0.0]).sum()
np.testing.assert_allclose(weights.data, [expected_weights], rtol=1e-5, err_msg="weights = softmax(QK^T/sqrt(d)) over the keys")
np.testing.assert_allclose(output.data, [10 * expected_weights], rtol=1e-5, err_msg="output = weights @ V")
output, weights = scaled_dot_product_attention(Q, K, V, mask=np.array([[False, True]]))
np.testing.assert_allclose(weights.data, [[0.0, 1.0]], atol=0, err_msg="with key 0 masked, all weight goes to key 1")
np.testing.assert_allclose(output.data, [[0.0, 10.0]], rtol=1e-6, err_msg="and the output is value 1")

rng = np.random.default_rng(12)
Q, K, V = (Tensor(rng.standard_normal((2, 5, 4)).astype(np.float32)) for _ in range(3))
output, weights = scaled_dot_product_attention(Q, K, V)
np.testing.assert_allclose(weights.data.sum(axis=-1), 1.0, rtol=1e-5, err_msg="each query's weights sum to 1 (softmax over the keys)")
assert output.shape == (2, 5, 4) and output.dtype == np.float32, "a batch of sequences, float32 kept"
print("scaled_dot_product_attention passed.")
### BEGIN HIDDEN TESTS
from autograder.gradcheck import check_gradient_flow


def numpy_attention(q, k, v, allowed=None):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
    scores = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores) / np.exp(scores).sum(axis=-1, keepdims=True)
    return weights @ v, weights


rng = np.random.default_rng(1203)
for trial in range(4):
    lead = tuple(int(n) for n in rng.integers(1, 4, size=int(rng.integers(0, 3))))
    t_q, t_k, d, d_v = (int(n) for n in rng.integers(2, 7, size=4))
    q, k, v = rng.standard_normal(lead + (t_q, d)), rng.standard_normal(lead + (t_k, d)), rng.standard_normal(lead + (t_k, d_v))
    allowed = rng.random((t_q, t_k)) < 0.5
    allowed[np.arange(t_q), rng.integers(0, t_k, size=t_q)] = True  # every query may see one key at least
    for mask in (None, allowed):
        out, w = scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v), mask)
        expected_out, expected_w = numpy_attention(q, k, v, mask)
        np.testing.assert_allclose(w.data, expected_w, rtol=1e-9, atol=1e-12, err_msg=f"weights, trial {trial}, mask {mask is not None}")
        np.testing.assert_allclose(out.data, expected_out, rtol=1e-9, atol=1e-12, err_msg=f"output, trial {trial}")

# gradients through masked attention, Q, K and V each
q = Tensor(rng.standard_normal((2, 4, 3)), requires_grad=True)
k = Tensor(rng.standard_normal((2, 5, 3)), requires_grad=True)
v = Tensor(rng.standard_normal((2, 5, 2)), requires_grad=True)
allowed = np.array([[1, 1, 0, 0, 0], [1, 0, 1, 0, 0], [0, 1, 1, 1, 0], [1, 1, 0, 1, 0]], dtype=bool)
upstream = rng.standard_normal((2, 4, 2))
check_gradient_flow(lambda: (scaled_dot_product_attention(q, k, v, allowed)[0] * upstream).sum(), {"Q": q, "K": k, "V": v})
# key 4 is forbidden to every query: its value and its key receive exactly zero gradient
np.testing.assert_array_equal(v.grad[:, 4], 0.0, err_msg="a value no query may attend must get no gradient")
np.testing.assert_array_equal(k.grad[:, 4], 0.0, err_msg="a key no query may attend must get no gradient")
_, w = scaled_dot_product_attention(q, k, v, allowed)
np.testing.assert_array_equal(w.data[:, ~allowed], 0.0, err_msg="masked positions weigh exactly 0")
# gradients without a mask, a 4-D batch of heads, a mask as a Tensor
q = Tensor(rng.standard_normal((2, 2, 3, 4)), requires_grad=True)
k = Tensor(rng.standard_normal((2, 2, 3, 4)), requires_grad=True)
v = Tensor(rng.standard_normal((2, 2, 3, 4)), requires_grad=True)
upstream = rng.standard_normal((2, 2, 3, 4))
check_gradient_flow(lambda: (scaled_dot_product_attention(q, k, v)[0] * upstream).sum(), {"Q": q, "K": k, "V": v})
weights_upstream = rng.standard_normal((2, 2, 3, 3))
tril = Tensor(np.tril(np.ones((3, 3))))
check_gradient_flow(lambda: (scaled_dot_product_attention(q, k, v, tril)[1] * weights_upstream).sum(), {"Q": q, "K": k})
# a fully masked row stays finite
out, w = scaled_dot_product_attention(Tensor(rng.standard_normal((3, 2))), Tensor(rng.standard_normal((4, 2))),
                                      Tensor(rng.standard_normal((4, 2))), np.array([[1, 1, 0, 0], [0, 0, 0, 0], [1, 0, 0, 0]]))
assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(w.data)), "a query with no allowed key must not produce NaN"
### END HIDDEN TESTS

# %% [markdown]
# ## Step 4 — The causal mask
#
# A language model predicts token $t+1$ from tokens $1..t$. Trained on whole sentences at
# once, position $t$ could simply *read* token $t+1$ if attention let it. The **causal mask**
# forbids it: query $i$ may attend to key $j$ only when $j \le i$ — the lower triangle,
# diagonal included (a token may look at itself):
#
# ```
#            keys j →   0 1 2 3
#   query 0            [1 0 0 0]
#   query 1            [1 1 0 0]
#   query 2            [1 1 1 0]
#   query 3            [1 1 1 1]
# ```
#
# `causal_mask(seq_len)` returns this `(seq_len, seq_len)` boolean numpy array (`np.tril`
# keeps the lower triangle). Shaped `(T, T)`, it broadcasts over any batch and head axes.

# %% nbgrader={"grade": false, "grade_id": "causal-mask-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
def causal_mask(seq_len):
    """(seq_len, seq_len) boolean array, True where key j <= query i (may attend)."""
    ### BEGIN SOLUTION
    return np.tril(np.ones((seq_len, seq_len), dtype=bool))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "causal-mask", "locked": true, "points": 1, "schema_version": 3, "solution": false}
mask = causal_mask(4)
assert isinstance(mask, np.ndarray) and mask.dtype == bool, f"a boolean numpy array, got {type(mask).__name__} {getattr(mask, 'dtype', '')}"
assert mask.shape == (4, 4), f"shape (4, 4), got {mask.shape}"
np.testing.assert_array_equal(mask, [[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]],
                              err_msg="lower triangle with the diagonal: query i sees keys 0..i")
assert causal_mask(1).tolist() == [[True]], "one token sees itself"
print("causal_mask passed.")
### BEGIN HIDDEN TESTS
for seq_len in (2, 7, 33):
    mask = causal_mask(seq_len)
    i, j = np.indices((seq_len, seq_len))
    np.testing.assert_array_equal(mask, j <= i, err_msg=f"causal_mask({seq_len})")
    assert mask.sum() == seq_len * (seq_len + 1) // 2, "T(T+1)/2 allowed pairs"
### END HIDDEN TESTS

# %% [markdown]
# ### See it: what the mask does to the weights
#
# A hand-built example: six tokens whose queries and keys are all the same vector, so without
# a mask every query spreads its attention evenly over all six keys. With the causal mask,
# query $i$ spreads it over keys $0..i$ only — weight $1/(i+1)$ each — and the upper triangle is
# exactly zero. The right panel gives key 3 a larger match with every query: it draws
# attention from every query that is *allowed* to see it, and from no one before it.

# %%
seq_len = 6
same = Tensor(np.ones((seq_len, 4), dtype=np.float32))
standout_keys = np.ones((seq_len, 4), dtype=np.float32)
standout_keys[3] *= 2.0
panels = [
    ("no mask", scaled_dot_product_attention(same, same, same)[1]),
    ("causal mask", scaled_dot_product_attention(same, same, same, causal_mask(seq_len))[1]),
    ("causal mask, key 3 stands out", scaled_dot_product_attention(same, Tensor(standout_keys), same, causal_mask(seq_len))[1]),
]
fig, axes = plt.subplots(1, 3, figsize=(12, 3.8))
for ax, (title, weights) in zip(axes, panels):
    image = ax.imshow(weights.data, cmap="viridis", vmin=0, vmax=1)
    ax.set(title=title, xlabel="key position j", ylabel="query position i")
fig.colorbar(image, ax=axes, shrink=0.8, label="attention weight")
plt.show()

# %% [markdown]
# ## Step 5 — Heads: split and merge
#
# One attention pattern per layer is limiting: a token may need to look at the previous token
# (for grammar) *and* at its subject far back (for meaning) at once. **Multi-head attention**
# runs $H$ attentions in parallel, each on its own slice of $D_h = D / H$ features, and
# concatenates the results. The cost is the same as one head of size $D$; what changes is that
# $H$ different weight patterns exist.
#
# The slicing is a reshape and a transpose, with no Python loop:
#
# ```
#  x (B, T, D) ──reshape──► (B, T, H, Dh) ──transpose(1, 2)──► (B, H, T, Dh)    split_heads
#  y (B, H, T, Dh) ──transpose(1, 2)──► (B, T, H, Dh) ──reshape──► (B, T, D)    merge_heads
# ```
#
# After `split_heads`, the heads are a leading axis like the batch, so *one*
# `scaled_dot_product_attention` call computes all $B \cdot H$ attentions as a batched matrix
# product — no loop over heads.
#
# **Why the transpose matters.** Reshaping `(B, T, D)` straight to `(B, H, T, Dh)` gives the
# right shape and the wrong numbers: numpy reads memory in order, so "head 0" would get the
# first $T/H$ *tokens* with all their features instead of all tokens with their first $D_h$
# features. Likewise, merging without transposing back interleaves heads and positions. Both
# bugs keep every shape right; only a comparison of values catches them — which the test does.
#
# Raise a `ValueError` in `split_heads` when $D$ is not divisible by $H$.

# %% nbgrader={"grade": false, "grade_id": "mha-shapes-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
def split_heads(x, num_heads):
    """(B, T, D) Tensor -> (B, H, T, D // H): head h holds features h*Dh .. (h+1)*Dh - 1.

    Raise ValueError when D is not divisible by num_heads. Tensor operations only:
    x.reshape(...) then .transpose(1, 2).
    """
    ### BEGIN SOLUTION
    batch, seq_len, embed_dim = x.shape
    if embed_dim % num_heads:
        raise ValueError(f"embed_dim {embed_dim} is not divisible by num_heads {num_heads}")
    head_dim = embed_dim // num_heads
    return x.reshape(batch, seq_len, num_heads, head_dim).transpose(1, 2)
    ### END SOLUTION


def merge_heads(x):
    """(B, H, T, Dh) Tensor -> (B, T, H * Dh): the inverse of split_heads."""
    ### BEGIN SOLUTION
    batch, num_heads, seq_len, head_dim = x.shape
    return x.transpose(1, 2).reshape(batch, seq_len, num_heads * head_dim)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "mha-shapes", "locked": true, "points": 2, "schema_version": 3, "solution": false}
x = Tensor(np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4))  # (B=2, T=3, D=4)
heads = split_heads(x, 2)
assert isinstance(heads, Tensor) and heads.shape == (2, 2, 3, 2), f"(B, H, T, Dh) = (2, 2, 3, 2), got {heads.shape}"
np.testing.assert_array_equal(heads.data[0, 0], [[0, 1], [4, 5], [8, 9]],
                              err_msg="head 0 of sequence 0: every token's features 0..1")
np.testing.assert_array_equal(heads.data[0, 1], [[2, 3], [6, 7], [10, 11]],
                              err_msg="head 1 of sequence 0: every token's features 2..3 (reshape, then transpose(1, 2))")
merged = merge_heads(heads)
assert isinstance(merged, Tensor) and merged.shape == (2, 3, 4), f"merge_heads gives (B, T, D) = (2, 3, 4), got {merged.shape}"
np.testing.assert_array_equal(merged.data, x.data, err_msg="merge_heads(split_heads(x)) gives x back")
try:
    split_heads(Tensor(np.zeros((1, 2, 6))), 4)
except ValueError:
    pass
else:
    raise AssertionError("6 features cannot be split into 4 heads: ValueError")
print("split_heads and merge_heads passed.")
### BEGIN HIDDEN TESTS
from autograder.gradcheck import check_gradient_flow

rng = np.random.default_rng(1205)
for _ in range(3):
    batch, seq_len, num_heads, head_dim = (int(n) for n in rng.integers(1, 5, size=4))
    values = rng.standard_normal((batch, seq_len, num_heads * head_dim))
    heads = split_heads(Tensor(values), num_heads)
    for h in range(num_heads):
        np.testing.assert_array_equal(heads.data[:, h], values[:, :, h * head_dim:(h + 1) * head_dim],
                                      err_msg=f"head {h} of {num_heads}, shape {values.shape}")
    per_head = rng.standard_normal((batch, num_heads, seq_len, head_dim))
    expected = np.concatenate([per_head[:, h] for h in range(num_heads)], axis=-1)
    np.testing.assert_array_equal(merge_heads(Tensor(per_head)).data, expected,
                                  err_msg="merge_heads concatenates the heads' features for each token")
x = Tensor(rng.standard_normal((2, 3, 6)), requires_grad=True)
upstream = rng.standard_normal((2, 3, 6))
check_gradient_flow(lambda: (merge_heads(split_heads(x, 3) * 2.0) * upstream).sum(), {"x": x})
### END HIDDEN TESTS

# %% [markdown]
# ## Step 6 — `MultiHeadAttention`
#
# Self-attention gets $Q$, $K$ and $V$ from the same input $x$ through three learned linear
# maps, and mixes the heads' outputs with a fourth:
#
# $$Q = x W_Q + b_Q,\quad K = x W_K + b_K,\quad V = x W_V + b_V,\qquad
# \text{MHA}(x) = \operatorname{merge}\big(\text{Attention}(\operatorname{split}Q, \operatorname{split}K, \operatorname{split}V)\big)\, W_O + b_O .$$
#
# The four maps are `Linear(embed_dim, embed_dim)` layers named `q_proj`, `k_proj`, `v_proj`
# and `out_proj` (PyTorch's names). Because they are attributes, `Layer.parameters()` finds
# their eight tensors with no extra code.
#
# `forward(x, mask=None)`, for `x` of shape `(B, T, D)`:
# 1. project to $Q$, $K$, $V$ and `split_heads` each to `(B, H, T, Dh)`;
# 2. `scaled_dot_product_attention` on all heads at once, passing the mask on — a `(T, T)`
#    mask broadcasts over batch and heads by itself;
# 3. keep the weights as `self.attention_weights = weights.data` (a numpy array
#    `(B, H, T, T)` for plots; set `None` in `__init__`);
# 4. `merge_heads`, then `out_proj`.
#
# **One parameter never learns: `k_proj.bias`.** It adds the same vector $b_K$ to every key,
# so query $i$'s score with every key $j$ grows by the same amount $q_i \cdot b_K / \sqrt{D_h}$.
# Softmax ignores a shift common to a whole row, so the weights — and the loss — do not
# depend on $b_K$ at all: its gradient is exactly zero (up to rounding). PyTorch keeps the
# parameter anyway; the test below checks that your layer shows this zero, and the hidden
# gradient checks test every other parameter against central differences.
#
# Check in `__init__` that `embed_dim % num_heads == 0` (`ValueError` naming both numbers),
# and keep `embed_dim`, `num_heads` and `head_dim` as attributes. In `forward`, raise a
# `ValueError` when `x` is not 3-D or its last axis is not `embed_dim`: the message saves a
# student a confusing matmul error three calls deeper.

# %% nbgrader={"grade": false, "grade_id": "multi-head-attention-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
class MultiHeadAttention(Layer):
    """Multi-head self-attention: q/k/v projections, H heads of size D/H, an output projection."""

    def __init__(self, embed_dim, num_heads):
        """Four Linear(embed_dim, embed_dim): q_proj, k_proj, v_proj, out_proj.

        Raise ValueError when embed_dim is not divisible by num_heads. Keep embed_dim,
        num_heads, head_dim = embed_dim // num_heads, and attention_weights = None.
        """
        ### BEGIN SOLUTION
        if embed_dim % num_heads:
            raise ValueError(
                f"embed_dim {embed_dim} must be divisible by num_heads {num_heads}: "
                "each head gets embed_dim // num_heads features"
            )
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.q_proj = Linear(embed_dim, embed_dim)
        self.k_proj = Linear(embed_dim, embed_dim)
        self.v_proj = Linear(embed_dim, embed_dim)
        self.out_proj = Linear(embed_dim, embed_dim)
        self.attention_weights = None
        ### END SOLUTION

    def forward(self, x, mask=None):
        """x: (B, T, embed_dim) Tensor -> (B, T, embed_dim) Tensor.

        mask: None, or broadcastable to (B, H, T, T) (a (T, T) causal mask works as is).
        Also sets self.attention_weights to the (B, H, T, T) numpy array of weights.
        """
        ### BEGIN SOLUTION
        if not isinstance(x, Tensor):
            x = Tensor(x)
        if x.ndim != 3 or x.shape[-1] != self.embed_dim:
            raise ValueError(
                f"MultiHeadAttention expects x of shape (batch, seq_len, {self.embed_dim}), got {x.shape}"
            )
        queries = split_heads(self.q_proj(x), self.num_heads)
        keys = split_heads(self.k_proj(x), self.num_heads)
        values = split_heads(self.v_proj(x), self.num_heads)
        heads_output, weights = scaled_dot_product_attention(queries, keys, values, mask)
        self.attention_weights = weights.data
        return self.out_proj(merge_heads(heads_output))
        ### END SOLUTION

    def __repr__(self):
        return f"MultiHeadAttention(embed_dim={self.embed_dim}, num_heads={self.num_heads})"


# %% nbgrader={"grade": true, "grade_id": "multi-head-attention", "locked": true, "points": 3, "schema_version": 3, "solution": false}
def reference_mha(mha, x, mask=None):
    """The same layer computed head by head in plain numpy (a loop is fine in a test)."""
    def project(layer):
        return x @ layer.weight.data + layer.bias.data

    q, k, v = project(mha.q_proj), project(mha.k_proj), project(mha.v_proj)
    heads = []
    for h in range(mha.num_heads):
        part = slice(h * mha.head_dim, (h + 1) * mha.head_dim)
        scores = q[:, :, part] @ np.swapaxes(k[:, :, part], 1, 2) / np.sqrt(mha.head_dim)
        if mask is not None:
            scores = np.where(np.broadcast_to(mask, (len(x), mha.num_heads) + scores.shape[1:])[:, h], scores, -np.inf)
        weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
        weights /= weights.sum(axis=-1, keepdims=True)
        heads.append(weights @ v[:, :, part])
    return np.concatenate(heads, axis=-1) @ mha.out_proj.weight.data + mha.out_proj.bias.data


np.random.seed(12)
mha = MultiHeadAttention(embed_dim=8, num_heads=2)
assert (mha.embed_dim, mha.num_heads, mha.head_dim) == (8, 2, 4), "keep embed_dim, num_heads and head_dim = 8 // 2"
for name in ("q_proj", "k_proj", "v_proj", "out_proj"):
    layer = getattr(mha, name, None)
    assert isinstance(layer, Linear) and layer.weight.shape == (8, 8), f"{name} should be a Linear(8, 8)"
assert len(mha.parameters()) == 8, f"four weights and four biases, got {len(mha.parameters())} parameters"
x = np.random.standard_normal((3, 5, 8)).astype(np.float32)
output = mha(Tensor(x))
assert isinstance(output, Tensor) and output.shape == (3, 5, 8), f"(B, T, D) in, (B, T, D) out: got {output.shape}"
np.testing.assert_allclose(output.data, reference_mha(mha, x), rtol=1e-4, atol=1e-5,
                           err_msg="output differs from the head-by-head numpy reference")
assert isinstance(mha.attention_weights, np.ndarray) and mha.attention_weights.shape == (3, 2, 5, 5), \
    "self.attention_weights: a numpy array (B, H, T, T)"
output = mha(Tensor(x), mask=causal_mask(5))
np.testing.assert_allclose(output.data, reference_mha(mha, x, causal_mask(5)), rtol=1e-4, atol=1e-5,
                           err_msg="with a (T, T) causal mask broadcast over batch and heads")
assert np.all(np.triu(mha.attention_weights, k=1) == 0), "causal: no weight above the diagonal in any head"
for p in mha.parameters():
    p.zero_grad()
(mha(Tensor(x), mask=causal_mask(5)) ** 2).sum().backward()
for name in ("q_proj", "k_proj", "v_proj", "out_proj"):
    for part in ("weight", "bias"):
        assert getattr(getattr(mha, name), part).grad is not None, f"{name}.{part}.grad is None after backward()"
key_bias, query_bias = np.abs(mha.k_proj.bias.grad).max(), np.abs(mha.q_proj.bias.grad).max()
assert key_bias < 1e-4 * query_bias, f"k_proj.bias gets (almost) no gradient: {key_bias:.2e} vs q_proj.bias {query_bias:.2e}"
for bad in [(6, 4), (10, 3)]:
    try:
        MultiHeadAttention(*bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"MultiHeadAttention{bad}: {bad[0]} is not divisible by {bad[1]}, expected ValueError")
print("MultiHeadAttention matches the head-by-head reference.")
### BEGIN HIDDEN TESTS
from autograder.gradcheck import check_gradient_flow, check_parameter_coverage

rng = np.random.default_rng(1206)
for embed_dim, num_heads, batch, seq_len in [(12, 3, 2, 6), (8, 8, 1, 3), (6, 1, 2, 4)]:
    np.random.seed(int(rng.integers(1000)))
    mha = MultiHeadAttention(embed_dim, num_heads)
    x = rng.standard_normal((batch, seq_len, embed_dim))
    for layer in (mha.q_proj, mha.k_proj, mha.v_proj, mha.out_proj):
        layer.weight = Tensor(rng.standard_normal((embed_dim, embed_dim)) / np.sqrt(embed_dim), requires_grad=True)
        layer.bias = Tensor(rng.standard_normal(embed_dim) * 0.1, requires_grad=True)
    for mask in (None, causal_mask(seq_len), rng.random((batch, 1, seq_len, seq_len)) < 0.7):
        if mask is not None:
            mask[..., 0] = True  # every query may see one key at least
        np.testing.assert_allclose(mha(Tensor(x), mask).data, reference_mha(mha, x, mask), rtol=1e-9, atol=1e-12,
                                   err_msg=f"MHA({embed_dim}, {num_heads}) on {x.shape}")
# every projection's weight and bias and the input, float64, with a causal mask
np.random.seed(7)
mha = MultiHeadAttention(6, 2)
for layer in (mha.q_proj, mha.k_proj, mha.v_proj, mha.out_proj):
    layer.weight = Tensor(rng.standard_normal((6, 6)) / np.sqrt(6), requires_grad=True)
    layer.bias = Tensor(rng.standard_normal(6) * 0.1, requires_grad=True)
x = Tensor(rng.standard_normal((2, 4, 6)), requires_grad=True)
upstream = rng.standard_normal((2, 4, 6))
named = check_parameter_coverage(mha)
assert len(named) == 8, f"eight trainable tensors, found {list(named)}"
# k_proj.bias moves every score of a query by the same amount, which softmax ignores: its true
# gradient is zero, so it is checked for being (numerically) zero, all others by central differences
mha.k_proj.bias.grad = None
checked = {name: tensor for name, tensor in named.items() if tensor is not mha.k_proj.bias}
check_gradient_flow(lambda: (mha(x, causal_mask(4)) * upstream).sum(), {"x": x, **checked})
assert mha.k_proj.bias.grad is not None and np.abs(mha.k_proj.bias.grad).max() < 1e-10, "k_proj.bias: gradient zero"
try:
    mha(Tensor(rng.standard_normal((4, 6))))
except ValueError:
    pass
else:
    raise AssertionError("a 2-D input should raise ValueError")
### END HIDDEN TESTS

# %% [markdown]
# ## Systems view — attention is quadratic
#
# For a sequence of $T$ tokens, the scores and the weights are $(B, H, T, T)$ tensors: memory
# grows with $T^2$. The arithmetic too — per layer, with $D = H \cdot D_h$:
#
# | part | matrix products | FLOPs |
# |---|---|---|
# | projections q, k, v, out | four $(BT \times D)\,@\,(D \times D)$ | $4 \cdot 2BTD^2 = 8BTD^2$ |
# | attention core | $QK^\top$ and $W V$, each $B H$ of $(T \times D_h)\,@\,(D_h \times T)$ | $2 \cdot 2BT^2 D = 4BT^2D$ |
#
# The two are equal when $4BT^2D = 8BTD^2$, at $T = 2D$: for short sequences the projections
# dominate, beyond $2D$ tokens the attention core does, and it keeps growing with $T^2$. The
# softmax adds a few operations per score but no matmul.
#
# Below we measure, for $D = 64$ split into $H = 4$ heads: the bytes of the score and weight
# arrays (numpy's `.nbytes`), and the time of the projections and of the attention core (best
# of three runs: the machine is shared, so single timings are noisy; read the trends, not
# the last digit).

# %%
def best_time(run, repeats=3):
    """Best wall-clock time of `repeats` runs, in milliseconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return 1e3 * min(times)


embed_dim, num_heads, batch = 64, 4, 1
np.random.seed(0)
layer = MultiHeadAttention(embed_dim, num_heads)
rng = np.random.default_rng(0)
lengths = [64, 128, 256, 512, 1024]
rows = []
with no_grad():
    for seq_len in lengths:
        x = Tensor(rng.standard_normal((batch, seq_len, embed_dim)).astype(np.float32))
        q, k, v = (split_heads(proj(x), num_heads) for proj in (layer.q_proj, layer.k_proj, layer.v_proj))
        scores = attention_scores(q, k)
        _, weights = scaled_dot_product_attention(q, k, v)
        score_bytes = scores.data.nbytes + weights.data.nbytes
        projection_ms = best_time(lambda: [proj(x) for proj in (layer.q_proj, layer.k_proj, layer.v_proj, layer.out_proj)])
        core_ms = best_time(lambda: scaled_dot_product_attention(q, k, v))
        rows.append((seq_len, score_bytes, projection_ms, core_ms,
                     8 * batch * seq_len * embed_dim**2, 4 * batch * seq_len**2 * embed_dim))
print("    T   scores+weights   projections        attention core")
for seq_len, nbytes, proj_ms, core_ms, proj_flops, core_flops in rows:
    print(f"{seq_len:5d} {nbytes / 2**20:9.2f} MiB   {proj_ms:6.2f} ms {proj_flops / 1e6:6.1f} MFLOP"
          f"   {core_ms:7.2f} ms {core_flops / 1e6:7.1f} MFLOP")

seq = np.array([r[0] for r in rows])
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
axes[0].loglog(seq, [r[1] / 2**20 for r in rows], "o-", label="measured (.nbytes)")
axes[0].loglog(seq, 2 * 4 * batch * num_heads * seq**2 / 2**20, "k--", label="2 · 4 bytes · B·H·T²")
axes[0].set(xlabel="sequence length T", ylabel="MiB", title="Scores + weights memory, B=1, H=4, float32")
axes[0].legend()
axes[1].loglog(seq, [r[2] for r in rows], "o-", label="projections (measured)")
axes[1].loglog(seq, [r[3] for r in rows], "s-", label="attention core (measured)")
axes[1].axvline(2 * embed_dim, color="gray", ls=":", label="T = 2D: equal FLOPs")
axes[1].set(xlabel="sequence length T", ylabel="ms (best of 3)", title=f"Time per layer, D={embed_dim}")
axes[1].legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# Doubling $T$ multiplies the score memory by exactly 4: at $T = 1024$ one layer holds 32 MiB
# of scores and weights for a *single* sequence with only 4 heads — and the backward pass
# keeps them. A GPT with 12 layers, 12 heads and a batch of 8 at $T = 1024$ would need about
# 12 · 8 · 12 · 1024² · 4 bytes · 2 ≈ 9 GiB for them alone. That is the wall long-context
# models hit, and the reason for FlashAttention (compute the softmax in tiles, never store the
# full $T \times T$ matrix) and for the key–value cache of module 15.
#
# The time columns tell a second story. Compare each with its FLOP column: the projections
# run at many more FLOPs per millisecond than the attention core. The core is not only
# matmuls: the softmax reads and writes every one of the $B H T^2$ scores several times and
# computes an exponential for each, and the score arrays soon outgrow the caches. So in time
# the core usually overtakes the projections *before* $T = 2D$, where the FLOP counts cross,
# and from there it grows like $T^2$ while the projections grow like $T$. For attention,
# memory traffic, not FLOPs, is what sets the cost.

# %% [markdown]
# ## Putting it together — a head that learns to look back
#
# The integration test trains a tiny model with your attention on a task only attention can
# solve: **output the previous token** (the first token outputs itself). Each input vector is a
# one-hot token (5 symbols, features 0–4) plus a one-hot position (features 8–15), 16 features
# in all — module 11's embeddings would learn such vectors; here they are fixed. The model is
# `MultiHeadAttention(16, 2)` with the causal mask, followed by a `Linear(16, 5)` that reads
# off the token. Nothing else: no residual path, so the only way to get token $t-1$ to
# position $t$ is for some head to attend from position $t$ to position $t-1$, which it can
# find only through the position features of its queries and keys.
#
# Training is plain gradient descent (module 06's optimizers are not needed for this). The
# graded cell then checks three things your attention must guarantee:
#
# 1. **the loss falls**: gradients reach every projection;
# 2. **causality**: changing future tokens does not change any earlier output;
# 3. **no gradient from the future**: the gradient of the output at position $t$ with respect to
#    inputs after $t$ is exactly zero.

# %%
VOCAB, SEQ_LEN, FEATURES = 5, 8, 16


def previous_token_batch(rng, batch_size):
    """One-hot tokens (features 0..4) + one-hot positions (features 8..15), and the targets."""
    tokens = rng.integers(0, VOCAB, size=(batch_size, SEQ_LEN))
    x = np.zeros((batch_size, SEQ_LEN, FEATURES), dtype=np.float32)
    x[np.arange(batch_size)[:, None], np.arange(SEQ_LEN), tokens] = 1.0
    x[:, np.arange(SEQ_LEN), 8 + np.arange(SEQ_LEN)] = 1.0
    targets = np.concatenate([tokens[:, :1], tokens[:, :-1]], axis=1)  # the token before; the first copies itself
    return x, targets


def train_previous_token_model(steps=300, learning_rate=1.0, seed=0):
    """Train MultiHeadAttention(16, 2) + Linear(16, 5) by gradient descent; return (attention, readout, losses)."""
    np.random.seed(seed)
    rng = np.random.default_rng(seed)
    attention, readout = MultiHeadAttention(FEATURES, 2), Linear(FEATURES, VOCAB)
    parameters = attention.parameters() + readout.parameters()
    mask, loss_fn, losses = causal_mask(SEQ_LEN), CrossEntropyLoss(), []
    for _ in range(steps):
        x, targets = previous_token_batch(rng, 32)
        for p in parameters:
            p.zero_grad()
        logits = readout(attention(Tensor(x), mask))
        loss = loss_fn(logits.reshape(-1, VOCAB), targets.reshape(-1))
        loss.backward()
        with no_grad():
            for p in parameters:
                p.data -= learning_rate * p.grad
        losses.append(loss.item())
    return attention, readout, losses


# %% nbgrader={"grade": true, "grade_id": "attention-integration", "locked": true, "points": 3, "schema_version": 3, "solution": false}
start = time.perf_counter()
attention, readout, losses = train_previous_token_model()
print(f"trained in {time.perf_counter() - start:.2f} s: loss {losses[0]:.3f} -> {np.mean(losses[-20:]):.4f}")
assert np.mean(losses[-20:]) < 0.1 * losses[0], f"the loss should fall below a tenth: {losses[0]:.3f} -> {np.mean(losses[-20:]):.3f}"
rng = np.random.default_rng(99)
x, targets = previous_token_batch(rng, 64)
predicted = readout(attention(Tensor(x), causal_mask(SEQ_LEN))).data.argmax(axis=-1)
accuracy = np.mean(predicted == targets)
assert accuracy > 0.95, f"the trained model should copy the previous token: accuracy {accuracy:.2%}"
looks_back = attention.attention_weights[:, :, np.arange(1, SEQ_LEN), np.arange(SEQ_LEN - 1)].mean(axis=(0, 2))
assert looks_back.max() > 0.5, f"some head should put most of its weight on the previous token: {looks_back}"

# causality: change the last three tokens, the first five outputs stay the same
changed = x.copy()
changed[:, 5:, :VOCAB] = np.roll(changed[:, 5:, :VOCAB], 1, axis=-1)
before = attention(Tensor(x), causal_mask(SEQ_LEN)).data
after = attention(Tensor(changed), causal_mask(SEQ_LEN)).data
np.testing.assert_allclose(after[:, :5], before[:, :5], rtol=0, atol=1e-6, err_msg="outputs 0..4 must not see tokens 5..7")
assert not np.allclose(after[:, 5:], before[:, 5:]), "outputs 5..7 do see their own (changed) tokens"

# no gradient from the future: d(output at position 2) / d(inputs 3..7) is exactly zero
inputs = Tensor(x[:4], requires_grad=True)
attention(inputs, causal_mask(SEQ_LEN))[:, 2].sum().backward()
np.testing.assert_array_equal(inputs.grad[:, 3:], 0.0, err_msg="position 2's output must get no gradient from later inputs")
assert np.any(inputs.grad[:, :3] != 0), "and it does depend on positions 0..2"
print("Integration passed: the head learned to look back, and nothing leaks from the future.")
### BEGIN HIDDEN TESTS
from autograder.gradcheck import check_gradient_flow, check_parameter_coverage

rng = np.random.default_rng(1207)
np.random.seed(1207)
model = MultiHeadAttention(8, 4)
probe_readout = Linear(8, 3)
for layer in (model.q_proj, model.k_proj, model.v_proj, model.out_proj, probe_readout):
    layer.weight = Tensor(rng.standard_normal(layer.weight.shape) / np.sqrt(8), requires_grad=True)
    layer.bias = Tensor(rng.standard_normal(layer.bias.shape) * 0.1, requires_grad=True)


class AttentionClassifier(Layer):
    def __init__(self, attention, readout):
        self.attention, self.readout = attention, readout

    def forward(self, x, mask):
        return self.readout(self.attention(x, mask))


classifier = AttentionClassifier(model, probe_readout)
x = Tensor(rng.standard_normal((2, 5, 8)), requires_grad=True)
targets = rng.integers(0, 3, size=10)
named = check_parameter_coverage(classifier)
checked = {name: tensor for name, tensor in named.items() if tensor is not model.k_proj.bias}
check_gradient_flow(lambda: CrossEntropyLoss()(classifier(x, causal_mask(5)).reshape(-1, 3), targets),
                    {"x": x, **checked}, max_entries=12)
# causality on random inputs and a random model, every position
for t in range(5):
    perturbed = x.data.copy()
    perturbed[:, t + 1:] += rng.standard_normal(perturbed[:, t + 1:].shape)
    np.testing.assert_allclose(model(Tensor(perturbed), causal_mask(5)).data[:, :t + 1],
                               model(Tensor(x.data), causal_mask(5)).data[:, :t + 1], rtol=0, atol=1e-12,
                               err_msg=f"outputs 0..{t} changed when later inputs changed")
### END HIDDEN TESTS

# %% [markdown]
# ### See it: what the heads learned
#
# The weights of both heads on one test sequence. One head has learned the sub-diagonal —
# every query looks at the position just before it — from nothing but the gradient of the
# loss; the other never needed to specialize.

# %%
x, _ = previous_token_batch(np.random.default_rng(5), 1)
readout(attention(Tensor(x), causal_mask(SEQ_LEN)))
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
axes[0].plot(losses)
axes[0].set(xlabel="step", ylabel="cross-entropy", title="Training loss", yscale="log")
for h in range(2):
    image = axes[h + 1].imshow(attention.attention_weights[0, h], cmap="viridis", vmin=0, vmax=1)
    axes[h + 1].set(title=f"head {h}", xlabel="key position j", ylabel="query position i")
fig.colorbar(image, ax=axes[1:], shrink=0.8, label="attention weight")
plt.show()

# %% [markdown]
# ## Summary
#
# - **Scaled dot-product attention**: $\operatorname{softmax}(QK^\top/\sqrt{d})\,V$, from Tensor
#   operations and module 02's softmax, so autograd differentiates it. You measured why
#   $\sqrt{d}$: raw dot products have variance $d$, and the softmax of such spread scores is
#   nearly one-hot with a vanishing gradient.
# - **Masks** act before the softmax by adding $-10^9$: forbidden keys weigh exactly 0 and
#   receive exactly zero gradient, and unlike $-\infty$ a fully masked row never becomes NaN.
#   The **causal mask** is the lower triangle.
# - **Multi-head attention**: four projections, heads split by a reshape *and* a transpose,
#   all heads in one batched matmul, merged back the same way.
# - **Systems**: the $(B, H, T, T)$ scores cost memory in $T^2$; the attention core costs
#   $4BT^2D$ FLOPs against $8BTD^2$ for the projections, equal at $T = 2D$ — and in time the
#   memory-bound softmax makes the core dominate even earlier.
#
# **Next:** module 13 wraps your `MultiHeadAttention` with layer normalization, an MLP and
# residual connections into a `TransformerBlock`, and stacks those into a GPT.
#
# **Export your work** into your own package: `python -m autograder export` with this notebook
# writes `tinytorch/core/attention.py`.
