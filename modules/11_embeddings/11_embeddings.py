# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Module 11 — Embeddings
#
# A tokenizer turns text into integers: `"cat"` might become `[3, 1, 20]`. A network cannot
# do much with the number 20 as a number — token 20 is not "twice" token 10. What it needs
# is a vector per token, a point in a space where similar tokens can end up close together,
# and it needs to *learn* those vectors. This module builds that: the **embedding table**,
# plus the two standard ways of telling a model *where* in the sequence each token sits.
#
# **What you build.**
# - `Embedding(vocab_size, embed_dim)`: a trainable table of one vector per token, looked up
#   by id, with its own backward pass — a **scatter-add** that you write as a `Function`.
# - `sinusoidal_encoding` and `PositionalEncoding`: the fixed sine/cosine position vectors of
#   "Attention Is All You Need", added to the token vectors.
# - `LearnedPositionalEncoding`: a trainable table of one vector per position (GPT-2, BERT).
#
# **Why.** Every language model starts here: the GPT of module 13 is an `Embedding`, a
# positional encoding, a stack of transformer blocks, and a projection back to the
# vocabulary. The embedding table is also one of the largest single tensors in a language
# model, and its gradient is the classic place where an autograd engine silently loses
# gradient when a token occurs twice in a batch.
#
# **What you need.** Module 01's `Tensor` (indexing, `+`), module 03's `Layer` and `Linear`,
# module 04's `CrossEntropyLoss`, and module 05's autograd: `Function` (a graph node with a
# hand-written `backward`) and `attach` (records it on a result). Module 10 turns text into
# token ids; here a tiny character vocabulary, built in a cell below, stands in for it.
#
# **Where it lands.** `tinytorch/text/embeddings.py`; module 13 starts with
# `from tinytorch.text.embeddings import Embedding, PositionalEncoding`.
#
# **How this notebook works.** Fill in the places marked `# YOUR CODE HERE` (delete the
# `raise NotImplementedError()` line), run the cell, then run the test cell below it. Visible
# tests give you feedback now; when your notebook is graded, hidden tests in the same cells
# try random shapes and seeds and check your gradients against numerical ones.

# %%
#| default_exp text.embeddings
#| export
import numpy as np

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from tinytorch.core.autograd import Function, attach
from tinytorch.core.layers import Layer
from tinytorch.core.tensor import Tensor

# %%
import time

import matplotlib.pyplot as plt

from tinytorch.core.autograd import no_grad
from tinytorch.core.layers import Linear
from tinytorch.core.losses import CrossEntropyLoss

from autograder.gradcheck import check_gradient_flow, check_model_gradients, check_vjp

# %% [markdown]
# ## Token ids for this notebook
#
# Module 10 builds real tokenizers. To stay independent of it, this notebook uses the
# simplest one there is: every distinct character of a small text is a token, and its id is
# its position in the sorted list of characters.

# %%
corpus = "the cat sat on the mat"
vocabulary = sorted(set(corpus))
char_to_id = {char: index for index, char in enumerate(vocabulary)}


def encode(text):
    """The token ids of `text` as an int64 numpy array, one id per character."""
    return np.array([char_to_id[char] for char in text], dtype=np.int64)


print(f"vocabulary of {len(vocabulary)} tokens: {vocabulary}")
print(f"encode('the cat') = {encode('the cat')}")

# %% [markdown]
# ## From ids to vectors: a lookup is a one-hot matrix product
#
# An embedding layer holds a matrix $W$ of shape `(vocab_size, embed_dim)`: row $v$ is the
# vector of token $v$. Embedding a sequence of ids $i_1, \dots, i_N$ means reading rows:
#
# $$y_n = W[i_n] \qquad n = 1, \dots, N.$$
#
# The same thing written as linear algebra: put the ids in a **one-hot** matrix $O$ of shape
# `(N, vocab_size)`, with $O_{n,v} = 1$ when $i_n = v$ and 0 elsewhere. Then
#
# $$Y = O\,W,$$
#
# because row $n$ of $O$ has a single 1, in column $i_n$, which picks out row $i_n$ of $W$.
# So an embedding *is* a `Linear` layer without bias applied to one-hot inputs — but the
# lookup does none of the $2 N \cdot \text{vocab} \cdot \text{dim}$ multiply-adds, almost all
# of them by zero. The systems view at the end measures how much that matters.
#
# ```
#  ids (2, 3)            W (vocab, dim)              output (2, 3, dim)
#  [[4, 0, 4],    row 0 [ .  .  .  . ]      [[W[4], W[0], W[4]],
#   [1, 1, 2]]    row 1 [ .  .  .  . ]       [W[1], W[1], W[2]]]
#                 ...
# ```
#
# Ids of any shape work the same way: a batch of sequences `(B, T)` becomes `(B, T, dim)`.
# The one check a lookup needs is the range: numpy reads `W[-1]` as the *last* row, so a
# negative id (a bug upstream, usually) would silently pick a wrong vector. Reject ids
# outside `0 .. vocab_size - 1` with an error that names the id and the vocabulary size.

# %%
one_hot_demo = np.eye(5)[[4, 0, 4]]
table_demo = np.arange(10.0).reshape(5, 2)
print("one-hot rows:\n", one_hot_demo)
print("one_hot @ W:", (one_hot_demo @ table_demo).tolist(), "  W[ids]:", table_demo[[4, 0, 4]].tolist())

# %% [markdown]
# ## The gradient: a scatter-add
#
# Take the gradient of the loss with respect to the output, $G = \partial L / \partial Y$
# (one row per looked-up position). From $Y = O W$, module 03's matmul rule gives
#
# $$\frac{\partial L}{\partial W} = O^\top G, \qquad
#   \frac{\partial L}{\partial W[v]} = \sum_{n \,:\, i_n = v} G_n .$$
#
# Row $v$ of the gradient is the **sum** of the output gradients of every position where
# token $v$ was used, and zero for tokens not in the batch. Building $O$ would waste the same
# work as in the forward pass; instead, start from zeros and **add** each row $G_n$ into row
# $i_n$: a *scatter-add*.
#
# **The trap.** The natural numpy line is wrong:

# %%
ids_demo = np.array([2, 0, 2, 2])         # token 2 appears three times
grad_rows_demo = np.ones((4, 3))          # every position sends back a gradient of ones

wrong = np.zeros((4, 3))
wrong[ids_demo] += grad_rows_demo
right = np.zeros((4, 3))
np.add.at(right, ids_demo, grad_rows_demo)
print("grad[ids] += g     row 2:", wrong[2], " <- only one of the three uses survived")
print("np.add.at(grad,...) row 2:", right[2], " <- all three uses add up")

