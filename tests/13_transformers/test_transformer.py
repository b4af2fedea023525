"""Forward behaviour of tinytorch.core.transformer (module 13): LayerNorm, MLP, blocks, GPT, sampling."""
import numpy as np
import pytest

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import named_parameters
from tinytorch.core.attention import causal_mask
from tinytorch.core.autograd import topological_order
from tinytorch.core.layers import Layer
from tinytorch.core.tensor import Tensor
from tinytorch.core.transformer import GPT, MLP, LayerNorm, TransformerBlock, sample_next_token

RNG = np.random.default_rng(130)


def numpy_layer_norm(x, axes, eps=1e-5):
    return (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)


@pytest.mark.parametrize("shape, normalized", [((4, 6), 6), ((2, 3, 5), (5,)), ((2, 3, 4), (3, 4))])
def test_layer_norm_matches_numpy(shape, normalized):
    x = RNG.standard_normal(shape) * 4 + 2
    norm = LayerNorm(normalized)
    axes = tuple(range(-len(norm.normalized_shape), 0))
    np.testing.assert_allclose(norm(Tensor(x)).data, numpy_layer_norm(x, axes), rtol=1e-10, atol=1e-12)
    assert norm.gamma.shape == norm.beta.shape == norm.normalized_shape


def test_layer_norm_keeps_float32_and_is_independent_of_the_batch():
    x = RNG.standard_normal((5, 7, 8)).astype(np.float32)
    norm = LayerNorm(8)
    y = norm(Tensor(x))
    assert y.dtype == np.float32
    np.testing.assert_allclose(norm(Tensor(x[2:3])).data, y.data[2:3], rtol=1e-6)


def test_layer_norm_is_stable_at_very_small_and_very_large_scales():
    norm = LayerNorm(6)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        constant = norm(Tensor(np.full((2, 6), 3.0)))
        tiny = norm(Tensor(RNG.standard_normal((2, 6)) * 1e-8))
        huge = norm(Tensor(RNG.standard_normal((2, 6)) * 1e8))
    np.testing.assert_array_equal(constant.data, 0.0)
    assert np.abs(tiny.data).max() < 1e-2  # eps dominates: tiny variations stay tiny, not blown up to unit scale
    np.testing.assert_allclose(huge.data.var(axis=-1), 1.0, rtol=1e-6)


def test_layer_norm_rejects_a_wrong_trailing_shape():
    with pytest.raises(ValueError):
        LayerNorm(4)(Tensor(np.zeros((3, 5))))
    with pytest.raises(ValueError):
        LayerNorm((2, 4))(Tensor(np.zeros(4)))


def test_mlp_is_linear_gelu_linear_with_a_four_times_hidden_layer():
    np.random.seed(0)
    mlp = MLP(6)
    assert mlp.fc1.weight.shape == (6, 24) and mlp.fc2.weight.shape == (24, 6)
    x = RNG.standard_normal((3, 6))
    h = x @ mlp.fc1.weight.data + mlp.fc1.bias.data
    gelu = 0.5 * h * (1 + np.tanh(np.sqrt(2 / np.pi) * (h + 0.044715 * h**3)))
    np.testing.assert_allclose(mlp(Tensor(x)).data, gelu @ mlp.fc2.weight.data + mlp.fc2.bias.data, rtol=1e-6)


def test_block_is_pre_norm_and_an_identity_when_its_branches_output_zero():
    np.random.seed(1)
    block = TransformerBlock(8, 2)
    x = Tensor(RNG.standard_normal((2, 4, 8)))
    mask = causal_mask(4)
    middle = x.data + block.attention(block.ln1(x), mask).data
    expected = middle + block.mlp(block.ln2(Tensor(middle))).data
    np.testing.assert_allclose(block(x, mask).data, expected, rtol=1e-6, atol=1e-7)
    for layer in (block.attention.out_proj, block.mlp.fc2):
        layer.weight.data[:] = 0
        layer.bias.data[:] = 0
    np.testing.assert_array_equal(block(x, mask).data, x.data)


def test_gpt_shapes_parameters_and_the_count_formula():
    np.random.seed(2)
    vocab, dim, layers, max_len = 20, 16, 3, 10
    model = GPT(vocab, dim, layers, num_heads=4, max_seq_len=max_len)
    assert model(RNG.integers(0, vocab, size=(2, 7))).shape == (2, 7, vocab)
    per_block = 12 * dim**2 + 13 * dim  # weights, plus biases (4d + 4d + d) and two norms (4d)
    expected = vocab * dim + max_len * dim + layers * per_block + 2 * dim + dim * vocab + vocab
    assert model.num_parameters() == expected
    assert len(model.parameters()) == len(named_parameters(model)) == 2 + 16 * layers + 2 + 2


