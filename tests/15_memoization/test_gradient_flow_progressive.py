"""Module 15 with modules 01-13: a GPT trained for a few steps with Adam generates exactly the
same text with the KV cache as without it, and trains on as before after cached generation."""
import numpy as np

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from tinytorch.core.optimizers import Adam
from tinytorch.core.training import diagnose_gradients
from tinytorch.core.transformer import GPT
from tinytorch.perf.memoization import generate_cached

TEXT = "abcdefghij klmnop. " * 8
VOCAB = sorted(set(TEXT))
DATA = np.array([VOCAB.index(c) for c in TEXT])
SEQ_LEN = 10


def batch(rng, size=8):
    starts = rng.integers(0, len(DATA) - SEQ_LEN - 1, size=size)
    return (np.stack([DATA[s:s + SEQ_LEN] for s in starts]), np.stack([DATA[s + 1:s + SEQ_LEN + 1] for s in starts]))


def train(model, optimizer, rng, steps):
    losses = []
    for _ in range(steps):
        inputs, targets = batch(rng)
        optimizer.zero_grad()
        loss = model.loss(inputs, targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def test_trained_gpt_generates_the_same_text_with_and_without_the_cache_and_keeps_training():
    np.random.seed(155)
    rng = np.random.default_rng(155)
    model = GPT(len(VOCAB), 24, 2, 4, SEQ_LEN)
    optimizer = Adam(model.parameters(), lr=1e-2)
    losses = train(model, optimizer, rng, 40)
    assert np.mean(losses[-5:]) < 0.5 * losses[0], losses[::5]
    prompt = np.stack([DATA[:3], DATA[5:8]])
    for options in ({"top_k": 1}, {"temperature": 0.8, "seed": 0}, {"top_k": 3, "seed": 1}):
        cached = generate_cached(model, prompt, 25, **options)  # past the 10-token window
        np.testing.assert_array_equal(cached, model.generate(prompt, 25, **options), err_msg=str(options))
    greedy = "".join(VOCAB[i] for i in generate_cached(model, DATA[:4], 12, top_k=1))
    assert "efgh" in greedy, greedy
    more = train(model, optimizer, rng, 10)
    assert np.mean(more) < np.mean(losses[:5])
    inputs, targets = batch(rng)
    optimizer.zero_grad()
    model.loss(inputs, targets).backward()
    report = diagnose_gradients(model)
    assert report.healthy, str(report)
