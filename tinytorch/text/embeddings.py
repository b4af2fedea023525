# Generated from modules/11_embeddings/11_embeddings.py by `make build`: do not edit.
# Change the module source and run `make build` again.

import numpy as np

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from tinytorch.core.autograd import Function, attach
from tinytorch.core.layers import Layer
from tinytorch.core.tensor import Tensor


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
        weight = self.inputs[0].data
        flat_ids = self.ids.reshape(-1)
        flat_grad = np.reshape(grad_output, (-1, weight.shape[1]))
        grad_weight = np.zeros(weight.shape, dtype=weight.dtype)
        np.add.at(grad_weight, flat_ids, flat_grad)
        return grad_weight, None


class Embedding(Layer):
    """A trainable table of one vector per token: Embedding(vocab_size, embed_dim)(ids)."""

    def __init__(self, vocab_size, embed_dim):
        """Keep vocab_size and embed_dim as attributes, and create self.weight: a float32
        Tensor of shape (vocab_size, embed_dim) drawn from the standard normal N(0, 1),
        with requires_grad=True.

        Draw from np.random (the global state, as Linear does), so np.random.seed(n) makes
        a layer reproducible: np.random.standard_normal(shape).astype(np.float32).
        """
        self.vocab_size = vocab_size
        self.embed_dim = embed_dim
        table = np.random.standard_normal((vocab_size, embed_dim)).astype(np.float32)
        self.weight = Tensor(table, requires_grad=True)

    def forward(self, ids):
        """ids of any shape (a list, numpy array or Tensor) -> Tensor of shape ids.shape + (embed_dim,).

        1. ids = as_token_ids(ids).
        2. If any id is negative or >= vocab_size, raise IndexError naming the first bad
           id and the vocab_size, e.g. "token id 12 is out of range for an Embedding with
           vocab_size 10 (ids go from 0 to 9)".
        3. Look the rows up in self.weight.data and return
           attach(Tensor(rows), EmbeddingBackward(self.weight, ids)).
        """
        ids = as_token_ids(ids)
        outside = (ids < 0) | (ids >= self.vocab_size)
        if np.any(outside):
            raise IndexError(
                f"token id {ids[outside][0]} is out of range for an Embedding with vocab_size "
                f"{self.vocab_size} (ids go from 0 to {self.vocab_size - 1})"
            )
        rows = self.weight.data[ids]
        return attach(Tensor(rows), EmbeddingBackward(self.weight, ids))

    def __repr__(self):
        return f"Embedding(vocab_size={self.vocab_size}, embed_dim={self.embed_dim})"


def sinusoidal_encoding(max_seq_len, embed_dim):
    """The (max_seq_len, embed_dim) float32 array of sinusoidal position encodings.

    Row p, column 2i:   sin(p / 10000 ** (2i / embed_dim))
    Row p, column 2i+1: cos(p / 10000 ** (2i / embed_dim))
    embed_dim may be odd: then the last column is a sine.

    Hints: positions as a column np.arange(max_seq_len)[:, None]; the even column indices
    2i are np.arange(0, embed_dim, 2); fill columns with slices [:, 0::2] and [:, 1::2]
    (for odd embed_dim there is one cosine column fewer than sine columns).
    """
    positions = np.arange(max_seq_len, dtype=np.float64)[:, None]
    even_dims = np.arange(0, embed_dim, 2)
    frequencies = 1.0 / 10000.0 ** (even_dims / embed_dim)
    angles = positions * frequencies                   # (max_seq_len, ceil(embed_dim / 2))
    encoding = np.zeros((max_seq_len, embed_dim))
    encoding[:, 0::2] = np.sin(angles)
    encoding[:, 1::2] = np.cos(angles[:, : embed_dim // 2])
    return encoding.astype(np.float32)


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
        self.max_seq_len = max_seq_len
        self.embed_dim = embed_dim
        self.encoding = Tensor(sinusoidal_encoding(max_seq_len, embed_dim))

    def forward(self, x):
        """x (..., seq_len, embed_dim) -> x + the first seq_len rows of the encoding.

        seq_len = _sequence_length(x, self.max_seq_len, self.embed_dim, "PositionalEncoding")
        raises the errors for you. Use Tensor operations (slice self.encoding, then +) so
        the gradient reaches x. Accept a numpy array by wrapping it in a Tensor.
        """
        if not isinstance(x, Tensor):
            x = Tensor(x)
        seq_len = _sequence_length(x, self.max_seq_len, self.embed_dim, "PositionalEncoding")
        return x + self.encoding[:seq_len]

    def __repr__(self):
        return f"PositionalEncoding(max_seq_len={self.max_seq_len}, embed_dim={self.embed_dim})"


class LearnedPositionalEncoding(Layer):
    """Adds a trainable vector per position (GPT-2, BERT): x + weight[:seq_len]."""

    def __init__(self, max_seq_len, embed_dim):
        """Keep max_seq_len and embed_dim, and create self.weight: a float32 Tensor of shape
        (max_seq_len, embed_dim) drawn from N(0, 0.02^2) — small, as GPT-2 does — with
        requires_grad=True. Draw from np.random: np.random.normal(0.0, 0.02, size=...).
        """
        self.max_seq_len = max_seq_len
        self.embed_dim = embed_dim
        initial = np.random.normal(0.0, 0.02, size=(max_seq_len, embed_dim))
        self.weight = Tensor(initial.astype(np.float32), requires_grad=True)

    def forward(self, x):
        """x (..., seq_len, embed_dim) -> x + self.weight[:seq_len], in Tensor operations,
        so gradients reach both x and the rows of the table that were used.
        Check the length with _sequence_length(..., "LearnedPositionalEncoding").
        """
        if not isinstance(x, Tensor):
            x = Tensor(x)
        seq_len = _sequence_length(x, self.max_seq_len, self.embed_dim, "LearnedPositionalEncoding")
        return x + self.weight[:seq_len]

    def __repr__(self):
        return f"LearnedPositionalEncoding(max_seq_len={self.max_seq_len}, embed_dim={self.embed_dim})"
