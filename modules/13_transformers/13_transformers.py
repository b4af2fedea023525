# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Module 13 — Transformers
#
# Module 12 gave you attention: every position of a sequence reads from every earlier one.
# One attention layer is not a language model yet. This module adds the three pieces that
# turn it into one — **layer normalization**, a position-wise **MLP** and **residual
# connections** — stacks them into **transformer blocks**, and puts an embedding in front and
# a vocabulary projection behind: a **GPT**. At the end you train one on a small text and
# watch it go from random characters to the text's words.
#
# **What you build.**
# - `LayerNorm(normalized_shape, eps=1e-5)`: normalizes each token's features, with
#   trainable `gamma` and `beta`;
# - `MLP(embed_dim, hidden_dim=None, dropout=0.0)`: Linear → GELU → Linear → Dropout;
# - `TransformerBlock(embed_dim, num_heads, mlp_ratio=4, dropout=0.0)`: the pre-norm block
#   $x \leftarrow x + \text{attention}(\text{LN}_1(x))$, $x \leftarrow x + \text{MLP}(\text{LN}_2(x))$;
# - `sample_next_token(logits, temperature, top_k, rng)`: how a language model picks a token;
# - `GPT(vocab_size, embed_dim, num_layers, num_heads, max_seq_len)`: `forward`, `loss`,
#   `generate` and `num_parameters`.
#
# **Why build it yourself.** Every large language model is this architecture, scaled up.
# Writing it shows you where the parameters live (you will count them: $12 L d^2 + V d$),
# where the memory goes, and why small choices — where the normalization sits, what the
# residual path carries, how the next token is sampled — decide whether a deep stack trains
# and whether its output reads well.
#
# **What you need.** Module 03's `Layer`, `Linear` and `Dropout`; module 02's `GELU`;
# module 04's `CrossEntropyLoss`; module 05's autograd (everything here is built from Tensor
# operations and earlier layers, so `loss.backward()` differentiates it with no backward of
# your own); module 06's `Adam` for training; module 11's `Embedding` and
# `LearnedPositionalEncoding`; module 12's `MultiHeadAttention` and `causal_mask`. Module 10's
# tokenizers are not needed: a tiny character vocabulary, built in a cell below, stands in.
#
# **Where it lands.** `tinytorch/core/transformer.py`. Module 14 profiles your GPT, module 15
# speeds up its `generate` with a key–value cache, modules 16–17 quantize and prune it.
#
# **How this notebook works.** Fill in the places marked `# YOUR CODE HERE` (delete the
# `raise NotImplementedError()` line), run the cell, then the test cell below it. When your
# notebook is graded, hidden tests in the same cells try random shapes and seeds and compare
# your gradients with central differences.

# %%
#| default_exp core.transformer
#| export
import numpy as np

import tinytorch.core.autograd  # noqa: F401  (gradients on)
from tinytorch.core.activations import GELU
from tinytorch.core.attention import MultiHeadAttention, causal_mask
from tinytorch.core.autograd import no_grad
from tinytorch.core.layers import Dropout, Layer, Linear
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.tensor import Tensor
from tinytorch.text.embeddings import Embedding, LearnedPositionalEncoding, as_token_ids

# %%
import time

import matplotlib.pyplot as plt

from tinytorch.core.autograd import topological_order
from tinytorch.core.optimizers import Adam

from autograder.gradcheck import check_gradient_flow, check_model_gradients, named_parameters


def make_float64(model, rng=None, noise=0.0):
    """Turn every parameter of `model` into float64 (gradient checks need it), optionally
    adding seeded Gaussian noise so that LayerNorm's gamma and beta are not all ones and zeros."""
    for parameter in model.parameters():
        values = parameter.data.astype(np.float64)
        if noise:
            values = values + noise * rng.standard_normal(values.shape)
        parameter.data = values
    return model


# %% [markdown]
# ## The big picture
#
# A GPT reads token ids and returns, at every position, a score (a *logit*) for every token of
# the vocabulary: its guess of the token that comes next.
#
# ```
#  ids (B, T) ──► token embedding + position embedding ──► x (B, T, d)      "the residual stream"
#                                                          │
#              ┌───────────────────────────────────────────┤  × L blocks
#              │   x = x + Attention(LayerNorm₁(x), causal mask)   tokens talk to earlier tokens
#              │   x = x + MLP(LayerNorm₂(x))                      each token thinks on its own
#              └───────────────────────────────────────────┤
#                                                          ▼
#                                       LayerNorm_f ──► lm_head Linear(d, V) ──► logits (B, T, V)
# ```
#
# Two kinds of layers alternate. **Attention** moves information *between* positions (module
# 12). The **MLP** transforms each position *independently* — the same two-layer network
# applied to every token — and holds two thirds of a block's parameters. LayerNorm keeps the
# numbers at a sane scale, and the residual additions (`x = x + ...`) keep a straight path
# from the embeddings to the output. Steps 1–3 build the parts, steps 4–5 the model.

# %% [markdown]
# ## Step 1 — Layer normalization
#
# Deep networks train badly when the scale of the activations drifts from layer to layer:
# softmaxes saturate, GELUs go linear, gradients shrink or blow up. A normalization layer
# resets the scale. **LayerNorm** does it for each token on its own: over the $d$ features of
# one position $x \in \mathbb{R}^d$,
#
# $$\mu = \frac{1}{d}\sum_{i=1}^{d} x_i, \qquad
#   \sigma^2 = \frac{1}{d}\sum_{i=1}^{d} (x_i - \mu)^2, \qquad
#   y_i = \gamma_i \,\frac{x_i - \mu}{\sqrt{\sigma^2 + \varepsilon}} + \beta_i .$$
#
# After the division every token's features have mean 0 and variance (almost) 1; the
# trainable **gain** $\gamma$ (initialized to ones) and **bias** $\beta$ (zeros) let the network
# choose another scale and offset if that serves it better. Note three details:
#
# - the variance is the *biased* one (divide by $d$, not $d-1$), as in PyTorch;
# - $\varepsilon$ (default $10^{-5}$) goes **inside** the square root: a token whose features are
#   all equal has $\sigma^2 = 0$, and $1/\sqrt{0}$ is infinite; with $\varepsilon$ inside, the
#   output is just $\beta$. For tokens of tiny but nonzero variance, $\varepsilon$ inside and
#   outside the root give very different answers — only the one inside matches PyTorch;
# - `normalized_shape` may be an int $d$ or a tuple: LayerNorm then normalizes over the last
#   `len(normalized_shape)` axes together, and $\gamma$, $\beta$ have that shape.
#
# **Why not BatchNorm?** BatchNorm (module 09) normalizes each feature over the *batch*: its
# statistics mix different examples. For sequences that is a poor fit. Sequences have
# different lengths and padding, so per-position batch statistics mix real tokens with
# padding; a language model generates one token at a time with batch size 1, where batch
# statistics do not exist (BatchNorm must switch to running averages, so training and
# generation compute different functions); and a token's output would depend on which other
# sequences share its batch. LayerNorm uses only the token's own features: the same
# computation in training and generation, at any batch size and any length.
#
# **Build it from Tensor operations** — `mean(axis, keepdims=True)`, `-`, `*`, `+` and
# `** -0.5` — so that module 05 differentiates it. (The gradient of LayerNorm by hand is a
# page of algebra; autograd gets it from the graph, and the hidden tests check it against
# central differences.) Use a Python float for $\varepsilon$, so float32 stays float32.