# %% [markdown]
# `grad[ids] += g` is shorthand for `grad[ids] = grad[ids] + g`: numpy first *reads*
# `grad[ids]` into a temporary array (one row per id, so row 2 is read three times, as
# zeros), adds `g` to the temporary, then *writes* the rows back one after another. The
# three writes to row 2 each store `0 + 1`; the last one wins. No error, no warning — just a
# gradient that is too small for every token that appears more than once in a batch, which
# in real text is nearly all of them ("the", spaces, punctuation).
#
# `np.add.at(grad, ids, g)` is the *unbuffered* version: it performs every addition in
# place, so repeated ids accumulate. PyTorch's embedding backward does the same thing (on a
# GPU, with atomic adds or by sorting the ids first).
#
# ## Initialization, and why its scale matters
#
# PyTorch initializes `nn.Embedding` from $\mathcal{N}(0, 1)$; we do the same. A row of
# `embed_dim` such numbers has length about $\sqrt{\text{embed\_dim}}$ — the same order as a
# sinusoidal position vector (length $\sqrt{\text{embed\_dim}/2}$, you will see why), so
# neither drowns the other when they are added. Other choices are common and all about this
# balance: GPT-2 draws token and position tables from $\mathcal{N}(0, 0.02^2)$, and the
# original Transformer multiplies its (small) embeddings by $\sqrt{d}$ before adding the
# sinusoids. With weight tying — the output layer reusing $W$ to score every token — the scale
# of $W$ also sets the scale of the logits, another reason models pick it with care.
#
# ## The `Embedding` layer and its backward
#
# Below are the two pieces you fill in:
#
# | step | what | graded cell |
# |---|---|---|
# | 1 | `Embedding.__init__` and `Embedding.forward` (range check, lookup, `attach`) | `embedding-forward` |
# | 2 | `EmbeddingBackward.backward` (the scatter-add) | `embedding-backward` |
#
# `forward` works on the numpy arrays — a lookup is one fancy-indexing read — and finishes
# with `return attach(Tensor(rows), EmbeddingBackward(self.weight, ids))`. That records the
# lookup as *one* node of module 05's graph (when gradients are on and the weight is
# trainable), whose backward is yours. The ids are the node's second input so that the node
# has them at hand; they are integers, not something to differentiate, so their gradient is
# `None`.
#
# `as_token_ids` (given) turns whatever holds the ids — a list, a numpy array, a `Tensor`,
# whose values are floats — into an int64 array, and refuses ids that are not whole numbers.

# %% nbgrader={"grade": false, "grade_id": "embedding-class", "locked": false, "schema_version": 3, "solution": true}
#| export
def as_token_ids(ids):
    """Token ids (a list, numpy array or Tensor, any shape) as an int64 numpy array."""
    ids = np.asarray(ids.data if isinstance(ids, Tensor) else ids)
    if ids.dtype.kind == "f":
        if not np.all(np.isfinite(ids)) or np.any(ids != np.round(ids)):
            raise ValueError(f"token ids must be whole numbers, got {ids.ravel()[:8]}")
        return ids.astype(np.int64)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"token ids must be integers, got an array of dtype {ids.dtype}")
    return ids.astype(np.int64)


class EmbeddingBackward(Function):
    """The lookup rows = weight[ids] as one graph node. Inputs: (weight, ids)."""

    def __init__(self, weight, ids):
        super().__init__(weight, ids)
        self.ids = ids

    def backward(self, grad_output):
        """Return (grad_weight, None): the gradient of the weight, and none for the ids.

        grad_output has shape ids.shape + (embed_dim,). grad_weight has the weight's shape
        and dtype: zeros, plus every row of grad_output added into the row of its token id.
        Repeated ids must ACCUMULATE: use np.add.at, not `grad[ids] += ...` (see above).

        Hint: flatten first — ids to shape (N,) and grad_output to (N, embed_dim) — so the
        same code serves ids of shape (T,), (B, T) or anything else.
        """
        ### BEGIN SOLUTION
        weight = self.inputs[0].data
        flat_ids = self.ids.reshape(-1)
        flat_grad = np.reshape(grad_output, (-1, weight.shape[1]))
        grad_weight = np.zeros(weight.shape, dtype=weight.dtype)
        np.add.at(grad_weight, flat_ids, flat_grad)
        return grad_weight, None
        ### END SOLUTION


class Embedding(Layer):
    """A trainable table of one vector per token: Embedding(vocab_size, embed_dim)(ids)."""

    def __init__(self, vocab_size, embed_dim):
        """Keep vocab_size and embed_dim as attributes, and create self.weight: a float32
        Tensor of shape (vocab_size, embed_dim) drawn from the standard normal N(0, 1),
        with requires_grad=True.

        Draw from np.random (the global state, as Linear does), so np.random.seed(n) makes
        a layer reproducible: np.random.standard_normal(shape).astype(np.float32).
        """
        ### BEGIN SOLUTION
        self.vocab_size = vocab_size
        self.embed_dim = embed_dim
        table = np.random.standard_normal((vocab_size, embed_dim)).astype(np.float32)
        self.weight = Tensor(table, requires_grad=True)
        ### END SOLUTION

    def forward(self, ids):
        """ids of any shape (a list, numpy array or Tensor) -> Tensor of shape ids.shape + (embed_dim,).

        1. ids = as_token_ids(ids).
        2. If any id is negative or >= vocab_size, raise IndexError naming the first bad
           id and the vocab_size, e.g. "token id 12 is out of range for an Embedding with
           vocab_size 10 (ids go from 0 to 9)".
        3. Look the rows up in self.weight.data and return
           attach(Tensor(rows), EmbeddingBackward(self.weight, ids)).
        """
        ### BEGIN SOLUTION
        ids = as_token_ids(ids)
        outside = (ids < 0) | (ids >= self.vocab_size)
        if np.any(outside):
            raise IndexError(
                f"token id {ids[outside][0]} is out of range for an Embedding with vocab_size "
                f"{self.vocab_size} (ids go from 0 to {self.vocab_size - 1})"
            )
        rows = self.weight.data[ids]
        return attach(Tensor(rows), EmbeddingBackward(self.weight, ids))
        ### END SOLUTION

    def __repr__(self):
        return f"Embedding(vocab_size={self.vocab_size}, embed_dim={self.embed_dim})"

# %% [markdown]
# ### Step 1 — Test the lookup
#
# The test embeds the characters of a word, a batch of two words, and ids given as a list
# and as a `Tensor`, and checks that out-of-range ids fail loudly.