def test_gpt_is_causal_and_uses_positions():
    np.random.seed(3)
    model = GPT(9, 8, 2, 2, 6)
    ids = RNG.integers(0, 9, size=(2, 6))
    logits = model(ids).data
    for t in range(5):
        changed = ids.copy()
        changed[:, t + 1:] = (changed[:, t + 1:] + 1) % 9
        np.testing.assert_allclose(model(changed).data[:, :t + 1], logits[:, :t + 1], atol=1e-6)
    repeated = model(np.full((1, 6), 4)).data[0]
    assert not np.allclose(repeated[1], repeated[5], atol=1e-4)
    with pytest.raises(ValueError):
        model(RNG.integers(0, 9, size=(1, 7)))
    with pytest.raises(ValueError):
        model(np.arange(3))


def test_gpt_loss_is_the_cross_entropy_of_the_reshaped_logits():
    np.random.seed(4)
    model = GPT(7, 8, 1, 2, 5)
    ids, targets = RNG.integers(0, 7, size=(3, 5)), RNG.integers(0, 7, size=(3, 5))
    logits = model(ids).data.reshape(-1, 7).astype(np.float64)
    shifted = logits - logits.max(-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
    expected = -log_probs[np.arange(15), targets.reshape(-1)].mean()
    np.testing.assert_allclose(model.loss(ids, targets).item(), expected, rtol=1e-5)


def test_sampling_frequencies_follow_temperature_and_top_k():
    row = np.array([1.0, 0.0, 2.0, -1.0])
    logits = np.tile(row, (5000, 1))
    for temperature in (0.5, 1.0, 2.0):
        drawn = sample_next_token(logits, temperature=temperature, rng=np.random.default_rng(0))
        expected = np.exp(row / temperature) / np.exp(row / temperature).sum()
        np.testing.assert_allclose(np.bincount(drawn, minlength=4) / 5000, expected, atol=0.025)
    top2 = sample_next_token(logits, top_k=2, rng=np.random.default_rng(1))
    assert set(np.unique(top2)) == {0, 2}
    batch = RNG.standard_normal((10, 6))
    np.testing.assert_array_equal(sample_next_token(batch, top_k=1), batch.argmax(axis=1))
    for bad in ({"temperature": 0}, {"top_k": 0}):
        with pytest.raises(ValueError):
            sample_next_token(batch, **bad)


def test_generate_is_seeded_greedy_with_top_k_one_and_crops_its_context():
    np.random.seed(5)
    model = GPT(10, 8, 2, 2, 5, dropout=0.2)
    prompt = np.array([[1, 2], [3, 4]])
    first = model.generate(prompt, 8, temperature=0.7, top_k=4, seed=42)
    assert first.shape == (2, 10) and first.dtype == np.int64
    np.testing.assert_array_equal(model.generate(prompt, 8, temperature=0.7, top_k=4, seed=42), first)
    assert model.training  # generate restores the mode it found
    model.eval()
    ids = prompt
    for _ in range(8):
        ids = np.concatenate([ids, model(ids[:, -5:]).data[:, -1].argmax(-1)[:, None]], axis=1)
    np.testing.assert_array_equal(model.generate(prompt, 8, top_k=1), ids)
    assert model.generate(np.array([3]), 4, top_k=1).shape == (5,)


def test_generate_records_no_graph_and_runs_in_eval_mode():
    np.random.seed(6)
    model = GPT(6, 4, 1, 1, 4, dropout=0.5)
    head, seen = model.lm_head, []

    class RecordingHead(Layer):
        def forward(self, x):
            logits = head(x)
            seen.append((logits.grad_fn, x.grad_fn, model.dropout.training))
            return logits

    model.lm_head = RecordingHead()
    model.generate(np.array([[1]]), 3, seed=0)
    assert len(seen) == 3
    assert all(logits_fn is None and input_fn is None for logits_fn, input_fn, _ in seen), "no graph under generate"
    assert not any(training for _, _, training in seen), "dropout off while generating"
    model(np.array([[1, 2]]))
    assert seen[-1][0] is not None, "outside generate the graph is recorded again"


def test_activation_memory_of_attention_grows_with_the_square_of_the_length():
    np.random.seed(7)
    block = TransformerBlock(16, 2)

    def held_bytes(seq_len):
        x = Tensor(np.zeros((1, seq_len, 16), dtype=np.float32), requires_grad=True)
        output = block(x, causal_mask(seq_len))
        # the (B, H, T, T) arrays: raw products, scaled and masked scores, softmax weights
        return sum(t.data.nbytes for t in topological_order(output) if t.data.shape == (1, 2, seq_len, seq_len))

    assert held_bytes(40) == 4 * 1 * 2 * 40 * 40 * 4
    assert held_bytes(80) == 4 * held_bytes(40)
