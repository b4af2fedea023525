"""Gradients through the transformer (module 13) by autograd, against central differences:
MultiHeadAttention, LayerNorm, MLP, the block, the full GPT, and what the causal mask does to them."""
import numpy as np
import pytest

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import GradientCheckError, check_gradient_flow, check_model_gradients
from tinytorch.core.attention import MultiHeadAttention, causal_mask
from tinytorch.core.tensor import Tensor
from tinytorch.core.transformer import GPT, MLP, LayerNorm, TransformerBlock

RNG = np.random.default_rng(131)


def float64(model, noise=0.2):
    for p in model.parameters():
        p.data = p.data.astype(np.float64) + noise * RNG.standard_normal(p.shape)
    return model


def test_multi_head_attention_every_projection():
    np.random.seed(0)
    mha = float64(MultiHeadAttention(6, 3))
    x = Tensor(RNG.standard_normal((2, 4, 6)), requires_grad=True)
    up = RNG.standard_normal((2, 4, 6))
    check_model_gradients(mha, lambda: (mha(x, causal_mask(4)) * up).sum(), inputs={"x": x},
                          zero_gradients=("MultiHeadAttention.k_proj.bias",))


@pytest.mark.parametrize("normalized", [5, (2, 5)])
def test_layer_norm_x_gamma_beta(normalized):
    norm = float64(LayerNorm(normalized), noise=0.5)
    x = Tensor(RNG.standard_normal((3, 2, 5)) * 2, requires_grad=True)
    up = RNG.standard_normal((3, 2, 5))
    check_gradient_flow(lambda: (norm(x) * up).sum(), {"x": x, "gamma": norm.gamma, "beta": norm.beta})


def test_layer_norm_gradient_is_orthogonal_to_shifts_of_the_input():
    # LN(x + c) = LN(x): the gradient with respect to each token sums to zero over its features
    norm = float64(LayerNorm(7))
    x = Tensor(RNG.standard_normal((4, 7)), requires_grad=True)
    (norm(x) * RNG.standard_normal((4, 7))).sum().backward()
    np.testing.assert_allclose(x.grad.sum(axis=-1), 0.0, atol=1e-12)


def test_mlp_every_parameter():
    np.random.seed(1)
    mlp = float64(MLP(4, 6))
    x = Tensor(RNG.standard_normal((2, 3, 4)), requires_grad=True)
    up = RNG.standard_normal((2, 3, 4))
    check_model_gradients(mlp, lambda: (mlp(x) * up).sum(), inputs={"x": x})


def test_transformer_block_every_parameter():
    np.random.seed(2)
    block = float64(TransformerBlock(6, 2, mlp_ratio=2))
    x = Tensor(RNG.standard_normal((2, 4, 6)), requires_grad=True)
    up = RNG.standard_normal((2, 4, 6))
    check_model_gradients(block, lambda: (block(x, causal_mask(4)) * up).sum(), inputs={"x": x}, max_entries=8,
                          zero_gradients=("TransformerBlock.attention.k_proj.bias",))


def test_the_key_bias_gets_a_zero_gradient_and_a_check_that_expects_more_fails():
    # softmax ignores a constant added to a whole row of scores: the key bias cannot matter
    np.random.seed(3)
    block = float64(TransformerBlock(4, 2))
    x = Tensor(RNG.standard_normal((1, 3, 4)))
    up = RNG.standard_normal((1, 3, 4))
    block(x, causal_mask(3)).backward(up)
    assert np.abs(block.attention.k_proj.bias.grad).max() < 1e-12 * np.abs(block.attention.q_proj.bias.grad).max()
    with pytest.raises(GradientCheckError, match="k_proj.bias"):
        check_model_gradients(block, lambda: (block(x, causal_mask(3)) * up).sum(), max_entries=2)


def test_full_gpt_every_parameter_by_central_differences():
    np.random.seed(4)
    model = float64(GPT(vocab_size=6, embed_dim=6, num_layers=2, num_heads=2, max_seq_len=5))
    ids, targets = RNG.integers(0, 6, size=(2, 5)), RNG.integers(0, 6, size=(2, 5))
    errors = check_model_gradients(model, lambda: model.loss(ids, targets), max_entries=4,
                                   zero_gradients=[f"GPT.blocks.{i}.attention.k_proj.bias" for i in range(2)])
    assert len(errors) == len(model.parameters()) == 38


def test_causal_mask_no_gradient_reaches_the_future():
    np.random.seed(5)
    model = float64(GPT(vocab_size=8, embed_dim=8, num_layers=2, num_heads=2, max_seq_len=6))
    ids = np.array([[0, 1, 2, 3, 4, 5]])  # every token once: embedding row v is position v's input
    logits = model(ids)
    logits[:, :3].sum().backward()
    grad = model.token_embedding.weight.grad
    assert np.all(grad[3:6] == 0.0), "tokens at positions 3..5 must not influence logits 0..2"
    assert np.all(np.any(grad[:3] != 0.0, axis=-1))
    assert np.all(grad[6:] == 0.0)  # tokens not in the input
    assert np.all(model.position_embedding.weight.grad[3:] == 0.0)


def test_gradients_accumulate_and_reset():
    np.random.seed(6)
    model = GPT(5, 4, 1, 2, 4)
    ids, targets = RNG.integers(0, 5, size=(2, 4)), RNG.integers(0, 5, size=(2, 4))
    model.loss(ids, targets).backward()
    first = model.blocks[0].mlp.fc1.weight.grad.copy()
    model.loss(ids, targets).backward()
    np.testing.assert_allclose(model.blocks[0].mlp.fc1.weight.grad, 2 * first, rtol=1e-5)
    for p in model.parameters():
        p.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_deep_pre_norm_stack_passes_gradient_to_its_first_block():
    # the residual stream carries the gradient through 12 blocks without vanishing or exploding
    np.random.seed(7)
    model = GPT(vocab_size=10, embed_dim=16, num_layers=12, num_heads=2, max_seq_len=8)
    ids, targets = RNG.integers(0, 10, size=(2, 8)), RNG.integers(0, 10, size=(2, 8))
    model.loss(ids, targets).backward()
    first = np.linalg.norm(model.blocks[0].mlp.fc1.weight.grad)
    last = np.linalg.norm(model.blocks[-1].mlp.fc1.weight.grad)
    assert np.isfinite(first) and 0.05 < first / last < 20, (first, last)