# %% nbgrader={"grade": true, "grade_id": "embedding-forward", "locked": true, "points": 3, "schema_version": 3, "solution": false}
np.random.seed(0)
embedding = Embedding(len(vocabulary), 4)
assert embedding.weight.shape == (len(vocabulary), 4), f"weight should be (vocab_size, embed_dim), got {embedding.weight.shape}"
assert embedding.weight.dtype == np.float32, f"weight should be float32, got {embedding.weight.dtype}"
assert embedding.weight.requires_grad, "the embedding table is trained: requires_grad=True"
assert len(embedding.parameters()) == 1 and embedding.parameters()[0] is embedding.weight, "parameters() is [weight]"
word = encode("mat")
vectors = embedding(word)
assert isinstance(vectors, Tensor) and vectors.shape == (3, 4), f"3 ids -> (3, 4), got {getattr(vectors, 'shape', vectors)}"
np.testing.assert_array_equal(vectors.data, embedding.weight.data[word], err_msg="row n of the output is weight[ids[n]]")
batch = np.stack([encode("cat"), encode("the")])
assert embedding(batch).shape == (2, 3, 4), f"ids (2, 3) -> (2, 3, 4), got {embedding(batch).shape}"
np.testing.assert_array_equal(embedding([4, 4]).data, embedding.weight.data[[4, 4]], err_msg="ids as a list")
np.testing.assert_array_equal(embedding(Tensor([[1, 2]])).data, embedding.weight.data[np.array([[1, 2]])], err_msg="ids as a Tensor")
for bad in (len(vocabulary), -1):
    try:
        embedding([0, bad])
    except (IndexError, ValueError) as error:
        assert str(bad) in str(error) and str(len(vocabulary)) in str(error), f"name the id and the vocab size: {error}"
    else:
        raise AssertionError(f"id {bad} is out of range for vocab_size {len(vocabulary)}: raise IndexError")
