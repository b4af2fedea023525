# Generated from modules/12_attention/12_attention.py by `make build`: do not edit.
# Change the module source and run `make build` again.

import numpy as np

import tinytorch.core.autograd  # noqa: F401  (gradients on)
from tinytorch.core.tensor import Tensor
from tinytorch.core.activations import Softmax
from tinytorch.core.layers import Layer, Linear


def attention_scores(Q, K):
    """Scaled dot products Q @ K^T / sqrt(d) of shape (..., Tq, Tk).

    Q: Tensor (..., Tq, d), K: Tensor (..., Tk, d); d = Q.shape[-1].
    Use Tensor operations only: K.transpose(-2, -1), @, and * by a Python float
    (keeps float32 scores float32).
    """
    scale = 1.0 / float(np.sqrt(Q.shape[-1]))
    return (Q @ K.transpose(-2, -1)) * scale


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


def scaled_dot_product_attention(Q, K, V, mask=None):
    """softmax(Q @ K^T / sqrt(d) [+ mask penalty]) @ V, over the last two axes.

    Q: (..., Tq, d), K: (..., Tk, d), V: (..., Tk, dv) Tensors; mask: None, or a numpy
    array / Tensor broadcastable to (..., Tq, Tk), True/1 = may attend.
    Returns (output of shape (..., Tq, dv), attention_weights of shape (..., Tq, Tk)),
    both Tensors built by Tensor operations and Softmax(dim=-1).
    """
    scores = attention_scores(Q, K)
    if mask is not None:
        scores = apply_mask(scores, mask)
    attention_weights = Softmax(dim=-1)(scores)
    output = attention_weights @ V
    return output, attention_weights


def causal_mask(seq_len):
    """(seq_len, seq_len) boolean array, True where key j <= query i (may attend)."""
    return np.tril(np.ones((seq_len, seq_len), dtype=bool))


def split_heads(x, num_heads):
    """(B, T, D) Tensor -> (B, H, T, D // H): head h holds features h*Dh .. (h+1)*Dh - 1.

    Raise ValueError when D is not divisible by num_heads. Tensor operations only:
    x.reshape(...) then .transpose(1, 2).
    """
    batch, seq_len, embed_dim = x.shape
    if embed_dim % num_heads:
        raise ValueError(f"embed_dim {embed_dim} is not divisible by num_heads {num_heads}")
    head_dim = embed_dim // num_heads
    return x.reshape(batch, seq_len, num_heads, head_dim).transpose(1, 2)


def merge_heads(x):
    """(B, H, T, Dh) Tensor -> (B, T, H * Dh): the inverse of split_heads."""
    batch, num_heads, seq_len, head_dim = x.shape
    return x.transpose(1, 2).reshape(batch, seq_len, num_heads * head_dim)


class MultiHeadAttention(Layer):
    """Multi-head self-attention: q/k/v projections, H heads of size D/H, an output projection."""

    def __init__(self, embed_dim, num_heads):
        """Four Linear(embed_dim, embed_dim): q_proj, k_proj, v_proj, out_proj.

        Raise ValueError when embed_dim is not divisible by num_heads. Keep embed_dim,
        num_heads, head_dim = embed_dim // num_heads, and attention_weights = None.
        """
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

    def forward(self, x, mask=None):
        """x: (B, T, embed_dim) Tensor -> (B, T, embed_dim) Tensor.

        mask: None, or broadcastable to (B, H, T, T) (a (T, T) causal mask works as is).
        Also sets self.attention_weights to the (B, H, T, T) numpy array of weights.
        """
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

    def __repr__(self):
        return f"MultiHeadAttention(embed_dim={self.embed_dim}, num_heads={self.num_heads})"
