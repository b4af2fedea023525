"""Module 15's cache is for inference only: cached generation records no graph and leaves no
gradient, and right after it the model's gradients still match central differences."""
import numpy as np

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import check_model_gradients
from tinytorch.core.autograd import GradMode
from tinytorch.core.transformer import GPT
from tinytorch.perf.memoization import cache_for, cached_forward, generate_cached


def float64_gpt(seed, num_layers=2):
    np.random.seed(seed)
    model = GPT(vocab_size=7, embed_dim=8, num_layers=num_layers, num_heads=2, max_seq_len=6)
    rng = np.random.default_rng(seed)
    for p in model.parameters():  # move LayerNorms off ones and zeros: a stricter check
        p.data = p.data.astype(np.float64) + 0.1 * rng.standard_normal(p.data.shape)
    return model


def test_cached_forward_records_no_graph_even_with_gradients_on():
    model = float64_gpt(150)
    assert GradMode.enabled
    cache = cache_for(model, 2)
    logits = cached_forward(model, np.array([[1, 2, 3], [4, 5, 6]]), cache)
    step = cached_forward(model, np.array([[0], [1]]), cache)
    for out in (logits, step):
        assert out.grad_fn is None and not out.requires_grad
    assert GradMode.enabled, "cached_forward must switch gradients back on when it returns"
    assert all(p.grad is None for p in model.parameters())


def test_cached_generation_leaves_no_gradient_and_no_mode_change():
    model = float64_gpt(151)
    model.train()
    generate_cached(model, np.array([[1, 2]]), 9, seed=0)  # slides past max_seq_len 6
    assert model.training and GradMode.enabled
    assert all(p.grad is None for p in model.parameters())


def test_gradients_match_central_differences_right_after_cached_generation():
    model = float64_gpt(152)
    generate_cached(model, np.array([[3, 1, 4]]), 5, temperature=0.8, seed=1)
    rng = np.random.default_rng(152)
    ids, targets = rng.integers(0, 7, size=(2, 5)), rng.integers(0, 7, size=(2, 5))
    check_model_gradients(
        model, lambda: model.loss(ids, targets), max_entries=6,
        zero_gradients=[f"GPT.blocks.{i}.attention.k_proj.bias" for i in range(2)],
    )


def test_cached_and_full_logits_agree_after_a_gradient_step_changed_the_weights():
    model = float64_gpt(153, num_layers=1)
    rng = np.random.default_rng(153)
    ids = rng.integers(0, 7, size=(1, 6))
    model.loss(ids, rng.integers(0, 7, size=(1, 6))).backward()
    for p in model.parameters():
        p.data -= 0.1 * p.grad
    cache = cache_for(model, 1)
    steps = np.concatenate([cached_forward(model, ids[:, i:i + 1], cache).data for i in range(6)], axis=1)
    np.testing.assert_allclose(steps, model(ids).data, rtol=1e-9, atol=1e-11)