# %% nbgrader={"grade": false, "grade_id": "layernorm-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
class LayerNorm(Layer):
    """Normalize over the last len(normalized_shape) axes, then scale by gamma and shift by beta."""

    def __init__(self, normalized_shape, eps=1e-5):
        """normalized_shape: an int d or a tuple of ints (the trailing shape to normalize over).

        Keep self.normalized_shape as a tuple (an int d becomes (d,)) and self.eps, and create
        self.gamma (ones) and self.beta (zeros): float32 Tensors of shape normalized_shape
        with requires_grad=True.
        """
        ### BEGIN SOLUTION
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (int(normalized_shape),)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = float(eps)
        self.gamma = Tensor(np.ones(self.normalized_shape, dtype=np.float32), requires_grad=True)
        self.beta = Tensor(np.zeros(self.normalized_shape, dtype=np.float32), requires_grad=True)
        ### END SOLUTION

    def forward(self, x):
        """x of shape (..., *normalized_shape) -> a Tensor of the same shape.

        Raise ValueError naming both shapes when x's trailing shape is not normalized_shape.
        Then, over the trailing axes (a tuple of negative axes, e.g. (-1,) or (-2, -1)), with
        keepdims=True so everything broadcasts against x:
            mean = x.mean(...); centered = x - mean; variance = (centered * centered).mean(...)
            normalized = centered * (variance + eps) ** -0.5
        and return normalized * gamma + beta. Tensor operations only. Accept a numpy array
        by wrapping it in a Tensor.
        """
        ### BEGIN SOLUTION
        if not isinstance(x, Tensor):
            x = Tensor(x)
        count = len(self.normalized_shape)
        if x.ndim < count or x.shape[-count:] != self.normalized_shape:
            raise ValueError(
                f"LayerNorm{self.normalized_shape} expects input of shape (..., "
                f"{', '.join(map(str, self.normalized_shape))}), got {x.shape}"
            )
        axes = tuple(range(-count, 0))
        mean = x.mean(axis=axes, keepdims=True)
        centered = x - mean
        variance = (centered * centered).mean(axis=axes, keepdims=True)
        normalized = centered * (variance + self.eps) ** -0.5
        return normalized * self.gamma + self.beta
        ### END SOLUTION

    def __repr__(self):
        return f"LayerNorm({self.normalized_shape}, eps={self.eps})"


# %% nbgrader={"grade": true, "grade_id": "layernorm", "locked": true, "points": 3, "schema_version": 3, "solution": false}
norm = LayerNorm(4)
assert norm.normalized_shape == (4,), f"an int 4 becomes the tuple (4,), got {norm.normalized_shape}"
assert norm.gamma.shape == (4,) and norm.beta.shape == (4,), "gamma and beta have shape normalized_shape"
np.testing.assert_array_equal(norm.gamma.data, 1.0, err_msg="gamma starts at ones")
np.testing.assert_array_equal(norm.beta.data, 0.0, err_msg="beta starts at zeros")
assert norm.gamma.requires_grad and norm.beta.requires_grad, "gamma and beta are trainable"
assert norm.gamma.dtype == np.float32, "parameters are float32"
assert len(norm.parameters()) == 2, "parameters() returns gamma and beta"

x = Tensor(np.array([[[1.0, 2.0, 3.0, 4.0], [10.0, 10.0, 30.0, 30.0]],
                     [[-2.0, 0.0, 0.0, 2.0], [5.0, 6.0, 7.0, 100.0]]], dtype=np.float32))
y = norm(x)
assert isinstance(y, Tensor) and y.shape == (2, 2, 4), f"same shape as the input, got {y.shape}"
assert y.dtype == np.float32, f"float32 in, float32 out: got {y.dtype} (use a Python float for eps)"
np.testing.assert_allclose(y.data.mean(axis=-1), 0.0, atol=1e-5, err_msg="every token's features have mean 0")
np.testing.assert_allclose(y.data.var(axis=-1), 1.0, rtol=1e-3, err_msg="every token's features have variance 1")
np.testing.assert_allclose(y.data[0, 0], np.array([-3, -1, 1, 3]) / np.sqrt(5 + 1e-5), rtol=1e-5,
                           err_msg="[1, 2, 3, 4]: mean 2.5, variance 1.25 -> (x - 2.5) / sqrt(1.25 + eps)")
np.testing.assert_allclose(norm(x[1:]).data, y.data[1:], rtol=1e-6,
                           err_msg="a token's output must not depend on the other examples of the batch")

with np.errstate(over="raise", divide="raise", invalid="raise"):
    constant = norm(Tensor(np.full((1, 3, 4), 7.0, dtype=np.float32)))
np.testing.assert_allclose(constant.data, 0.0, atol=1e-6,
                           err_msg="a constant token has variance 0: eps inside the sqrt gives beta (0), not NaN")
small = np.random.default_rng(0).standard_normal((3, 4)) * 1e-3  # variance ~1e-6, comparable to eps
reference = (small - small.mean(-1, keepdims=True)) / np.sqrt(small.var(-1, keepdims=True) + 1e-5)
np.testing.assert_allclose(norm(Tensor(small)).data, reference, rtol=1e-5,
                           err_msg="tokens of tiny variance: divide by sqrt(variance + eps), eps inside the root")

norm.gamma.data[:] = 2.0
norm.beta.data[:] = 1.0
np.testing.assert_allclose(norm(x).data, 2.0 * y.data + 1.0, rtol=1e-5, err_msg="output = normalized * gamma + beta")

two_axes = LayerNorm((2, 4))
assert two_axes.gamma.shape == (2, 4), "a tuple normalized_shape: gamma has that shape"
np.testing.assert_allclose(two_axes(x).data.reshape(2, 8).mean(axis=-1), 0.0, atol=1e-5,
                           err_msg="LayerNorm((2, 4)) normalizes over the last two axes together")
try:
    norm(Tensor(np.zeros((2, 5))))
except ValueError:
    pass
else:
    raise AssertionError("an input whose last axis is not 4 should raise ValueError")