print("Step 1 passed: ids of any shape become vectors; bad ids are refused.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1101)
for shape in [(7,), (3, 5), (2, 3, 4), (1, 1)]:
    vocab, dim = int(rng.integers(2, 30)), int(rng.integers(1, 9))
    layer = Embedding(vocab, dim)
    ids = rng.integers(0, vocab, size=shape)
    out = layer(ids)
    assert out.shape == shape + (dim,), f"ids {shape} -> {shape + (dim,)}, got {out.shape}"
    np.testing.assert_array_equal(out.data, layer.weight.data[ids], err_msg=f"lookup with ids of shape {shape}")
    assert out.dtype == np.float32
    bad = int(rng.choice([vocab + int(rng.integers(0, 5)), -int(rng.integers(1, 5))]))
    ids.flat[int(rng.integers(0, ids.size))] = bad
    try:
        layer(ids)
    except (IndexError, ValueError) as error:
        assert str(bad) in str(error) and str(vocab) in str(error), f"name the id {bad} and vocab_size {vocab}: {error}"
    else:
        raise AssertionError(f"id {bad} with vocab_size {vocab} must raise")
np.random.seed(11)
big = Embedding(2000, 64).weight.data
assert abs(big.std() - 1.0) < 0.02 and abs(big.mean()) < 0.02, f"weights ~ N(0, 1): std {big.std():.3f}, mean {big.mean():.3f}"
np.random.seed(11)
np.testing.assert_array_equal(Embedding(2000, 64).weight.data, big, err_msg="draw from np.random so that np.random.seed reproduces the table")
### END HIDDEN TESTS

# %% [markdown]
# ### Step 2 — Test the scatter-add
#
# First the backward alone, on ids where one token repeats: the gradient rows must add up.
# Then through the layer and autograd: `loss.backward()` must put the same gradient into
# `embedding.weight.grad`. The hidden part compares your backward with central differences
# (module 05's gradient check) on random shapes full of repeated ids.

# %% nbgrader={"grade": true, "grade_id": "embedding-backward", "locked": true, "points": 4, "schema_version": 3, "solution": false}
weight = Tensor(np.zeros((5, 2)), requires_grad=True)
ids = np.array([[1, 1], [1, 3]])
grad_output = np.arange(8.0).reshape(2, 2, 2)  # rows [0, 1], [2, 3], [4, 5], [6, 7]
grad_weight, grad_ids = EmbeddingBackward(weight, ids).backward(grad_output)
expected = np.zeros((5, 2))
expected[1] = [0 + 2 + 4, 1 + 3 + 5]   # token 1 was used three times: its rows add up
expected[3] = [6, 7]
assert grad_ids is None, "the ids get no gradient: return None for them"
assert grad_weight.shape == (5, 2), f"the gradient has the weight's shape (5, 2), got {grad_weight.shape}"
np.testing.assert_allclose(grad_weight, expected, err_msg="repeated ids must accumulate (np.add.at, not grad[ids] += g)")

np.random.seed(1)
embedding = Embedding(len(vocabulary), 3)
embedding.weight.data = embedding.weight.data.astype(np.float64)
sentence = np.stack([encode("the cat"), encode("the mat")])   # "t", " " and "a" repeat
upstream = np.random.default_rng(2).standard_normal(sentence.shape + (3,))
embedding.weight.grad = None
(embedding(sentence) * Tensor(upstream)).sum().backward()
assert embedding.weight.grad is not None, "weight.grad is None after backward(): does forward end with attach(...)?"
expected = np.zeros(embedding.weight.shape)
for position, token in np.ndenumerate(sentence):
    expected[token] += upstream[position]
np.testing.assert_allclose(embedding.weight.grad, expected, rtol=1e-12, err_msg="weight.grad through autograd")
print("Step 2 passed: the scatter-add accumulates repeated tokens.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1102)
for shape in [(9,), (4, 6), (2, 3, 5)]:
    vocab, dim = int(rng.integers(2, 6)), int(rng.integers(1, 5))
    ids = rng.integers(0, vocab, size=shape)  # small vocabularies: many repeats
    check_vjp(
        f"EmbeddingBackward, ids {shape}",
        lambda table: table[ids],
        lambda up, table: EmbeddingBackward(Tensor(table, requires_grad=True), ids).backward(up)[0],
        [rng.standard_normal((vocab, dim))],
        seed=int(rng.integers(1000)),
    )
    layer = Embedding(vocab, dim)
    layer.weight = Tensor(rng.standard_normal((vocab, dim)), requires_grad=True)
    up = rng.standard_normal(shape + (dim,))
    check_gradient_flow(lambda: (layer(ids) * Tensor(up)).sum(), {"Embedding.weight": layer.weight})
### END HIDDEN TESTS

# %% [markdown]
# ## Where is each token? Positional encodings
#
# Look at what the model sees so far: a sequence of vectors, one per token. Anything that
# treats them as a *set* — summing them, or attention in module 12, which compares every
# token with every other token regardless of where it stands — cannot tell "dog bites man"
# from "man bites dog". The fix is to add to each token's vector a vector that depends only
# on its **position** $p$:
#
# $$x_p = \text{Embedding}(i_p) + \text{PE}(p).$$
#
# Adding (rather than concatenating) keeps the width at `embed_dim`; the network learns to
# use some directions mostly for "what" and others for "where".
#
# ### The sinusoidal encoding
#
# "Attention Is All You Need" uses a fixed encoding, with no parameters. For position $p$ and
# dimension pair $i = 0, 1, \dots$:
#
# $$\text{PE}(p, 2i) = \sin\!\left(\frac{p}{10000^{2i/d}}\right), \qquad
#   \text{PE}(p, 2i+1) = \cos\!\left(\frac{p}{10000^{2i/d}}\right),$$
#
# with $d$ = `embed_dim`. Each pair of dimensions is a clock hand turning at its own
# frequency $\omega_i = 10000^{-2i/d}$: the first pair turns once every $2\pi \approx 6$
# positions, the last one almost not at all (wavelength up to $10000 \cdot 2\pi$). Together
# they give every position a distinct pattern, like the digits of a number read at many
# scales. Note the exponent: it is $2i$, the *even* dimension index, over $d$ — so the two
# dimensions of a pair share one frequency.
#
# **Why sines and cosines: relative position is a rotation.** For one frequency $\omega$,
# the angle-addition formulas give
#
# $$\begin{pmatrix} \sin \omega(p+k) \\ \cos \omega(p+k) \end{pmatrix} =
#   \begin{pmatrix} \cos \omega k & \sin \omega k \\ -\sin \omega k & \cos \omega k \end{pmatrix}
#   \begin{pmatrix} \sin \omega p \\ \cos \omega p \end{pmatrix}.$$
#
# Moving $k$ positions ahead is a fixed rotation of each pair, the same for every starting
# position $p$: a linear map that a layer can learn once. And since
# $\sin a \sin b + \cos a \cos b = \cos(a - b)$, the dot product of two position vectors
#
# $$\text{PE}(p) \cdot \text{PE}(p+k) = \sum_i \cos(\omega_i k)$$
#
# depends only on the offset $k$, not on where the pair sits. Each pair has length 1, so
# every position vector has length $\sqrt{d/2}$.
#
# If `embed_dim` is odd, the last dimension is a sine without its cosine partner.

# %% nbgrader={"grade": false, "grade_id": "sinusoidal-function", "locked": false, "schema_version": 3, "solution": true}
#| export
def sinusoidal_encoding(max_seq_len, embed_dim):
    """The (max_seq_len, embed_dim) float32 array of sinusoidal position encodings.

    Row p, column 2i:   sin(p / 10000 ** (2i / embed_dim))
    Row p, column 2i+1: cos(p / 10000 ** (2i / embed_dim))
    embed_dim may be odd: then the last column is a sine.

    Hints: positions as a column np.arange(max_seq_len)[:, None]; the even column indices
    2i are np.arange(0, embed_dim, 2); fill columns with slices [:, 0::2] and [:, 1::2]
    (for odd embed_dim there is one cosine column fewer than sine columns).
    """
    ### BEGIN SOLUTION
    positions = np.arange(max_seq_len, dtype=np.float64)[:, None]
    even_dims = np.arange(0, embed_dim, 2)
    frequencies = 1.0 / 10000.0 ** (even_dims / embed_dim)
    angles = positions * frequencies                   # (max_seq_len, ceil(embed_dim / 2))
    encoding = np.zeros((max_seq_len, embed_dim))
    encoding[:, 0::2] = np.sin(angles)
    encoding[:, 1::2] = np.cos(angles[:, : embed_dim // 2])
    return encoding.astype(np.float32)
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "sinusoidal-encoding", "locked": true, "points": 3, "schema_version": 3, "solution": false}
encoding = sinusoidal_encoding(50, 8)
assert isinstance(encoding, np.ndarray) and encoding.shape == (50, 8), f"expected a (50, 8) array, got {getattr(encoding, 'shape', encoding)}"
assert encoding.dtype == np.float32, f"float32, got {encoding.dtype}"
np.testing.assert_allclose(encoding[0], [0, 1, 0, 1, 0, 1, 0, 1], atol=1e-7, err_msg="position 0: sin 0 = 0 on even, cos 0 = 1 on odd dims")
np.testing.assert_allclose(encoding[1, :2], [np.sin(1.0), np.cos(1.0)], rtol=1e-6, err_msg="the first pair turns one radian per position")
np.testing.assert_allclose(encoding[7, 4:6], [np.sin(7 / 10000 ** (4 / 8)), np.cos(7 / 10000 ** (4 / 8))], rtol=1e-5,
                           err_msg="position 7, dims 4 and 5: the exponent is 2i/d = 4/8 for both dims of the pair")
np.testing.assert_allclose((encoding ** 2).sum(axis=1), 4.0, rtol=1e-5, err_msg="each position vector has length sqrt(d/2)")
odd = sinusoidal_encoding(10, 5)
assert odd.shape == (10, 5), f"odd embed_dim works: expected (10, 5), got {odd.shape}"
np.testing.assert_allclose(odd[3, 4], np.sin(3 / 10000 ** (4 / 5)), rtol=1e-5, err_msg="odd embed_dim: the last column is a sine")
print("sinusoidal encoding passed.")
### BEGIN HIDDEN TESTS
import math
rng = np.random.default_rng(1103)
for _ in range(5):
    length, dim = int(rng.integers(1, 300)), int(rng.integers(1, 65))
    table = sinusoidal_encoding(length, dim)
    assert table.shape == (length, dim) and table.dtype == np.float32, f"({length}, {dim}) float32"
    for position, column in zip(rng.integers(0, length, size=20), rng.integers(0, dim, size=20)):
        angle = position / 10000 ** ((column - column % 2) / dim)
        want = math.sin(angle) if column % 2 == 0 else math.cos(angle)
        assert abs(table[position, column] - want) < 1e-5, (
            f"PE({position}, {column}) for embed_dim {dim}: got {table[position, column]:.6f}, formula gives {want:.6f}")
### END HIDDEN TESTS

# %% [markdown]
# ### Seeing the encoding
#
# Each row of the heatmap is one position, each column one dimension. The left columns
# flicker from position to position (high frequencies); towards the right they change ever
# more slowly. Reading a row from left to right is reading the position at finer and
# coarser scales at once.

# %%
table = sinusoidal_encoding(100, 64)
figure, (heat_axis, curve_axis) = plt.subplots(1, 2, figsize=(11, 3.8), gridspec_kw={"width_ratios": [1.3, 1]})
image = heat_axis.imshow(table, aspect="auto", cmap="RdBu", vmin=-1, vmax=1)
heat_axis.set(xlabel="dimension", ylabel="position", title="Sinusoidal encoding, 100 positions x 64 dims")
figure.colorbar(image, ax=heat_axis)
for column in (0, 10, 30, 60):
    curve_axis.plot(table[:, column], label=f"dim {column}")
curve_axis.set(xlabel="position", ylabel="value", title="A few columns: each a sinusoid of its own wavelength")
curve_axis.legend(fontsize=8)
figure.tight_layout()
plt.show()

# %% [markdown]
# ### Relative position, measured
#
# The left plot is the matrix of dot products $\text{PE}(p) \cdot \text{PE}(q)$: the bright
# diagonal is every position agreeing with itself ($d/2 = 32$), and the bands parallel to it
# show that similarity depends on $q - p$ alone. The right plot takes three very different
# starting positions and draws the similarity against the offset $k$: the three curves lie on
# top of each other. Below, the rotation formula is checked numerically.

# %%
similarity = table @ table.T
figure, (matrix_axis, offset_axis) = plt.subplots(1, 2, figsize=(11, 3.8))
image = matrix_axis.imshow(similarity, cmap="viridis")
matrix_axis.set(xlabel="position q", ylabel="position p", title="PE(p) . PE(q)")
figure.colorbar(image, ax=matrix_axis)
offsets = np.arange(0, 40)
for start in (0, 20, 55):
    offset_axis.plot(offsets, similarity[start, start + offsets], label=f"p = {start}", alpha=0.8)
offset_axis.set(xlabel="offset k", ylabel="PE(p) . PE(p + k)", title="The same curve from every starting position")
offset_axis.legend()
figure.tight_layout()
plt.show()

frequencies = 1.0 / 10000 ** (np.arange(0, 64, 2) / 64)
shift = 5
rotated = np.empty(64)
for pair, omega in enumerate(frequencies):
    c, s = np.cos(omega * shift), np.sin(omega * shift)
    sine, cosine = table[20, 2 * pair], table[20, 2 * pair + 1]
    rotated[2 * pair], rotated[2 * pair + 1] = c * sine + s * cosine, -s * sine + c * cosine
print(f"largest |rotate(PE(20), by 5) - PE(25)|: {np.abs(rotated - table[25]).max():.1e}  (float32 rounding)")

# %% [markdown]
# ### The `PositionalEncoding` layer
#
# The table is computed once, in `__init__`, for every position up to `max_seq_len`, and kept
# as a **buffer**: a Tensor *without* `requires_grad`, so `parameters()` skips it and no
# optimizer ever changes it. `forward(x)` takes token vectors of shape `(batch, seq_len,
# embed_dim)` and adds the first `seq_len` rows — written as a Tensor addition, so that the
# gradient flows through it back to `x` (and from there into the embedding table). The
# `(seq_len, embed_dim)` slice broadcasts over the batch.
#
# A sequence longer than `max_seq_len` has positions the table does not cover: raise a
# `ValueError` that names both lengths, rather than letting numpy fail with a shape error.

# %% nbgrader={"grade": false, "grade_id": "positional-classes", "locked": false, "schema_version": 3, "solution": true}
#| export
def _sequence_length(x, max_seq_len, embed_dim, layer_name):
    """seq_len of x (shape (..., seq_len, embed_dim)), checked against the layer's table."""
    if x.ndim < 2 or x.shape[-1] != embed_dim:
        raise ValueError(f"{layer_name} expects input of shape (..., seq_len, {embed_dim}), got {x.shape}")
    seq_len = x.shape[-2]
    if seq_len > max_seq_len:
        raise ValueError(
            f"{layer_name}: sequence length {seq_len} exceeds max_seq_len {max_seq_len}; "
            f"build the layer with max_seq_len >= {seq_len}"
        )
    return seq_len


class PositionalEncoding(Layer):
    """Adds the fixed sinusoidal encoding of each position: x + PE[:seq_len]."""

    def __init__(self, max_seq_len, embed_dim):
        """Keep max_seq_len and embed_dim, and store the table as a buffer:
        self.encoding = Tensor(sinusoidal_encoding(max_seq_len, embed_dim)), NOT trainable.
        """
        ### BEGIN SOLUTION
        self.max_seq_len = max_seq_len
        self.embed_dim = embed_dim
        self.encoding = Tensor(sinusoidal_encoding(max_seq_len, embed_dim))
        ### END SOLUTION

    def forward(self, x):
        """x (..., seq_len, embed_dim) -> x + the first seq_len rows of the encoding.

        seq_len = _sequence_length(x, self.max_seq_len, self.embed_dim, "PositionalEncoding")
        raises the errors for you. Use Tensor operations (slice self.encoding, then +) so
        the gradient reaches x. Accept a numpy array by wrapping it in a Tensor.
        """
        ### BEGIN SOLUTION
        if not isinstance(x, Tensor):
            x = Tensor(x)
        seq_len = _sequence_length(x, self.max_seq_len, self.embed_dim, "PositionalEncoding")
        return x + self.encoding[:seq_len]
        ### END SOLUTION

    def __repr__(self):
        return f"PositionalEncoding(max_seq_len={self.max_seq_len}, embed_dim={self.embed_dim})"


class LearnedPositionalEncoding(Layer):
    """Adds a trainable vector per position (GPT-2, BERT): x + weight[:seq_len]."""

    def __init__(self, max_seq_len, embed_dim):
        """Keep max_seq_len and embed_dim, and create self.weight: a float32 Tensor of shape
        (max_seq_len, embed_dim) drawn from N(0, 0.02^2) — small, as GPT-2 does — with
        requires_grad=True. Draw from np.random: np.random.normal(0.0, 0.02, size=...).
        """
        ### BEGIN SOLUTION
        self.max_seq_len = max_seq_len
        self.embed_dim = embed_dim
        initial = np.random.normal(0.0, 0.02, size=(max_seq_len, embed_dim))
        self.weight = Tensor(initial.astype(np.float32), requires_grad=True)
        ### END SOLUTION

    def forward(self, x):
        """x (..., seq_len, embed_dim) -> x + self.weight[:seq_len], in Tensor operations,
        so gradients reach both x and the rows of the table that were used.
        Check the length with _sequence_length(..., "LearnedPositionalEncoding").
        """
        ### BEGIN SOLUTION
        if not isinstance(x, Tensor):
            x = Tensor(x)
        seq_len = _sequence_length(x, self.max_seq_len, self.embed_dim, "LearnedPositionalEncoding")
        return x + self.weight[:seq_len]
        ### END SOLUTION

    def __repr__(self):
        return f"LearnedPositionalEncoding(max_seq_len={self.max_seq_len}, embed_dim={self.embed_dim})"

# %% [markdown]
# ### Test `PositionalEncoding`
#
# Adding the encoding to zeros must give back the table; the layer must have no
# parameters; the gradient with respect to `x` of `x + PE` is the upstream gradient itself.

# %% nbgrader={"grade": true, "grade_id": "positional-forward", "locked": true, "points": 2, "schema_version": 3, "solution": false}
positional = PositionalEncoding(max_seq_len=50, embed_dim=8)
assert positional.parameters() == [], "the sinusoidal table is a fixed buffer: parameters() should be empty"
assert positional.encoding.shape == (50, 8) and not positional.encoding.requires_grad, "encoding: (50, 8), requires_grad False"
out = positional(Tensor(np.zeros((2, 10, 8))))
assert isinstance(out, Tensor) and out.shape == (2, 10, 8), f"(2, 10, 8) in, (2, 10, 8) out; got {getattr(out, 'shape', out)}"
np.testing.assert_allclose(out.data[1], sinusoidal_encoding(50, 8)[:10], rtol=1e-6, err_msg="x + PE[:seq_len] for each sequence")
x = Tensor(np.random.default_rng(3).standard_normal((3, 6, 8)), requires_grad=True)
upstream = np.random.default_rng(4).standard_normal((3, 6, 8))
(positional(x) * Tensor(upstream)).sum().backward()
assert x.grad is not None, "x.grad is None: build forward from Tensor operations (slice, +)"
np.testing.assert_allclose(x.grad, upstream, rtol=1e-12, err_msg="d(x + PE)/dx passes the gradient through unchanged")
try:
    positional(Tensor(np.zeros((1, 51, 8))))
except ValueError as error:
    assert "51" in str(error) and "50" in str(error), f"name the sequence length and max_seq_len: {error}"
else:
    raise AssertionError("a sequence of 51 positions with max_seq_len 50 must raise ValueError")
print("PositionalEncoding passed.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1104)
for _ in range(4):
    max_len, dim = int(rng.integers(4, 40)), int(rng.integers(1, 12))
    batch, length = int(rng.integers(1, 4)), int(rng.integers(1, max_len + 1))
    layer = PositionalEncoding(max_len, dim)
    values = rng.standard_normal((batch, length, dim))
    x = Tensor(values, requires_grad=True)
    out = layer(x)
    np.testing.assert_allclose(out.data, values + sinusoidal_encoding(max_len, dim)[:length], rtol=1e-6, atol=1e-7)
    check_gradient_flow(lambda: (layer(x) ** 2).sum(), {"x": x})
    assert layer(Tensor(values.astype(np.float32))).dtype == np.float32, "float32 in, float32 out"
    too_long = max_len + int(rng.integers(1, 5))
    try:
        layer(Tensor(np.zeros((1, too_long, dim))))
    except ValueError as error:
        assert str(too_long) in str(error) and str(max_len) in str(error), f"name {too_long} and {max_len}: {error}"
    else:
        raise AssertionError(f"length {too_long} > max_seq_len {max_len} must raise ValueError")
### END HIDDEN TESTS

# %% [markdown]
# ### Test `LearnedPositionalEncoding`
#
# A learned table is a parameter: it must be in `parameters()`, start small, and receive
# gradient — but only in the rows of the positions that were used. Row $p$ of the gradient
# is the sum over the batch of the upstream gradient at position $p$ (the table row was
# broadcast over the batch); rows at or beyond `seq_len` stay zero.

# %% nbgrader={"grade": true, "grade_id": "learned-positional", "locked": true, "points": 3, "schema_version": 3, "solution": false}
np.random.seed(5)
learned = LearnedPositionalEncoding(max_seq_len=16, embed_dim=4)
assert learned.weight.shape == (16, 4) and learned.weight.dtype == np.float32, "weight: (max_seq_len, embed_dim) float32"
assert learned.weight.requires_grad, "the learned table is trained: requires_grad=True"
assert len(learned.parameters()) == 1 and learned.parameters()[0] is learned.weight, "parameters() is [weight]"
assert 0.005 < learned.weight.data.std() < 0.05, f"start small, N(0, 0.02^2): std {learned.weight.data.std():.4f}"
x = Tensor(np.ones((3, 5, 4)))
out = learned(x)
assert out.shape == (3, 5, 4), f"(3, 5, 4) in, (3, 5, 4) out; got {out.shape}"
np.testing.assert_allclose(out.data, 1.0 + np.broadcast_to(learned.weight.data[:5], (3, 5, 4)), rtol=1e-6, err_msg="x + weight[:seq_len]")
upstream = np.random.default_rng(6).standard_normal((3, 5, 4))
learned.weight.grad = None
(learned(x) * Tensor(upstream)).sum().backward()
assert learned.weight.grad is not None and learned.weight.grad.shape == (16, 4), "weight.grad of the table's shape"
np.testing.assert_allclose(learned.weight.grad[:5], upstream.sum(axis=0), rtol=1e-5, err_msg="rows < seq_len: summed over the batch")
assert not np.any(learned.weight.grad[5:]), "positions 5..15 were not used: their gradient rows must be zero"
try:
    learned(Tensor(np.zeros((1, 17, 4))))
except ValueError as error:
    assert "17" in str(error) and "16" in str(error), f"name the sequence length and max_seq_len: {error}"
else:
    raise AssertionError("17 positions with max_seq_len 16 must raise ValueError")
print("LearnedPositionalEncoding passed.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1105)
for _ in range(3):
    max_len, dim = int(rng.integers(3, 12)), int(rng.integers(1, 6))
    batch, length = int(rng.integers(1, 4)), int(rng.integers(1, max_len))
    layer = LearnedPositionalEncoding(max_len, dim)
    layer.weight = Tensor(rng.standard_normal((max_len, dim)), requires_grad=True)
    x = Tensor(rng.standard_normal((batch, length, dim)), requires_grad=True)
    up = rng.standard_normal((batch, length, dim))
    check_gradient_flow(lambda: (layer(x).exp() * Tensor(up)).sum(), {"x": x, "LearnedPositionalEncoding.weight": layer.weight})
    assert not np.any(layer.weight.grad[length:]), f"only rows < {length} may receive gradient"
np.random.seed(15)
initial_table = LearnedPositionalEncoding(512, 64).weight.data
assert abs(initial_table.std() - 0.02) < 0.001 and abs(initial_table.mean()) < 0.001, f"N(0, 0.02^2): std {initial_table.std():.4f}"
### END HIDDEN TESTS

# %% [markdown]
# ## A tiny embedding, trained: do similar tokens end up close?
#
# The promise of embeddings is that training puts tokens that *behave* alike near each other.
# Test it on a toy task with a known answer. Twenty tokens fall into four groups of five
# (think: colours, animals, numbers, fruit). Each sequence of six tokens is mostly drawn from
# one group, with some noise tokens from anywhere; the label is the group. The model is a
# **bag of embeddings**: embed the tokens, average over the sequence, classify with a
# `Linear` layer. Nothing tells the model which tokens belong together — it only sees
# sequences and labels.
#
# To draw 16-dimensional vectors in 2-D, project them onto their two directions of largest
# variance (principal component analysis): centre the rows, take the SVD
# $W - \bar W = U S V^\top$, and plot $(W - \bar W) V_{:, :2}$.

# %%
group_names = ["colours", "animals", "numbers", "fruit"]
tokens_per_group, sequence_length, toy_vocab = 5, 6, 20
toy_rng = np.random.default_rng(11)


def toy_batch(count):
    """(count, 6) ids mostly from one group (25% noise tokens), and the group as the label."""
    labels = toy_rng.integers(0, len(group_names), size=count)
    ids = labels[:, None] * tokens_per_group + toy_rng.integers(0, tokens_per_group, size=(count, sequence_length))
    noise = toy_rng.random(ids.shape) < 0.25
    ids[noise] = toy_rng.integers(0, toy_vocab, size=noise.sum())
    return ids, labels


def project_2d(table):
    centred = table - table.mean(axis=0)
    _, _, right_vectors = np.linalg.svd(centred, full_matrices=False)
    return centred @ right_vectors[:2].T


np.random.seed(0)
toy_embedding, toy_head = Embedding(toy_vocab, 16), Linear(16, len(group_names))
toy_parameters = toy_embedding.parameters() + toy_head.parameters()
before = project_2d(toy_embedding.weight.data)
train_ids, train_labels = toy_batch(256)
toy_losses = []
for step in range(200):
    for parameter in toy_parameters:
        parameter.zero_grad()
    loss = CrossEntropyLoss()(toy_head(toy_embedding(train_ids).mean(axis=1)), train_labels)
    loss.backward()
    for parameter in toy_parameters:
        parameter.data -= 2.0 * parameter.grad
    toy_losses.append(loss.item())
test_ids, test_labels = toy_batch(500)
with no_grad():
    accuracy = np.mean(toy_head(toy_embedding(test_ids).mean(axis=1)).data.argmax(axis=1) == test_labels)
print(f"loss {toy_losses[0]:.3f} -> {toy_losses[-1]:.3f}; accuracy on new sequences {accuracy:.1%}")

figure, axes = plt.subplots(1, 2, figsize=(10, 4))
for axis, points, title in [(axes[0], before, "Before training (random N(0, 1) rows)"),
                            (axes[1], project_2d(toy_embedding.weight.data), "After 200 steps")]:
    for group, name in enumerate(group_names):
        rows = points[group * tokens_per_group:(group + 1) * tokens_per_group]
        axis.scatter(rows[:, 0], rows[:, 1], label=name, s=40)
    axis.set(title=title, xlabel="component 1", ylabel="component 2")
axes[1].legend(fontsize=8)
figure.tight_layout()
plt.show()

# %% [markdown]
# Before training the groups are mixed; after training, tokens of a group sit together —
# learned from co-occurrence with labels alone. Word embeddings (word2vec, GloVe, and the
# first layer of every language model) are this effect at scale. The clusters are not
# perfectly tight because each row still carries its random start: the gradient moves a row
# only along the directions the classifier uses.
#
# ## Systems view: the biggest table in the model, and why a lookup
#
# **Memory.** An embedding table costs `vocab_size × embed_dim × 4` bytes in float32, and
# training with Adam keeps three more tensors of that size (gradient, two moment estimates).
# Measure one table, then compare sizes for real vocabularies:

# %%
np.random.seed(0)
measured = Embedding(50257, 64)
print(f"Embedding(50257, 64): weight.data.nbytes = {measured.weight.data.nbytes:,} bytes "
      f"= 50257 x 64 x 4 = {50257 * 64 * 4:,}")
del measured

real_tables = [("BERT-base", 30522, 768), ("GPT-2 small", 50257, 768), ("GPT-2 XL", 50257, 1600),
               ("Llama 2 7B", 32000, 4096), ("Llama 3 8B", 128256, 4096)]
print(f"\n{'model':12s} {'vocab':>8s} {'dim':>5s} {'float32 table':>14s} {'+ Adam training state':>22s}")
for name, vocab, dim in real_tables:
    table_bytes = vocab * dim * 4
    print(f"{name:12s} {vocab:8,d} {dim:5d} {table_bytes / 2**20:11.1f} MiB {4 * table_bytes / 2**20:19.1f} MiB")

# %% [markdown]
# **What fraction of a GPT is embedding?** Count the parameters of a GPT built the way
# module 13 builds it (GPT-2's layout): a token table `vocab × d`, a learned position table
# `max_len × d`, and per transformer block $12d^2 + 13d$ parameters (attention $4d^2 + 4d$,
# MLP $8d^2 + 5d$, two LayerNorms $4d$), a final LayerNorm $2d$, and an output layer that
# *reuses* the token table (weight tying). The function below counts; the table shows how the
# share of the embedding shrinks as the model grows — and how large it is in small models.

# %%
def gpt_parameter_counts(vocab, dim, layers, max_len):
    """(token table, position table, everything else) of a GPT-2-style model with tied output."""
    per_block = 12 * dim * dim + 13 * dim
    return vocab * dim, max_len * dim, layers * per_block + 2 * dim


gpt_configs = [("character GPT, tiny", 65, 128, 4, 256), ("GPT-2 vocab, tiny", 50257, 128, 4, 256),
               ("GPT-2 small", 50257, 768, 12, 1024), ("GPT-2 medium", 50257, 1024, 24, 1024),
               ("GPT-2 XL", 50257, 1600, 48, 1024)]
print(f"{'model':26s} {'total':>12s} {'token table':>12s} {'share':>7s}")
for name, vocab, dim, layers, max_len in gpt_configs:
    tokens, positions, rest = gpt_parameter_counts(vocab, dim, layers, max_len)
    total = tokens + positions + rest
    print(f"{name:26s} {total:12,d} {tokens:12,d} {tokens / total:7.1%}")

# %% [markdown]
# GPT-2 small has about 124 M parameters, and almost a third of them are its token table.
# With a 50k vocabulary, a *small* model is mostly embedding — which is why small models use
# small vocabularies (characters, or a few thousand BPE tokens).
#
# **Time: lookup versus one-hot matmul.** The same output, two ways: index the table, or
# build the one-hot matrix and multiply. And the same gradient, two ways: `np.add.at`, or
# $O^\top G$. Times are the best of a few runs (the machine is shared, so single runs are
# noisy); 512 looked-up positions, `embed_dim` 128.

# %%
def best_time(function, repeats=3):
    function()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


timing_rng = np.random.default_rng(0)
vocab_sizes, dim, count = [500, 2000, 8000, 16000], 128, 512
timings = {"lookup W[ids]": [], "one-hot @ W": [], "np.add.at backward": [], "one-hot.T @ G backward": []}
for vocab in vocab_sizes:
    table = timing_rng.standard_normal((vocab, dim)).astype(np.float32)
    ids = timing_rng.integers(0, vocab, size=count)
    upstream = timing_rng.standard_normal((count, dim)).astype(np.float32)

    def one_hot():
        matrix = np.zeros((count, vocab), dtype=np.float32)
        matrix[np.arange(count), ids] = 1.0
        return matrix

    def scatter_add():
        grad = np.zeros_like(table)
        np.add.at(grad, ids, upstream)
        return grad

    np.testing.assert_allclose(one_hot() @ table, table[ids], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(one_hot().T @ upstream, scatter_add(), rtol=1e-4, atol=1e-4)
    timings["lookup W[ids]"].append(best_time(lambda: table[ids]))
    timings["one-hot @ W"].append(best_time(lambda: one_hot() @ table))
    timings["np.add.at backward"].append(best_time(scatter_add))
    timings["one-hot.T @ G backward"].append(best_time(lambda: one_hot().T @ upstream))
    print(f"vocab {vocab:6d}: " + "  ".join(f"{name} {times[-1] * 1e3:7.3f} ms" for name, times in timings.items()))

plt.figure(figsize=(6, 3.8))
for (name, times), style in zip(timings.items(), ["o-", "o--", "s-", "s--"]):
    plt.loglog(vocab_sizes, np.array(times) * 1e3, style, label=name)
plt.xlabel("vocab_size")
plt.ylabel("best time (ms)")
plt.title("512 ids, embed_dim 128")
plt.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# The lookup reads `count × dim` numbers whatever the vocabulary size; the one-hot product
# does `2 × count × vocab × dim` FLOPs and grows with the vocabulary — at 16k tokens it is
# orders of magnitude slower, for the same answer. The backward tells the same story: the
# scatter-add writes the rows that were used (plus zeroing the gradient, which every method
# pays). Real frameworks go one step further and keep the gradient *sparse* (only the used
# rows), which is what `torch.nn.Embedding(sparse=True)` does.
#
# ## Putting it together — a classifier on token and position embeddings
#
# The integration test assembles this module's pieces with modules 03–05: token embedding,
# positional encoding, mean over the sequence, `Linear`, cross-entropy. It holds every
# parameter's gradient to central differences (in float64), for the learned and the
# sinusoidal positions, and checks that a few steps of gradient descent lower the loss.

# %%
class TokenBagClassifier(Layer):
    """Embedding + positional encoding -> mean over positions -> Linear: logits (batch, classes)."""

    def __init__(self, vocab_size, embed_dim, max_seq_len, num_classes, learned_positions=True):
        self.tokens = Embedding(vocab_size, embed_dim)
        position_layer = LearnedPositionalEncoding if learned_positions else PositionalEncoding
        self.positions = position_layer(max_seq_len, embed_dim)
        self.head = Linear(embed_dim, num_classes)

    def forward(self, ids):
        return self.head(self.positions(self.tokens(ids)).mean(axis=1))


def in_float64(model):
    """The model with every parameter's data converted to float64, for gradient checks."""
    for parameter in model.parameters():
        parameter.data = parameter.data.astype(np.float64)
    return model

# %% nbgrader={"grade": true, "grade_id": "embeddings-integration", "locked": true, "points": 4, "schema_version": 3, "solution": false}
np.random.seed(7)
ids = np.array([[0, 3, 3, 1], [2, 2, 0, 4], [3, 1, 3, 3]])   # token 3 appears five times
labels = np.array([1, 0, 2])
model = in_float64(TokenBagClassifier(vocab_size=6, embed_dim=5, max_seq_len=8, num_classes=3))
assert len(model.parameters()) == 4, f"token table, position table, Linear weight and bias: got {len(model.parameters())} parameters"
errors = check_model_gradients(model, lambda: CrossEntropyLoss()(model(ids), labels))
assert not np.any(model.positions.weight.grad[4:]), "only the 4 positions used get gradient"
fixed = in_float64(TokenBagClassifier(6, 5, 8, 3, learned_positions=False))
check_model_gradients(fixed, lambda: CrossEntropyLoss()(fixed(ids), labels))

np.random.seed(8)
model = TokenBagClassifier(vocab_size=6, embed_dim=8, max_seq_len=8, num_classes=3)
losses = []
for step in range(20):
    for parameter in model.parameters():
        parameter.zero_grad()
    loss = CrossEntropyLoss()(model(ids), labels)
    loss.backward()
    for parameter in model.parameters():
        parameter.data -= 0.5 * parameter.grad
    losses.append(loss.item())
assert losses[-1] < 0.5 * losses[0], f"20 steps of gradient descent should halve the loss: {losses[0]:.3f} -> {losses[-1]:.3f}"
print(f"Integration passed: {errors!r}; loss {losses[0]:.3f} -> {losses[-1]:.3f} in 20 steps.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1106)
for learned_positions in (True, False):
    vocab, dim, length, batch = int(rng.integers(3, 7)), int(rng.integers(2, 6)), int(rng.integers(3, 7)), int(rng.integers(2, 5))
    np.random.seed(int(rng.integers(1000)))
    net = in_float64(TokenBagClassifier(vocab, dim, length + 2, 3, learned_positions=learned_positions))
    token_ids = rng.integers(0, vocab, size=(batch, length))
    token_ids[0, :2] = token_ids[-1, -1]  # at least one repeated token
    targets = rng.integers(0, 3, size=batch)
    check_model_gradients(net, lambda: CrossEntropyLoss()(net(token_ids), targets))
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# - **`Embedding`** turns token ids of any shape into vectors by a row lookup — the same
#   result as a one-hot matrix product, without its `2 × N × vocab × dim` FLOPs.
# - Its gradient is a **scatter-add**: row $v$ of $\partial L/\partial W$ sums the output
#   gradients of every position holding token $v$. `np.add.at` accumulates repeated ids;
#   `grad[ids] += g` silently keeps only one of them.
# - **Positional encodings** tell an order-blind model where each token is. The sinusoidal
#   one is fixed (a buffer, not a parameter) and turns a shift by $k$ positions into a
#   rotation, so similarity depends on relative position; the learned one is a trainable
#   table whose rows get gradient only from the positions used.
# - You measured that a 50k-token table is about a third of GPT-2 small and most of a small
#   model, and that the lookup beats the one-hot product by orders of magnitude.
#
# **Next:** module 12 builds attention — the layer that compares these position-aware token
# vectors with each other — and module 13 stacks it with these embeddings into a GPT.
