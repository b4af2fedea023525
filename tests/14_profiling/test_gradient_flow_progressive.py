"""Module 14 with modules 01-13: the profiler on the CNN and GPT built earlier. Counts and FLOPs
follow the closed forms, the whole stack still trains after profiling, and generation is the
same before and after."""
import numpy as np

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import check_gradient_flow
from tinytorch.core.activations import ReLU
from tinytorch.core.dataloader import load_digits
from tinytorch.core.layers import Linear, Sequential
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.optimizers import Adam
from tinytorch.core.spatial import Conv2d, Flatten, MaxPool2d
from tinytorch.core.tensor import Tensor
from tinytorch.core.transformer import GPT
from tinytorch.perf.profiling import Profiler, attention_flops, conv2d_flops, linear_flops


def test_gpt_flops_by_type_follow_the_closed_forms():
    np.random.seed(145)
    vocab, dim, layers, heads, batch, seq_len = 23, 16, 3, 4, 2, 9
    gpt = GPT(vocab, dim, layers, heads, max_seq_len=12)
    ids = np.random.default_rng(145).integers(0, vocab, size=(batch, seq_len))
    flops = Profiler().flops(gpt, ids)
    tokens = batch * seq_len
    assert flops["MultiHeadAttention"] == layers * sum(attention_flops(batch, seq_len, dim, heads).values())
    mlp = linear_flops((tokens, dim), dim, 4 * dim) + linear_flops((tokens, 4 * dim), 4 * dim, dim)
    assert flops["Linear"] == layers * mlp + linear_flops((tokens, dim), dim, vocab)
    assert flops["GELU"] == 13 * layers * tokens * 4 * dim
    assert flops["LayerNorm"] == 7 * (2 * layers + 1) * tokens * dim
    assert flops["Embedding"] == 0 and flops["LearnedPositionalEncoding"] == tokens * dim
    # the "2 FLOPs per parameter per token" rule: the weight matrices' share is exactly that
    matrices = layers * 12 * dim * dim + dim * vocab
    matrix_flops = layers * (attention_flops(batch, seq_len, dim, heads)["projections"] + mlp) \
        + linear_flops((tokens, dim), dim, vocab)
    biases = layers * (4 * dim + 4 * dim + dim) + vocab
    assert matrix_flops == 2 * matrices * tokens + biases * tokens


def test_digit_cnn_profile_trains_after_profiling():
    images, labels = load_digits()
    x = Tensor((images[:64, None] / 16.0).astype(np.float32))
    targets = labels[:64]
    np.random.seed(146)
    cnn = Sequential(Conv2d(1, 6, 3, padding=1), ReLU(), MaxPool2d(2), Flatten(), Linear(6 * 4 * 4, 10))
    rows = Profiler().profile(cnn, x)
    assert rows[0]["flops"] == conv2d_flops((64, 6, 8, 8), 1, 3)
    assert rows[-1]["flops"] == linear_flops((64, 96), 96, 10)
    assert sum(r["params"] for r in rows) == sum(p.data.size for p in cnn.parameters())
    optimizer = Adam(cnn.parameters(), lr=0.01)
    losses = []
    for _ in range(40):
        optimizer.zero_grad()
        loss = CrossEntropyLoss()(cnn(x), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        Profiler().profile(cnn, x, warmup=0)
    assert losses[-1] < 0.5 * losses[0], losses[::10]


def test_gradients_flow_to_the_first_layer_after_profiling():
    np.random.seed(147)
    cnn = Sequential(Conv2d(1, 2, 3, padding=1), ReLU(), Flatten(), Linear(2 * 4 * 4, 3))
    for p in cnn.parameters():
        p.data = p.data.astype(np.float64)
    rng = np.random.default_rng(147)
    x = Tensor(rng.standard_normal((2, 1, 4, 4)), requires_grad=True)
    Profiler().profile(cnn, x)
    targets = rng.integers(0, 3, size=2)
    first = cnn.layers[0]
    check_gradient_flow(lambda: CrossEntropyLoss()(cnn(x), targets),
                        {"x": x, "conv.weight": first.weight, "conv.bias": first.bias}, check_values=False)


def test_generation_is_unchanged_by_profiling():
    np.random.seed(148)
    gpt = GPT(vocab_size=11, embed_dim=8, num_layers=1, num_heads=2, max_seq_len=6)
    prompt = np.array([1, 2, 3])
    before = gpt.generate(prompt, 5, seed=0)
    Profiler().profile(gpt, prompt[None, :])
    np.testing.assert_array_equal(gpt.generate(prompt, 5, seed=0), before)