print("LayerNorm passed.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1301)
for normalized_shape in (5, (3,), (2, 3), 1 + int(rng.integers(2, 7))):
    trailing = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
    lead = tuple(int(n) for n in rng.integers(1, 4, size=int(rng.integers(1, 3))))
    layer = LayerNorm(normalized_shape)
    make_float64(layer, rng, noise=0.5)
    data = rng.standard_normal(lead + trailing) * 3.0 + 1.0
    axes = tuple(range(-len(trailing), 0))
    expected = ((data - data.mean(axis=axes, keepdims=True))
                / np.sqrt(data.var(axis=axes, keepdims=True) + 1e-5)) * layer.gamma.data + layer.beta.data
    np.testing.assert_allclose(layer(Tensor(data)).data, expected, rtol=1e-10, atol=1e-12,
                               err_msg=f"LayerNorm({normalized_shape}) on shape {data.shape}")
    x = Tensor(data, requires_grad=True)
    upstream = rng.standard_normal(data.shape)
    check_gradient_flow(lambda: (layer(x) * upstream).sum(), {"x": x, "gamma": layer.gamma, "beta": layer.beta})
# a different eps is used
layer = make_float64(LayerNorm(6, eps=0.1))
data = rng.standard_normal((2, 6)) * 0.2
np.testing.assert_allclose(layer(Tensor(data)).data,
                           (data - data.mean(-1, keepdims=True)) / np.sqrt(data.var(-1, keepdims=True) + 0.1),
                           rtol=1e-10, err_msg="LayerNorm(6, eps=0.1) must use its own eps")
### END HIDDEN TESTS

# %% [markdown]
# ## Step 2 — The MLP: each token thinks on its own
#
# Attention mixes information across positions but is, apart from the softmax, linear in the
# values it moves. The MLP adds the nonlinear processing, one token at a time:
#
# $$\text{MLP}(x) = \text{Dropout}\big(\,\text{GELU}(x W_1 + b_1)\, W_2 + b_2\big), \qquad
#   W_1 \in \mathbb{R}^{d \times 4d},\; W_2 \in \mathbb{R}^{4d \times d}.$$
#
# The hidden layer is 4 times wider than the model (GPT-2's choice, `hidden_dim=None` means
# $4d$): it expands each token into a space of $4d$ features, where GELU can switch features on
# and off smoothly, then projects back to $d$ so the result can be added to the residual
# stream. Its $8d^2$ weights are two thirds of a block's parameters. Because `Linear` works on
# the last axis, an input of shape $(B, T, d)$ is handled as $B \cdot T$ independent tokens
# with no reshaping.
#
# Keep the layers as attributes named `fc1`, `activation` (a `GELU()`), `fc2` and `dropout`
# (a `Dropout(dropout)`; with $p = 0$ it passes its input through).

# %% nbgrader={"grade": false, "grade_id": "mlp-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
class MLP(Layer):
    """The position-wise feed-forward network of a transformer block: Linear -> GELU -> Linear -> Dropout."""

    def __init__(self, embed_dim, hidden_dim=None, dropout=0.0):
        """fc1 = Linear(embed_dim, hidden_dim), activation = GELU(), fc2 = Linear(hidden_dim, embed_dim),
        dropout = Dropout(dropout). hidden_dim=None means 4 * embed_dim. Keep embed_dim and hidden_dim."""
        ### BEGIN SOLUTION
        hidden_dim = 4 * embed_dim if hidden_dim is None else hidden_dim
        self.embed_dim, self.hidden_dim = embed_dim, hidden_dim
        self.fc1 = Linear(embed_dim, hidden_dim)
        self.activation = GELU()
        self.fc2 = Linear(hidden_dim, embed_dim)
        self.dropout = Dropout(dropout)
        ### END SOLUTION

    def forward(self, x):
        """x (..., embed_dim) -> (..., embed_dim): dropout(fc2(activation(fc1(x))))."""
        ### BEGIN SOLUTION
        return self.dropout(self.fc2(self.activation(self.fc1(x))))
        ### END SOLUTION

    def __repr__(self):
        return f"MLP(embed_dim={self.embed_dim}, hidden_dim={self.hidden_dim})"


# %% nbgrader={"grade": true, "grade_id": "mlp", "locked": true, "points": 2, "schema_version": 3, "solution": false}
np.random.seed(0)
mlp = MLP(8)
assert isinstance(mlp.fc1, Linear) and isinstance(mlp.fc2, Linear), "fc1 and fc2 are Linear layers"
assert mlp.fc1.weight.shape == (8, 32) and mlp.fc2.weight.shape == (32, 8), (
    f"hidden_dim=None means 4 * embed_dim: expected weights (8, 32) and (32, 8), "
    f"got {mlp.fc1.weight.shape} and {mlp.fc2.weight.shape}")
assert MLP(8, hidden_dim=5).fc1.weight.shape == (8, 5), "an explicit hidden_dim is used"
assert len(mlp.parameters()) == 4, f"two weights and two biases, got {len(mlp.parameters())} parameters"
x = Tensor(np.random.default_rng(1).standard_normal((2, 3, 8)).astype(np.float32))
y = mlp(x)
assert isinstance(y, Tensor) and y.shape == (2, 3, 8), f"(2, 3, 8) in, (2, 3, 8) out: got {y.shape}"
hidden = x.data @ mlp.fc1.weight.data + mlp.fc1.bias.data
gelu = 0.5 * hidden * (1 + np.tanh(np.sqrt(2 / np.pi) * (hidden + 0.044715 * hidden**3)))
np.testing.assert_allclose(y.data, gelu @ mlp.fc2.weight.data + mlp.fc2.bias.data, rtol=1e-4, atol=1e-5,
                           err_msg="MLP(x) = GELU(x @ W1 + b1) @ W2 + b2")
np.testing.assert_allclose(mlp(x[1:2]).data, y.data[1:2], rtol=1e-5, err_msg="each token is processed on its own")
assert MLP(8, dropout=0.5).dropout.p == 0.5, "the dropout probability reaches the Dropout layer"
print("MLP passed.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1302)
np.random.seed(1302)
for embed_dim, hidden_dim in ((5, None), (4, 7)):
    layer = make_float64(MLP(embed_dim, hidden_dim), rng, noise=0.3)
    x = Tensor(rng.standard_normal((2, 3, embed_dim)), requires_grad=True)
    upstream = rng.standard_normal((2, 3, embed_dim))
    check_model_gradients(layer, lambda: (layer(x) * upstream).sum(), inputs={"x": x}, max_entries=10)
# dropout is active in training and off in eval
layer = MLP(6, dropout=0.5)
data = Tensor(rng.standard_normal((4, 5, 6)).astype(np.float32))
np.random.seed(3)
trained = layer(data).data
assert np.any(trained == 0.0), "with dropout 0.5 in training mode some outputs are zero"
layer.eval()
np.testing.assert_array_equal(layer(data).data, layer(data).data, err_msg="eval mode is deterministic")
assert not np.any(layer(data).data == 0.0), "no dropout in eval mode"
### END HIDDEN TESTS

# %% [markdown]
# ## Step 3 — The transformer block: a residual stream with pre-norm
#
# A block reads the **residual stream** $x$ of shape $(B, T, d)$ and *adds* to it:
#
# $$x \leftarrow x + \text{Dropout}\big(\text{Attention}(\text{LN}_1(x),\ \text{mask})\big), \qquad
#   x \leftarrow x + \text{MLP}(\text{LN}_2(x)).$$
#
# **The residual stream.** Think of $x$ as a shared workspace that flows from the embeddings
# to the output. No block overwrites it; each reads a normalized copy, computes something, and
# adds its contribution. If a block's sub-layers output zero, the block is the identity — so a
# freshly initialized deep stack starts close to a shallow one instead of a scrambled one.
# For the backward pass, $\partial(x + f(x))/\partial x = I + \partial f/\partial x$: the
# identity term carries the gradient of the loss to *every* block, and to the embeddings,
# however deep the stack, without passing through any weight matrix. That is what lets
# transformers be 12, 48 or 96 blocks deep.
#
# **Pre-norm, not post-norm.** The original transformer (2017) normalized *after* the addition,
# $x \leftarrow \text{LN}(x + f(x))$. Then every path from the output back to the input goes
# through $L$ LayerNorms, each rescaling the gradient by a factor that depends on the
# activations; in a deep stack these factors compound, the gradients of the layers near the
# output are much larger than those near the input, and training needs a careful learning-rate
# warm-up to survive the first steps. GPT-2 and nearly every model since put the norm *before*
# each sub-layer, on the branch. The stream itself is never normalized, the identity path is
# clean, and deep stacks train with plain learning rates. The price is that the stream's scale
# grows with depth, so a final LayerNorm (`ln_f` in the GPT) normalizes it before the output
# projection.
#
# Keep the sub-layers as attributes `ln1`, `attention` (a `MultiHeadAttention`), `dropout`,
# `ln2` and `mlp` (an `MLP` with hidden size `mlp_ratio * embed_dim`).

# %% nbgrader={"grade": false, "grade_id": "transformer-block-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
class TransformerBlock(Layer):
    """Pre-norm transformer block: x + attention(ln1(x)), then + mlp(ln2(x))."""

    def __init__(self, embed_dim, num_heads, mlp_ratio=4, dropout=0.0):
        """ln1 = LayerNorm(embed_dim), attention = MultiHeadAttention(embed_dim, num_heads),
        dropout = Dropout(dropout) (on the attention's output), ln2 = LayerNorm(embed_dim),
        mlp = MLP(embed_dim, mlp_ratio * embed_dim, dropout). Keep embed_dim and num_heads."""
        ### BEGIN SOLUTION
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.ln1 = LayerNorm(embed_dim)
        self.attention = MultiHeadAttention(embed_dim, num_heads)
        self.dropout = Dropout(dropout)
        self.ln2 = LayerNorm(embed_dim)
        self.mlp = MLP(embed_dim, mlp_ratio * embed_dim, dropout)
        ### END SOLUTION

    def forward(self, x, mask=None):
        """x (B, T, embed_dim) -> (B, T, embed_dim); mask is passed to the attention.

        x = x + dropout(attention(ln1(x), mask)), then x = x + mlp(ln2(x)).
        """
        ### BEGIN SOLUTION
        x = x + self.dropout(self.attention(self.ln1(x), mask))
        x = x + self.mlp(self.ln2(x))
        return x
        ### END SOLUTION

    def __repr__(self):
        return f"TransformerBlock(embed_dim={self.embed_dim}, num_heads={self.num_heads})"


# %% nbgrader={"grade": true, "grade_id": "transformer-block", "locked": true, "points": 3, "schema_version": 3, "solution": false}
np.random.seed(0)
block = TransformerBlock(8, 2)
assert isinstance(block.ln1, LayerNorm) and isinstance(block.ln2, LayerNorm), "ln1 and ln2 are LayerNorms"
assert isinstance(block.attention, MultiHeadAttention), "attention is a MultiHeadAttention"
assert isinstance(block.mlp, MLP) and block.mlp.fc1.weight.shape == (8, 32), "mlp is an MLP of hidden size 4 * 8"
assert len(block.parameters()) == 16, f"2 norms x 2 + attention 8 + MLP 4 = 16 tensors, got {len(block.parameters())}"
rng = np.random.default_rng(2)
x = Tensor(rng.standard_normal((2, 5, 8)).astype(np.float32) * 2.0)
mask = causal_mask(5)
y = block(x, mask)
assert isinstance(y, Tensor) and y.shape == (2, 5, 8), f"(2, 5, 8) in, (2, 5, 8) out: got {y.shape}"
after_attention = x + block.attention(block.ln1(x), mask)
expected = after_attention + block.mlp(block.ln2(after_attention))
np.testing.assert_allclose(y.data, expected.data, rtol=1e-5, atol=1e-5,
                           err_msg="pre-norm: x = x + attention(ln1(x), mask), then x = x + mlp(ln2(x))")
# the residual stream: sub-layers that output zero leave the block an identity
for layer in (block.attention.out_proj, block.mlp.fc2):
    layer.weight.data[:] = 0.0
    layer.bias.data[:] = 0.0
np.testing.assert_allclose(block(x, mask).data, x.data, rtol=1e-6, atol=1e-6,
                           err_msg="with zero sub-layer outputs a pre-norm block must return x itself (x + 0 + 0)")
print("TransformerBlock passed.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1303)
np.random.seed(1303)
for embed_dim, num_heads, mlp_ratio, seq_len in ((6, 2, 2, 4), (4, 1, 3, 3)):
    block = make_float64(TransformerBlock(embed_dim, num_heads, mlp_ratio=mlp_ratio), rng, noise=0.3)
    assert block.mlp.fc1.weight.shape == (embed_dim, mlp_ratio * embed_dim), "mlp_ratio sets the MLP's width"
    data = rng.standard_normal((2, seq_len, embed_dim))
    mask = causal_mask(seq_len)
    middle = data + block.attention(block.ln1(Tensor(data)), mask).data
    expected = middle + block.mlp(block.ln2(Tensor(middle))).data
    np.testing.assert_allclose(block(Tensor(data), mask).data, expected, rtol=1e-10, atol=1e-12)
    # causal: later positions do not change earlier outputs
    changed = data.copy()
    changed[:, -1] += rng.standard_normal(embed_dim)
    np.testing.assert_allclose(block(Tensor(changed), mask).data[:, :-1], block(Tensor(data), mask).data[:, :-1],
                               rtol=0, atol=1e-12, err_msg="the mask reaches the attention")
    x = Tensor(data, requires_grad=True)
    upstream = rng.standard_normal(data.shape)
    check_model_gradients(block, lambda: (block(x, mask) * upstream).sum(), inputs={"x": x}, max_entries=6,
                          zero_gradients=("TransformerBlock.attention.k_proj.bias",))
### END HIDDEN TESTS

# %% [markdown]
# ## Step 4 — The GPT
#
# Now stack the blocks. For token ids of shape $(B, T)$:
#
# 1. `token_embedding` (`Embedding(vocab_size, embed_dim)`) turns ids into vectors, and
#    `position_embedding` (`LearnedPositionalEncoding(max_seq_len, embed_dim)`) adds a trainable
#    vector per position. Without positions, attention cannot tell "dog bites man" from "man
#    bites dog": it is a weighted *set* operation.
# 2. `dropout` (on the embeddings), then every block of `blocks` — a Python list of
#    `num_layers` `TransformerBlock`s — with the **causal mask** `causal_mask(T)`: position $t$
#    may read positions $\le t$ only, because at generation time the future does not exist yet.
# 3. `ln_f`, a final LayerNorm, then `lm_head = Linear(embed_dim, vocab_size)`: one logit per
#    vocabulary entry at every position.
#
# **The loss.** The logits at position $t$ predict token $t+1$. For a window of text
# $c_0 c_1 \dots c_T$, the input is `ids = c[0:T]` and the targets are `targets = c[1:T+1]`, the
# same text shifted by one: a single forward pass gives $T$ predictions, each trained at once.
# Cross-entropy (module 04) wants logits of shape $(N, V)$ and $N$ class ids, so reshape:
#
# $$\mathcal{L} = \text{CrossEntropy}\big(\text{logits.reshape}(B \cdot T, V),\ \text{targets.reshape}(B \cdot T)\big).$$
#
# `loss(ids, targets)` returns that 0-d Tensor; `loss.backward()` then reaches every parameter.
# A model that knows nothing spreads its probability evenly and scores $\ln V$ — a useful
# number to compare the first loss of a training run with.
#
# `generate` is Step 5; `num_parameters()` counts every entry of every trainable tensor.
# `Layer.parameters()` (module 03) already looks inside lists, so the blocks' parameters are
# found without extra code.

# %% nbgrader={"grade": false, "grade_id": "gpt-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
class GPT(Layer):
    """A decoder-only transformer language model: ids (B, T) -> next-token logits (B, T, vocab_size)."""

    def __init__(self, vocab_size, embed_dim, num_layers, num_heads, max_seq_len, dropout=0.0):
        """Create, in this order: token_embedding = Embedding(vocab_size, embed_dim),
        position_embedding = LearnedPositionalEncoding(max_seq_len, embed_dim),
        dropout = Dropout(dropout), blocks = a list of num_layers TransformerBlock(embed_dim,
        num_heads, dropout=dropout), ln_f = LayerNorm(embed_dim), lm_head = Linear(embed_dim,
        vocab_size). Keep vocab_size, embed_dim, num_layers, num_heads and max_seq_len."""
        ### BEGIN SOLUTION
        self.vocab_size, self.embed_dim, self.num_layers = vocab_size, embed_dim, num_layers
        self.num_heads, self.max_seq_len = num_heads, max_seq_len
        self.token_embedding = Embedding(vocab_size, embed_dim)
        self.position_embedding = LearnedPositionalEncoding(max_seq_len, embed_dim)
        self.dropout = Dropout(dropout)
        self.blocks = [TransformerBlock(embed_dim, num_heads, dropout=dropout) for _ in range(num_layers)]
        self.ln_f = LayerNorm(embed_dim)
        self.lm_head = Linear(embed_dim, vocab_size)
        ### END SOLUTION

    def forward(self, ids):
        """ids: (B, T) integers (list, numpy array or Tensor), T <= max_seq_len -> logits Tensor (B, T, vocab_size).

        ids = as_token_ids(ids) (module 11); raise ValueError unless ids.ndim == 2. Then
        embeddings + positions, dropout, every block with causal_mask(T), ln_f, lm_head.
        """
        ### BEGIN SOLUTION
        ids = as_token_ids(ids)
        if ids.ndim != 2:
            raise ValueError(f"GPT expects token ids of shape (batch, seq_len), got shape {ids.shape}")
        mask = causal_mask(ids.shape[1])
        x = self.dropout(self.position_embedding(self.token_embedding(ids)))
        for block in self.blocks:
            x = block(x, mask)
        return self.lm_head(self.ln_f(x))
        ### END SOLUTION

    def loss(self, ids, targets):
        """Mean next-token cross-entropy: CrossEntropyLoss()(logits.reshape(B*T, V), targets.reshape(B*T)).

        ids and targets: (B, T) integers; targets[b, t] is the token that follows ids[b, t].
        Returns the 0-d loss Tensor.
        """
        ### BEGIN SOLUTION
        logits = self.forward(ids)
        return CrossEntropyLoss()(logits.reshape(-1, self.vocab_size), as_token_ids(targets).reshape(-1))
        ### END SOLUTION

    def generate(self, ids, max_new_tokens, temperature=1.0, top_k=None, seed=None):
        """Append max_new_tokens sampled tokens to ids; return a new int64 numpy array.

        ids: (B, T) or (T,) integers (the prompt); the result has shape (B, T + max_new_tokens)
        or (T + max_new_tokens,), the prompt first. Steps:
        - rng = np.random.default_rng(seed); ids = as_token_ids(ids), with a batch axis added
          for a 1-D prompt;
        - switch to eval mode (no dropout) and restore the previous mode at the end
          (remember self.training; self.eval(); ... self.train(previous));
        - under no_grad(), max_new_tokens times: crop the context to the last max_seq_len
          tokens, logits = self.forward(context).data[:, -1] (the last position's scores),
          pick the next token with sample_next_token(logits, temperature, top_k, rng), and
          append it (np.concatenate along axis 1).
        """
        ### BEGIN SOLUTION
        rng = np.random.default_rng(seed)
        ids = as_token_ids(ids)
        single_sequence = ids.ndim == 1
        if single_sequence:
            ids = ids[None, :]
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                for _ in range(max_new_tokens):
                    context = ids[:, -self.max_seq_len:]
                    logits = self.forward(context).data[:, -1]
                    next_ids = sample_next_token(logits, temperature, top_k, rng)
                    ids = np.concatenate([ids, next_ids[:, None]], axis=1)
        finally:
            self.train(was_training)
        return ids[0] if single_sequence else ids
        ### END SOLUTION

    def num_parameters(self):
        """The number of trainable numbers: the sum of the sizes of every parameter."""
        ### BEGIN SOLUTION
        return int(sum(parameter.data.size for parameter in self.parameters()))
        ### END SOLUTION

    def __repr__(self):
        return (f"GPT(vocab_size={self.vocab_size}, embed_dim={self.embed_dim}, num_layers={self.num_layers}, "
                f"num_heads={self.num_heads}, max_seq_len={self.max_seq_len})")


# %% nbgrader={"grade": true, "grade_id": "gpt-forward", "locked": true, "points": 3, "schema_version": 3, "solution": false}
np.random.seed(0)
model = GPT(vocab_size=11, embed_dim=8, num_layers=2, num_heads=2, max_seq_len=6)
assert isinstance(model.blocks, list) and len(model.blocks) == 2, "blocks: a list of num_layers TransformerBlocks"
assert all(isinstance(b, TransformerBlock) for b in model.blocks), "every block is a TransformerBlock"
assert isinstance(model.token_embedding, Embedding) and model.token_embedding.weight.shape == (11, 8)
assert isinstance(model.position_embedding, LearnedPositionalEncoding) and model.position_embedding.weight.shape == (6, 8)
assert isinstance(model.ln_f, LayerNorm), "ln_f: the final LayerNorm"
assert isinstance(model.lm_head, Linear) and model.lm_head.weight.shape == (8, 11), "lm_head: Linear(embed_dim, vocab_size)"
rng = np.random.default_rng(3)
ids = rng.integers(0, 11, size=(3, 5))
logits = model(ids)
assert isinstance(logits, Tensor) and logits.shape == (3, 5, 11), f"(B, T) = (3, 5) -> (3, 5, 11), got {logits.shape}"

x = model.position_embedding(model.token_embedding(ids))
for b in model.blocks:
    x = b(x, causal_mask(5))
np.testing.assert_allclose(logits.data, model.lm_head(model.ln_f(x)).data, rtol=1e-5, atol=1e-5,
                           err_msg="logits = lm_head(ln_f(blocks(token + position embeddings, causal mask)))")
changed = ids.copy()
changed[:, 3:] = (changed[:, 3:] + 1) % 11
np.testing.assert_allclose(model(changed).data[:, :3], logits.data[:, :3], rtol=0, atol=1e-6,
                           err_msg="causal: changing tokens 3 and 4 must not change the logits at positions 0..2")
repeated = model(np.full((1, 4), 7)).data[0]
assert not np.allclose(repeated[0], repeated[3], atol=1e-4), (
    "the same token at positions 0 and 3 gives the same logits: are the position embeddings added?")
try:
    model(rng.integers(0, 11, size=(1, 7)))
except ValueError:
    pass
else:
    raise AssertionError("a sequence longer than max_seq_len (6) should raise ValueError")
print("GPT forward passed.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1304)
np.random.seed(1304)
for vocab, dim, layers, heads, max_len in ((13, 12, 1, 3, 7), (5, 4, 3, 1, 4)):
    model = make_float64(GPT(vocab, dim, layers, heads, max_len), rng, noise=0.2)
    seq_len = int(rng.integers(2, max_len + 1))
    ids = rng.integers(0, vocab, size=(2, seq_len))
    logits = model(ids).data
    x = model.token_embedding.weight.data[ids] + model.position_embedding.weight.data[:seq_len]
    for b in model.blocks:
        x = b(Tensor(x), causal_mask(seq_len)).data
    np.testing.assert_allclose(logits, model.lm_head(model.ln_f(Tensor(x))).data, rtol=1e-10, atol=1e-12)
    for t in range(seq_len - 1):
        changed = ids.copy()
        changed[:, t + 1:] = rng.integers(0, vocab, size=changed[:, t + 1:].shape)
        np.testing.assert_allclose(model(changed).data[:, :t + 1], logits[:, :t + 1], rtol=0, atol=1e-12,
                                   err_msg=f"logits at positions <= {t} changed when later tokens changed")
    assert model.num_parameters() == sum(p.data.size for p in named_parameters(model).values())
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "gpt-loss-and-backward", "locked": true, "points": 3, "schema_version": 3, "solution": false}
np.random.seed(1)
model = GPT(vocab_size=7, embed_dim=8, num_layers=2, num_heads=2, max_seq_len=5)
make_float64(model)  # float64: the key biases' gradients are then zero to 1e-16, not float32's 1e-7
rng = np.random.default_rng(4)
ids, targets = rng.integers(0, 7, size=(2, 5)), rng.integers(0, 7, size=(2, 5))
loss = model.loss(ids, targets)
assert isinstance(loss, Tensor) and loss.data.size == 1, "loss returns a one-element Tensor"
logits = model(ids).data.reshape(-1, 7)
log_probs = logits - logits.max(-1, keepdims=True)
log_probs -= np.log(np.exp(log_probs).sum(-1, keepdims=True))
expected_loss = -log_probs[np.arange(10), targets.reshape(-1)].mean()
np.testing.assert_allclose(loss.item(), expected_loss, rtol=1e-5,
                           err_msg="the mean cross-entropy of logits (B*T, V) against targets (B*T,)")
# embeddings 7*8 + 5*8, per block 2 norms 2*16 + attention 4*(64+8) + MLP (8*32+32)+(32*8+8), ln_f 16, head 8*7+7
assert model.num_parameters() == 1919, f"expected 1919 parameters for this model, counted {model.num_parameters()}"
# after backward every parameter has a gradient of its shape, non-zero except the key biases
key_biases = tuple(f"GPT.blocks.{i}.attention.k_proj.bias" for i in range(2))
check_model_gradients(model, lambda: model.loss(ids, targets), check_values=False, zero_gradients=key_biases)
print(f"loss {loss.item():.4f} (ln V = {np.log(7):.4f}); every parameter got its gradient.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1305)
np.random.seed(1305)
model = make_float64(GPT(vocab_size=6, embed_dim=6, num_layers=2, num_heads=3, max_seq_len=5), rng, noise=0.2)
ids, targets = rng.integers(0, 6, size=(2, 4)), rng.integers(0, 6, size=(2, 4))
check_model_gradients(model, lambda: model.loss(ids, targets), max_entries=3, zero_gradients=key_biases)
### END HIDDEN TESTS

# %% [markdown]
# ## Step 5 — Generating text: temperature and top-k
#
# To write text, a GPT repeats one move: run the model on the text so far, read the logits at
# the **last** position, pick a token, append it. Two details of the loop matter:
#
# - **The context window.** The position table has `max_seq_len` rows, so the model can only
#   read the last `max_seq_len` tokens: crop the context before every forward pass, and a
#   prompt plus continuation may grow as long as you like.
# - **No graph.** Generation never calls `backward`, so run it under `no_grad()` (module 05):
#   recording a graph would keep every intermediate array of every step alive for nothing.
#   And switch off dropout (`eval()`), which is for training only.
#
# **Picking the token.** `sample_next_token(logits, temperature, top_k, rng)` turns a batch of
# logits $(B, V)$ into one token per row. Divide the logits by a **temperature** $\tau > 0$ and
# sample from the softmax:
#
# $$p_i = \frac{e^{z_i/\tau}}{\sum_j e^{z_j/\tau}}.$$
#
# $\tau = 1$ samples from the model's distribution as it is. $\tau < 1$ sharpens it — the
# likely tokens become likelier, and as $\tau \to 0$ all the mass goes to the largest logit:
# **greedy** decoding. $\tau > 1$ flattens it toward uniform: more surprising, less coherent text.
# **Top-k** first keeps only the $k$ largest logits (the others get probability 0), so a
# long tail of unlikely tokens can never be drawn; `top_k=1` is greedy decoding exactly.
#
# Implementation notes: work in float64 numpy; raise `ValueError` for $\tau \le 0$ or
# `top_k < 1`; for top-k, find the $k$-th largest logit of each row (`np.sort(...)[:, -top_k]`)
# and set every logit below it to $-\infty$ (`np.where`; $e^{-\infty} = 0$ exactly); compute a
# stable softmax (subtract the row maximum); draw each row with
# `rng.choice(vocab_size, p=probabilities[row])`. All the randomness comes from the
# generator `rng` you are given, so the same seed gives the same text.

# %% nbgrader={"grade": false, "grade_id": "sampling-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
def sample_next_token(logits, temperature=1.0, top_k=None, rng=None):
    """One token id per row of `logits` (B, V), drawn from softmax(logits / temperature),
    restricted to the top_k largest logits when top_k is given. Returns an int64 array (B,).

    rng: a np.random.Generator (None: a fresh, unseeded one).
    """
    ### BEGIN SOLUTION
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature} (use top_k=1 for greedy decoding)")
    if top_k is not None and top_k < 1:
        raise ValueError(f"top_k must be at least 1, got {top_k}")
    rng = np.random.default_rng() if rng is None else rng
    scaled = np.asarray(logits, dtype=np.float64) / temperature
    vocab_size = scaled.shape[-1]
    if top_k is not None and top_k < vocab_size:
        kth_largest = np.sort(scaled, axis=-1)[:, -top_k]
        scaled = np.where(scaled < kth_largest[:, None], -np.inf, scaled)
    probabilities = np.exp(scaled - scaled.max(axis=-1, keepdims=True))
    probabilities /= probabilities.sum(axis=-1, keepdims=True)
    return np.array([rng.choice(vocab_size, p=row) for row in probabilities], dtype=np.int64)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "next-token-sampling", "locked": true, "points": 2, "schema_version": 3, "solution": false}
row = np.array([2.0, 1.0, 0.5, 3.0, -1.0])
logits = np.tile(row, (3000, 1))
tokens = sample_next_token(logits, rng=np.random.default_rng(0))
assert isinstance(tokens, np.ndarray) and tokens.shape == (3000,), f"one token per row: expected (3000,), got {np.shape(tokens)}"
assert np.issubdtype(tokens.dtype, np.integer), f"token ids are integers, got {tokens.dtype}"
np.testing.assert_array_equal(tokens, sample_next_token(logits, rng=np.random.default_rng(0)),
                              err_msg="the same seed must give the same tokens")
softmax_row = np.exp(row - row.max()) / np.exp(row - row.max()).sum()
frequencies = np.bincount(tokens, minlength=5) / 3000
np.testing.assert_allclose(frequencies, softmax_row, atol=0.03, err_msg="temperature 1: the softmax's frequencies")
cold = np.bincount(sample_next_token(logits, temperature=0.5, rng=np.random.default_rng(1)), minlength=5) / 3000
sharpened = np.exp(2 * row - 2 * row.max()) / np.exp(2 * row - 2 * row.max()).sum()
np.testing.assert_allclose(cold, sharpened, atol=0.03, err_msg="temperature 0.5: softmax of logits / 0.5")
top2 = sample_next_token(logits, top_k=2, rng=np.random.default_rng(2))
assert set(np.unique(top2)) == {0, 3}, f"top_k=2 keeps the two largest logits (ids 3 and 0), drew {set(np.unique(top2))}"
np.testing.assert_allclose(np.mean(top2 == 3), 1 / (1 + np.exp(-1.0)), atol=0.03,
                           err_msg="top_k=2: ids 3 and 0 in the ratio e^3 : e^2")
batch = np.random.default_rng(3).standard_normal((20, 9))
np.testing.assert_array_equal(sample_next_token(batch, top_k=1, rng=np.random.default_rng(4)), batch.argmax(axis=1),
                              err_msg="top_k=1 is greedy: the argmax of every row")
np.testing.assert_array_equal(sample_next_token(batch, temperature=1e-4, rng=np.random.default_rng(5)),
                              batch.argmax(axis=1), err_msg="temperature -> 0 approaches greedy decoding")
for bad in ({"temperature": 0.0}, {"temperature": -1.0}, {"top_k": 0}):
    try:
        sample_next_token(batch, rng=np.random.default_rng(6), **bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"{bad} should raise ValueError")
print("sample_next_token passed.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1306)
for _ in range(3):
    vocab = int(rng.integers(4, 12))
    row = rng.standard_normal(vocab) * 2
    k = int(rng.integers(2, vocab))
    temperature = float(rng.uniform(0.5, 2.0))
    drawn = sample_next_token(np.tile(row, (4000, 1)), temperature=temperature, top_k=k, rng=np.random.default_rng(7))
    kept = np.argsort(row)[-k:]
    assert set(np.unique(drawn)) <= set(kept.tolist()), f"top_k={k} drew a token outside the k largest logits"
    expected = np.zeros(vocab)
    expected[kept] = np.exp((row[kept] - row[kept].max()) / temperature)
    expected /= expected.sum()
    np.testing.assert_allclose(np.bincount(drawn, minlength=vocab) / 4000, expected, atol=0.03,
                               err_msg=f"V={vocab}, top_k={k}, temperature={temperature:.2f}")
# top_k at or above the vocabulary size keeps everything
full = sample_next_token(np.tile(np.zeros(4), (2000, 1)), top_k=4, rng=np.random.default_rng(8))
assert set(np.unique(full)) == {0, 1, 2, 3}
with np.errstate(over="raise", divide="raise", invalid="raise"):
    huge = sample_next_token(np.array([[1e4, 0.0, -1e4]]), temperature=0.01, rng=np.random.default_rng(9))
assert huge.tolist() == [0], "huge logits at low temperature: stable softmax, the largest wins"
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "gpt-generate", "locked": true, "points": 3, "schema_version": 3, "solution": false}
np.random.seed(2)
model = GPT(vocab_size=10, embed_dim=8, num_layers=1, num_heads=2, max_seq_len=6)
prompt = np.array([[1, 2, 3], [4, 5, 6]])
out = model.generate(prompt, max_new_tokens=4, seed=0)
assert isinstance(out, np.ndarray) and out.shape == (2, 7), f"prompt (2, 3) + 4 new tokens -> (2, 7), got {np.shape(out)}"
np.testing.assert_array_equal(out[:, :3], prompt, err_msg="the output starts with the prompt")
assert out.min() >= 0 and out.max() < 10, "every new token is a vocabulary id"
np.testing.assert_array_equal(model.generate(prompt, 4, seed=0), out, err_msg="the same seed must give the same text")


def greedy_reference(model, ids, steps):
    for _ in range(steps):
        next_ids = model(ids[:, -model.max_seq_len:]).data[:, -1].argmax(axis=-1)
        ids = np.concatenate([ids, next_ids[:, None]], axis=1)
    return ids


greedy = greedy_reference(model, prompt, 5)
np.testing.assert_array_equal(model.generate(prompt, 5, top_k=1, seed=3), greedy, err_msg="top_k=1 is greedy decoding")
np.testing.assert_array_equal(model.generate(prompt, 5, temperature=1e-4, seed=4), greedy,
                              err_msg="a tiny temperature is greedy decoding: are the logits divided by the temperature?")
long = model.generate(np.array([1, 2, 3, 4, 5]), max_new_tokens=6, top_k=1, seed=0)
assert long.shape == (11,), f"a 1-D prompt of 5 tokens + 6 new -> 11 tokens, got {np.shape(long)}"
np.testing.assert_array_equal(long, greedy_reference(model, np.array([[1, 2, 3, 4, 5]]), 6)[0],
                              err_msg="past max_seq_len (6) the context is cropped to the last 6 tokens")
model.train()
model.generate(prompt, 1, seed=0)
assert model.training, "generate restores training mode afterwards"
print("GPT generate passed.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1307)
np.random.seed(1307)
model = GPT(vocab_size=9, embed_dim=6, num_layers=2, num_heads=3, max_seq_len=4, dropout=0.3)
model.train()
prompt = rng.integers(0, 9, size=(3, 2))
first = model.generate(prompt, 6, temperature=0.8, top_k=3, seed=11)
np.testing.assert_array_equal(model.generate(prompt, 6, temperature=0.8, top_k=3, seed=11), first,
                              err_msg="dropout must be off while generating: same seed, same text")
assert model.training, "training mode restored"
model.eval()
np.testing.assert_array_equal(model.generate(prompt, 6, top_k=1, seed=0), greedy_reference(model, prompt, 6))
# each sampled token is among the top 3 of the logits the model gave at that step
for t in range(2, 8):
    step_logits = model(first[:, max(0, t - 4):t]).data[:, -1]
    top3 = np.argsort(step_logits, axis=-1)[:, -3:]
    assert all(first[b, t] in top3[b] for b in range(3)), f"token {t} is not among the top 3 logits"
assert model.generate(prompt, 0).shape == (3, 2), "max_new_tokens=0 returns the prompt"
### END HIDDEN TESTS

# %% [markdown]
# ## Systems view — where the parameters, the memory and the time go
#
# ### Parameters
#
# Per block, ignoring biases and the norms' $4d$ numbers: attention has four $d \times d$
# projections ($4d^2$), the MLP two $d \times 4d$ matrices ($8d^2$) — $12 d^2$ per block. The
# token embedding adds $V d$. So the classic estimate is
#
# $$N \approx 12 L d^2 + V d .$$
#
# Our GPT has three more terms: biases and LayerNorms (a few $d$ per block), the position
# table ($T_{\max} d$), and an `lm_head` that is a second $d \times V$ matrix (GPT-2 *ties* it
# to the token embedding, reusing the same matrix; ours is untied, which is simpler and costs
# $V d$ more). The next cell counts each group of parameters by name and compares the
# total with the estimate.

# %%
def parameter_groups(model):
    """Parameter counts of a GPT, grouped by component (using the attribute path of each tensor)."""
    groups = {"embeddings": 0, "attention": 0, "mlp": 0, "norms": 0, "lm_head": 0}
    for name, tensor in named_parameters(model).items():
        if "embedding" in name:
            group = "embeddings"
        elif ".attention." in name:
            group = "attention"
        elif ".mlp." in name:
            group = "mlp"
        elif ".ln" in name:
            group = "norms"
        else:
            group = "lm_head"
        groups[group] += tensor.data.size
    return groups


print(f"{'V':>5} {'d':>4} {'L':>2} | {'embeddings':>10} {'attention':>10} {'mlp':>10} {'norms':>6} {'lm_head':>8}"
      f" | {'measured':>9} {'12Ld²+Vd':>9} {'ratio':>5}")
for vocab, dim, layers in ((50, 64, 2), (1000, 128, 4), (1000, 256, 6), (1000, 384, 8)):
    np.random.seed(0)
    model = GPT(vocab, dim, layers, num_heads=4, max_seq_len=64)
    groups = parameter_groups(model)
    estimate = 12 * layers * dim**2 + vocab * dim
    print(f"{vocab:5d} {dim:4d} {layers:2d} | {groups['embeddings']:10,d} {groups['attention']:10,d} {groups['mlp']:10,d}"
          f" {groups['norms']:6,d} {groups['lm_head']:8,d} | {model.num_parameters():9,d} {estimate:9,d}"
          f" {model.num_parameters() / estimate:5.2f}")
print(f"GPT-2 small by the formula: 12 * 12 * 768^2 + 50257 * 768 = {12 * 12 * 768**2 + 50257 * 768:,d} (it has 124M)")

# %% [markdown]
# The MLP column is always twice the attention column ($8d^2$ against $4d^2$, plus biases),
# and the norms are a rounding error. The estimate misses by the `lm_head` column (our untied
# head, $Vd$ more), the position table and the biases; as $d$ and $L$ grow, the $12 L d^2$ of
# the blocks takes over and the ratio tends to 1. For GPT-2 small the formula lands on 124M
# almost exactly, because there the head is tied and the blocks dominate.
#
# ### Activation memory
#
# Training keeps every intermediate array of the forward pass until `backward` has used it.
# The next cell runs one block forward on a batch of $B = 8$ sequences with $d = 64$, $H = 4$,
# walks the recorded graph (module 05's `topological_order`), and adds up the bytes of every
# array the graph holds — counting each block of memory once, since reshapes and transposes
# are numpy *views* that share their input's memory. Four $(B, H, T, T)$ arrays of attention
# (the raw products $QK^\top$, the scaled scores, the masked scores, the softmax weights) grow
# with $T^2$; everything else with $T$.

# %%
def graph_bytes(output, skip=()):
    """Bytes of the distinct memory blocks held by the graph behind `output` (views counted once)."""
    skipped = {id(t) for t in skip}
    owners = {}
    for tensor in topological_order(output):
        if id(tensor) in skipped:
            continue
        array = tensor.data
        while isinstance(array.base, np.ndarray):
            array = array.base
        owners[id(array)] = array.nbytes
    return sum(owners.values())


batch, dim, heads = 8, 64, 4
np.random.seed(0)
block = TransformerBlock(dim, heads)
rows = []
for seq_len in (32, 64, 128, 256):
    x = Tensor(np.random.default_rng(0).standard_normal((batch, seq_len, dim)).astype(np.float32), requires_grad=True)
    total = graph_bytes(block(x, causal_mask(seq_len)), skip=[x, *block.parameters()])
    quadratic = 4 * batch * heads * seq_len**2 * 4  # Q K^T, scaled, masked, softmax weights; float32
    rows.append((seq_len, total, quadratic, (total - quadratic) / (batch * seq_len * dim * 4)))
print("    T   activations held   of which (B,H,T,T)   rest per token-feature (floats)")
for seq_len, total, quadratic, per_feature in rows:
    print(f"{seq_len:5d} {total / 2**20:12.2f} MiB {quadratic / 2**20:14.2f} MiB {per_feature:16.1f}")

# %% [markdown]
# The last column — the memory that is not attention scores, per token and per model feature —
# stays constant: about that many float32 copies of the $(B, T, d)$ stream are kept per
# block (the MLP's $4d$-wide hidden layer alone accounts for several). The attention part
# quadruples each time $T$ doubles and overtakes the rest where $4 H T^2 \approx c\, T d$ ($c$ the
# constant of the last column), at $T \approx c\,d / 4H$ — about 150 tokens here. Multiply
# by $L$ blocks for the whole model: for training, activations, not parameters, are usually
# what fills the memory, and they grow with batch size and sequence length, which is why
# large models use activation checkpointing (recompute in the backward pass instead of storing).
#
# ### Time of one training step
#
# The reference configuration below (vocabulary 50, $d = 64$, 2 layers, 4 heads, $T = 32$,
# $B = 8$) is the one the course compares against PyTorch. We time the forward pass (with the
# loss) and the backward pass separately, best of 10 runs: the machine is shared, so single
# timings are noisy — read the best, not the last digit.

# %%
def time_gpt_step(model, ids, targets, repeats=10):
    """Best-of-`repeats` times in ms of the forward pass (to the loss) and of loss.backward()."""
    forward_times, backward_times = [], []
    for _ in range(repeats):
        for parameter in model.parameters():
            parameter.grad = None
        start = time.perf_counter()
        loss = model.loss(ids, targets)
        middle = time.perf_counter()
        loss.backward()
        forward_times.append(middle - start)
        backward_times.append(time.perf_counter() - middle)
    return 1e3 * min(forward_times), 1e3 * min(backward_times)


def time_weight_matmuls(model, tokens, repeats=10):
    """Best-of time in ms of only the weight matrix products of one training step, in plain numpy:
    for every Linear, X @ W forward, and G @ W^T and X^T @ G backward, on (tokens, in) matrices."""
    rng = np.random.default_rng(0)
    weights = [p.data for p in model.parameters() if p.data.ndim == 2 and p is not model.token_embedding.weight
               and p is not model.position_embedding.weight]
    operands = [(rng.standard_normal((tokens, w.shape[0])).astype(np.float32),
                 rng.standard_normal((tokens, w.shape[1])).astype(np.float32), w) for w in weights]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for x, g, w in operands:
            products = (x @ w, g @ w.T, x.T @ g)  # noqa: F841  (timed, not used)
        times.append(time.perf_counter() - start)
    return 1e3 * min(times)


np.random.seed(0)
step_model = GPT(vocab_size=50, embed_dim=64, num_layers=2, num_heads=4, max_seq_len=32)
step_rng = np.random.default_rng(0)
step_ids, step_targets = step_rng.integers(0, 50, size=(8, 32)), step_rng.integers(0, 50, size=(8, 32))
forward_ms, backward_ms = time_gpt_step(step_model, step_ids, step_targets)
matmul_ms = time_weight_matmuls(step_model, tokens=8 * 32)
step_ms = forward_ms + backward_ms
matmul_flops = 3 * 2 * 8 * 32 * (12 * 2 * 64**2 + 64 * 50)  # 2·tokens·(12Ld² + dV) forward, twice that backward
print(f"GPT(50, 64, 2 layers, 4 heads), batch 8 x 32 tokens, {step_model.num_parameters():,d} parameters")
print(f"forward + loss {forward_ms:6.2f} ms | backward {backward_ms:6.2f} ms | step {step_ms:6.2f} ms (best of 10)")
print(f"the same weight matmuls in plain numpy: {matmul_ms:.2f} ms for {matmul_flops / 1e6:.0f} MFLOP "
      f"= {100 * matmul_ms / step_ms:.0f}% of the step")
print(f"graph nodes recorded per step: {len(topological_order(step_model.loss(step_ids, step_targets)))}")

# %% [markdown]
# A step does about 156 million floating-point operations in its weight matrix products;
# timed alone in plain numpy, those products take the share of the step printed above. The
# rest is what the framework costs on top of the arithmetic: about 150 graph nodes recorded
# and walked, a new array allocated by every operation, LayerNorm and softmax spread over many
# small numpy calls that each read and write the whole $(B, T, d)$ or $(B, H, T, T)$ array,
# and the embeddings' scatter-adds. At this size that overhead is a large part of a step; it
# shrinks relative to the matmuls as $d$ grows (they scale with $d^2$, most of the rest with
# $d$). PyTorch runs the same graph with compiled kernels and fuses small operations; module 18
# does some of that fusion by hand, and module 19 compares the two.

# %% [markdown]
# ## Putting it together — train a tiny GPT
#
# A character-level language model on a small, very regular text. Module 10 builds real
# tokenizers; here every distinct character is a token, and its id is its place in the sorted
# list of characters.

# %%
text = (
    "the cat sat on the mat. the dog sat on the log. "
    "the cat ate the rat. the dog ate the frog. "
    "a cat and a dog sat on a mat and a log. "
) * 4
vocabulary = sorted(set(text))
char_to_id = {char: index for index, char in enumerate(vocabulary)}


def encode(string):
    """The token ids of `string`, one per character, as an int64 array."""
    return np.array([char_to_id[char] for char in string], dtype=np.int64)


def decode(ids):
    """The string of a sequence of token ids."""
    return "".join(vocabulary[int(i)] for i in ids)


data = encode(text)
print(f"{len(text)} characters, vocabulary of {len(vocabulary)}: {''.join(vocabulary)!r}")


def random_windows(data, batch_size, seq_len, rng):
    """A batch of `batch_size` windows: inputs data[s:s+T] and targets data[s+1:s+T+1]."""
    starts = rng.integers(0, len(data) - seq_len, size=batch_size)
    inputs = np.stack([data[s:s + seq_len] for s in starts])
    targets = np.stack([data[s + 1:s + seq_len + 1] for s in starts])
    return inputs, targets


# %% [markdown]
# The model: $d = 32$, 2 blocks of 4 heads, a context of 16 characters — about 27 thousand
# parameters. Adam (module 06) with learning rate $10^{-2}$, 150 steps on random windows of 16
# characters, 16 windows per step. Before training, the model samples characters almost at
# random; watch what 150 steps do.

# %%
SEQ_LEN = 16
np.random.seed(0)
tiny_gpt = GPT(vocab_size=len(vocabulary), embed_dim=32, num_layers=2, num_heads=4, max_seq_len=SEQ_LEN)
prompt = encode("the ")
print(f"{tiny_gpt.num_parameters():,d} parameters")
print("before training:", repr(decode(tiny_gpt.generate(prompt, 40, temperature=0.8, seed=0))))

optimizer = Adam(tiny_gpt.parameters(), lr=1e-2)
batch_rng = np.random.default_rng(0)
training_losses = []
start = time.perf_counter()
for step in range(150):
    inputs, targets = random_windows(data, 16, SEQ_LEN, batch_rng)
    optimizer.zero_grad()
    loss = tiny_gpt.loss(inputs, targets)
    loss.backward()
    optimizer.step()
    training_losses.append(loss.item())
print(f"150 steps in {time.perf_counter() - start:.1f} s: loss {training_losses[0]:.3f} -> "
      f"{np.mean(training_losses[-10:]):.3f} (uniform guessing: ln {len(vocabulary)} = {np.log(len(vocabulary)):.3f})")
print("after training: ", repr(decode(tiny_gpt.generate(prompt, 40, temperature=0.8, seed=0))))
print("greedy:         ", repr(decode(tiny_gpt.generate(prompt, 40, top_k=1))))

fig, ax = plt.subplots(figsize=(6, 3.2))
ax.plot(training_losses, label="training loss")
ax.axhline(np.log(len(vocabulary)), color="gray", ls=":", label="ln V (uniform guess)")
ax.set(xlabel="step", ylabel="cross-entropy (nats)", title="A tiny GPT learns a tiny text")
ax.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# The loss starts above $\ln V$ (a random model is confidently wrong) and falls far below it;
# the samples go from noise to the text's words, its spaces and its full stops. The text is
# regular enough that most characters are predictable from the previous few — exactly what a
# 16-character context and 150 steps can learn.
#
# The graded cell below checks the whole stack end to end: a fresh GPT trained with Adam on
# one fixed batch (the two phrases of the text) must drive its loss below half, and, greedy,
# continue a memorized phrase from its first characters.

# %%
def fit_fixed_batch(model, inputs, targets, steps, lr=1e-2):
    """Adam on one batch for `steps` steps; returns the losses."""
    optimizer = Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = model.loss(inputs, targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


# %% nbgrader={"grade": true, "grade_id": "transformers-integration", "locked": true, "points": 3, "schema_version": 3, "solution": false}
phrases = ["the cat sat on the mat.", "the dog ate the frog. a"]
inputs = np.stack([encode(p[:-1]) for p in phrases])
targets = np.stack([encode(p[1:]) for p in phrases])
np.random.seed(13)
model = GPT(vocab_size=len(vocabulary), embed_dim=32, num_layers=2, num_heads=4, max_seq_len=24)
losses = fit_fixed_batch(model, inputs, targets, steps=60)
print(f"fixed batch: loss {losses[0]:.3f} -> {losses[-1]:.3f}")
assert losses[-1] < 0.5 * losses[0], f"the loss on a fixed batch should fall below half: {losses[0]:.3f} -> {losses[-1]:.3f}"
for phrase in phrases:
    continued = decode(model.generate(encode(phrase[:8]), len(phrase) - 8, top_k=1, seed=13))
    assert continued == phrase, f"greedy continuation of {phrase[:8]!r}: expected {phrase!r}, got {continued!r}"
print("Integration passed: the GPT memorized both phrases and recites them greedily.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1308)
np.random.seed(1308)
digits_text = "0123456789" * 3
digit_vocab = sorted(set(digits_text))
digit_ids = np.array([digit_vocab.index(c) for c in digits_text])
model = GPT(vocab_size=10, embed_dim=16, num_layers=1, num_heads=2, max_seq_len=12)
starts = rng.integers(0, len(digit_ids) - 13, size=4)
inputs = np.stack([digit_ids[s:s + 12] for s in starts])
targets = np.stack([digit_ids[s + 1:s + 13] for s in starts])
losses = fit_fixed_batch(model, inputs, targets, steps=40)
assert losses[-1] < 0.3 * losses[0], f"counting digits: {losses[0]:.3f} -> {losses[-1]:.3f}"
np.testing.assert_array_equal(model.generate(np.array([[3, 4, 5]]), 15, top_k=1, seed=1308)[0], np.arange(3, 21) % 10,
                              err_msg="greedy continuation of 3 4 5 counts on, past the 12-token context")
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# - **LayerNorm** normalizes each token's features with $\varepsilon$ inside the square root,
#   then scales and shifts by trainable $\gamma, \beta$; unlike BatchNorm it never looks at other
#   examples, so training and generation compute the same function at any batch size.
# - **MLP**: Linear($d \to 4d$) → GELU → Linear($4d \to d$), applied to each token on its own;
#   $8d^2$ of a block's $12d^2$ weights.
# - **TransformerBlock**: a pre-norm residual block. The residual stream gives the gradient an
#   identity path to every layer; normalizing on the branch keeps that path clean, which is
#   why deep stacks train without tricks.
# - **GPT**: embeddings + positions, $L$ blocks under a causal mask, a final norm and a
#   vocabulary head; trained by next-token cross-entropy on logits reshaped to $(BT, V)$;
#   generating by cropping the context, sampling with temperature and top-k under `no_grad`.
# - **Systems**: parameters $\approx 12Ld^2 + Vd$ (measured by component); activations held for
#   backward grow with $B \cdot T \cdot d$ and, for attention, with $B \cdot H \cdot T^2$; a small
#   training step is dominated by per-operation overhead, not by FLOPs.
#
# **Next:** module 14 profiles this GPT layer by layer, and module 15 makes `generate` fast:
# every step above recomputes the keys and values of the whole context, and a cache removes
# that waste.
#
# **Export your work** into your own package: `python -m autograder export` with this notebook
# writes `tinytorch/core/transformer.py`.
