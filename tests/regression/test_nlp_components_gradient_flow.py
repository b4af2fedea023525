"""The NLP stack end to end, component by component: token ids -> embeddings -> positional
encodings -> attention -> a full GPT. Gradients checked against central differences at each stage.

Token ids come from module 10's CharTokenizer, so the ids that train the GPT below are the
ones a student's tokenizer produces.
"""
import numpy as np

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import check_gradient_flow, check_model_gradients
from tinytorch.core.attention import MultiHeadAttention, causal_mask
from tinytorch.core.layers import Layer, Linear
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.tensor import Tensor
from tinytorch.core.transformer import GPT, LayerNorm, TransformerBlock
from tinytorch.text.tokenization import CharTokenizer
from tinytorch.text.embeddings import Embedding, LearnedPositionalEncoding, PositionalEncoding

TEXT = "a rose is a rose is a rose"
TOKENIZER = CharTokenizer.from_corpus(TEXT)
VOCAB_SIZE = TOKENIZER.vocab_size
RNG = np.random.default_rng(1310)


def encode(text):
    return np.array(TOKENIZER.encode(text), dtype=np.int64)


def decode(ids):
    return TOKENIZER.decode([int(i) for i in ids])


def float64(model, noise=0.2):
    for p in model.parameters():
        p.data = p.data.astype(np.float64) + noise * RNG.standard_normal(p.shape)
    return model


def test_tokenization_round_trip_and_next_token_targets():
    ids = encode(TEXT)
    assert ids.dtype == np.int64 and decode(ids) == TEXT
    inputs, targets = ids[:-1], ids[1:]
    assert decode(targets) == TEXT[1:] and len(inputs) == len(targets)


def test_embedding_gradient_adds_up_repeated_tokens():
    np.random.seed(0)
    embedding = float64(Embedding(VOCAB_SIZE, 4))
    ids = encode("a rose is a rose")
    up = RNG.standard_normal((len(ids), 4))
    check_gradient_flow(lambda: (embedding(ids) * up).sum(), {"weight": embedding.weight})
    embedding.weight.grad = None
    (embedding(ids) * up).sum().backward()
    a = TOKENIZER.token_to_id["a"]
    np.testing.assert_allclose(embedding.weight.grad[a], up[ids == a].sum(axis=0), rtol=1e-12)


def test_positional_encodings_pass_gradients():
    x = Tensor(RNG.standard_normal((2, 5, 6)), requires_grad=True)
    up = RNG.standard_normal((2, 5, 6))
    sinusoidal = PositionalEncoding(8, 6)
    check_gradient_flow(lambda: (sinusoidal(x) * up).sum(), {"x": x})
    np.random.seed(1)
    learned = float64(LearnedPositionalEncoding(8, 6))
    check_gradient_flow(lambda: (learned(x) * up).sum(), {"x": x, "table": learned.weight})
    assert np.all(learned.weight.grad[5:] == 0.0), "positions beyond the sequence get no gradient"


class TinyLanguageModel(Layer):
    """Embedding + positions -> LayerNorm -> MultiHeadAttention (causal) -> Linear to the vocabulary."""

    def __init__(self, vocab, dim, heads, max_len):
        self.embedding = Embedding(vocab, dim)
        self.positions = LearnedPositionalEncoding(max_len, dim)
        self.norm = LayerNorm(dim)
        self.attention = MultiHeadAttention(dim, heads)
        self.head = Linear(dim, vocab)

    def forward(self, ids):
        x = self.positions(self.embedding(ids))
        return self.head(self.attention(self.norm(x), causal_mask(ids.shape[-1])))


def test_embeddings_positions_attention_and_head_together():
    np.random.seed(2)
    model = float64(TinyLanguageModel(VOCAB_SIZE, 6, 2, 12))
    ids = np.stack([encode("a rose is a"), encode("rose is a r")])
    inputs, targets = ids[:, :-1], ids[:, 1:]
    check_model_gradients(
        model, lambda: CrossEntropyLoss()(model(inputs).reshape(-1, VOCAB_SIZE), targets.reshape(-1)),
        max_entries=6, zero_gradients=("TinyLanguageModel.attention.k_proj.bias",))


def test_transformer_block_on_embedded_text():
    np.random.seed(3)
    embedding = float64(Embedding(VOCAB_SIZE, 8))
    block = float64(TransformerBlock(8, 2))
    ids = encode("is a rose")[None, :]
    up = RNG.standard_normal((1, ids.shape[1], 8))
    check_gradient_flow(lambda: (block(embedding(ids), causal_mask(ids.shape[1])) * up).sum(),
                        {"embedding": embedding.weight, "fc1": block.mlp.fc1.weight, "ln1.gamma": block.ln1.gamma})


def test_full_gpt_on_text_and_training_lowers_the_loss():
    np.random.seed(4)
    model = float64(GPT(VOCAB_SIZE, 6, 1, 2, 10))
    ids = encode(TEXT[:11])[None, :]
    check_model_gradients(model, lambda: model.loss(ids[:, :-1], ids[:, 1:]), max_entries=3,
                          zero_gradients=("GPT.blocks.0.attention.k_proj.bias",))
    np.random.seed(5)
    model = GPT(VOCAB_SIZE, 16, 1, 2, 10)
    from tinytorch.core.optimizers import Adam
    optimizer = Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(30):
        optimizer.zero_grad()
        loss = model.loss(ids[:, :-1], ids[:, 1:])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], losses
