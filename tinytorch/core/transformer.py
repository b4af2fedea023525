# Generated from modules/13_transformers/13_transformers.py by `make build`: do not edit.
# Change the module source and run `make build` again.

import numpy as np

import tinytorch.core.autograd  # noqa: F401  (gradients on)
from tinytorch.core.activations import GELU
from tinytorch.core.attention import MultiHeadAttention, causal_mask
from tinytorch.core.autograd import no_grad
from tinytorch.core.layers import Dropout, Layer, Linear
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.tensor import Tensor
from tinytorch.text.embeddings import Embedding, LearnedPositionalEncoding, as_token_ids


class LayerNorm(Layer):
    """Normalize over the last len(normalized_shape) axes, then scale by gamma and shift by beta."""

    def __init__(self, normalized_shape, eps=1e-5):
        """normalized_shape: an int d or a tuple of ints (the trailing shape to normalize over).

        Keep self.normalized_shape as a tuple (an int d becomes (d,)) and self.eps, and create
        self.gamma (ones) and self.beta (zeros): float32 Tensors of shape normalized_shape
        with requires_grad=True.
        """
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (int(normalized_shape),)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = float(eps)
        self.gamma = Tensor(np.ones(self.normalized_shape, dtype=np.float32), requires_grad=True)
        self.beta = Tensor(np.zeros(self.normalized_shape, dtype=np.float32), requires_grad=True)

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

    def __repr__(self):
        return f"LayerNorm({self.normalized_shape}, eps={self.eps})"


class MLP(Layer):
    """The position-wise feed-forward network of a transformer block: Linear -> GELU -> Linear -> Dropout."""

    def __init__(self, embed_dim, hidden_dim=None, dropout=0.0):
        """fc1 = Linear(embed_dim, hidden_dim), activation = GELU(), fc2 = Linear(hidden_dim, embed_dim),
        dropout = Dropout(dropout). hidden_dim=None means 4 * embed_dim. Keep embed_dim and hidden_dim."""
        hidden_dim = 4 * embed_dim if hidden_dim is None else hidden_dim
        self.embed_dim, self.hidden_dim = embed_dim, hidden_dim
        self.fc1 = Linear(embed_dim, hidden_dim)
        self.activation = GELU()
        self.fc2 = Linear(hidden_dim, embed_dim)
        self.dropout = Dropout(dropout)

    def forward(self, x):
        """x (..., embed_dim) -> (..., embed_dim): dropout(fc2(activation(fc1(x))))."""
        return self.dropout(self.fc2(self.activation(self.fc1(x))))

    def __repr__(self):
        return f"MLP(embed_dim={self.embed_dim}, hidden_dim={self.hidden_dim})"


class TransformerBlock(Layer):
    """Pre-norm transformer block: x + attention(ln1(x)), then + mlp(ln2(x))."""

    def __init__(self, embed_dim, num_heads, mlp_ratio=4, dropout=0.0):
        """ln1 = LayerNorm(embed_dim), attention = MultiHeadAttention(embed_dim, num_heads),
        dropout = Dropout(dropout) (on the attention's output), ln2 = LayerNorm(embed_dim),
        mlp = MLP(embed_dim, mlp_ratio * embed_dim, dropout). Keep embed_dim and num_heads."""
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.ln1 = LayerNorm(embed_dim)
        self.attention = MultiHeadAttention(embed_dim, num_heads)
        self.dropout = Dropout(dropout)
        self.ln2 = LayerNorm(embed_dim)
        self.mlp = MLP(embed_dim, mlp_ratio * embed_dim, dropout)

    def forward(self, x, mask=None):
        """x (B, T, embed_dim) -> (B, T, embed_dim); mask is passed to the attention.

        x = x + dropout(attention(ln1(x), mask)), then x = x + mlp(ln2(x)).
        """
        x = x + self.dropout(self.attention(self.ln1(x), mask))
        x = x + self.mlp(self.ln2(x))
        return x

    def __repr__(self):
        return f"TransformerBlock(embed_dim={self.embed_dim}, num_heads={self.num_heads})"


class GPT(Layer):
    """A decoder-only transformer language model: ids (B, T) -> next-token logits (B, T, vocab_size)."""

    def __init__(self, vocab_size, embed_dim, num_layers, num_heads, max_seq_len, dropout=0.0):
        """Create, in this order: token_embedding = Embedding(vocab_size, embed_dim),
        position_embedding = LearnedPositionalEncoding(max_seq_len, embed_dim),
        dropout = Dropout(dropout), blocks = a list of num_layers TransformerBlock(embed_dim,
        num_heads, dropout=dropout), ln_f = LayerNorm(embed_dim), lm_head = Linear(embed_dim,
        vocab_size). Keep vocab_size, embed_dim, num_layers, num_heads and max_seq_len."""
        self.vocab_size, self.embed_dim, self.num_layers = vocab_size, embed_dim, num_layers
        self.num_heads, self.max_seq_len = num_heads, max_seq_len
        self.token_embedding = Embedding(vocab_size, embed_dim)
        self.position_embedding = LearnedPositionalEncoding(max_seq_len, embed_dim)
        self.dropout = Dropout(dropout)
        self.blocks = [TransformerBlock(embed_dim, num_heads, dropout=dropout) for _ in range(num_layers)]
        self.ln_f = LayerNorm(embed_dim)
        self.lm_head = Linear(embed_dim, vocab_size)

    def forward(self, ids):
        """ids: (B, T) integers (list, numpy array or Tensor), T <= max_seq_len -> logits Tensor (B, T, vocab_size).

        ids = as_token_ids(ids) (module 11); raise ValueError unless ids.ndim == 2. Then
        embeddings + positions, dropout, every block with causal_mask(T), ln_f, lm_head.
        """
        ids = as_token_ids(ids)
        if ids.ndim != 2:
            raise ValueError(f"GPT expects token ids of shape (batch, seq_len), got shape {ids.shape}")
        mask = causal_mask(ids.shape[1])
        x = self.dropout(self.position_embedding(self.token_embedding(ids)))
        for block in self.blocks:
            x = block(x, mask)
        return self.lm_head(self.ln_f(x))

    def loss(self, ids, targets):
        """Mean next-token cross-entropy: CrossEntropyLoss()(logits.reshape(B*T, V), targets.reshape(B*T)).

        ids and targets: (B, T) integers; targets[b, t] is the token that follows ids[b, t].
        Returns the 0-d loss Tensor.
        """
        logits = self.forward(ids)
        return CrossEntropyLoss()(logits.reshape(-1, self.vocab_size), as_token_ids(targets).reshape(-1))

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

    def num_parameters(self):
        """The number of trainable numbers: the sum of the sizes of every parameter."""
        return int(sum(parameter.data.size for parameter in self.parameters()))

    def __repr__(self):
        return (f"GPT(vocab_size={self.vocab_size}, embed_dim={self.embed_dim}, num_layers={self.num_layers}, "
                f"num_heads={self.num_heads}, max_seq_len={self.max_seq_len})")


def sample_next_token(logits, temperature=1.0, top_k=None, rng=None):
    """One token id per row of `logits` (B, V), drawn from softmax(logits / temperature),
    restricted to the top_k largest logits when top_k is given. Returns an int64 array (B,).

    rng: a np.random.Generator (None: a fresh, unseeded one).
    """
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
