"""Gradients through attention (module 12), by autograd (module 05), against central differences."""
import numpy as np

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import check_gradient_flow, check_parameter_coverage
from tinytorch.core.attention import MultiHeadAttention, causal_mask, scaled_dot_product_attention
from tinytorch.core.tensor import Tensor

RNG = np.random.default_rng(121)


def tensors(*shapes):
    return [Tensor(RNG.standard_normal(shape), requires_grad=True) for shape in shapes]


def float64_mha(embed_dim, num_heads):
    np.random.seed(0)
    mha = MultiHeadAttention(embed_dim, num_heads)
    for layer in (mha.q_proj, mha.k_proj, mha.v_proj, mha.out_proj):
        layer.weight = Tensor(RNG.standard_normal((embed_dim, embed_dim)) / np.sqrt(embed_dim), requires_grad=True)
        layer.bias = Tensor(RNG.standard_normal(embed_dim) * 0.1, requires_grad=True)
    return mha


def test_attention_without_mask_q_k_v():
    q, k, v = tensors((2, 4, 3), (2, 6, 3), (2, 6, 5))
    up = RNG.standard_normal((2, 4, 5))
    check_gradient_flow(lambda: (scaled_dot_product_attention(q, k, v)[0] * up).sum(), {"Q": q, "K": k, "V": v})


def test_attention_with_random_mask_q_k_v_and_through_the_weights():
    q, k, v = tensors((3, 5, 4), (3, 5, 4), (3, 5, 2))
    allowed = RNG.random((5, 5)) < 0.5
    allowed[np.arange(5), RNG.integers(0, 5, size=5)] = True
    up, up_weights = RNG.standard_normal((3, 5, 2)), RNG.standard_normal((3, 5, 5))
    check_gradient_flow(lambda: (scaled_dot_product_attention(q, k, v, allowed)[0] * up).sum(), {"Q": q, "K": k, "V": v})
    check_gradient_flow(lambda: (scaled_dot_product_attention(q, k, v, allowed)[1] * up_weights).sum(), {"Q": q, "K": k})


def test_keys_and_values_no_query_may_see_get_exactly_zero_gradient():
    q, k, v = tensors((2, 3, 4), (2, 5, 4), (2, 5, 4))
    allowed = np.ones((3, 5), dtype=bool)
    allowed[:, [1, 4]] = False
    scaled_dot_product_attention(q, k, v, allowed)[0].sum().backward()
    assert np.all(v.grad[:, [1, 4]] == 0.0) and np.all(k.grad[:, [1, 4]] == 0.0)
    assert np.all(v.grad[:, [0, 2, 3]] != 0.0)


def test_multi_head_attention_every_parameter_and_the_input():
    mha = float64_mha(8, 2)
    x, = tensors((2, 5, 8))
    up = RNG.standard_normal((2, 5, 8))
    named = check_parameter_coverage(mha)
    assert len(named) == 8
    checked = {name: t for name, t in named.items() if t is not mha.k_proj.bias}
    for mask in (None, causal_mask(5)):
        mha.k_proj.bias.grad = None
        errors = check_gradient_flow(lambda: (mha(x, mask) * up).sum(), {"x": x, **checked})
        assert len(errors) == 8
        # the key bias shifts a query's scores by a constant, which softmax ignores: zero gradient
        assert np.abs(mha.k_proj.bias.grad).max() < 1e-10


def test_causal_multi_head_attention_sends_no_gradient_to_the_future():
    mha = float64_mha(6, 3)
    x, = tensors((2, 6, 6))
    mha(x, causal_mask(6))[:, 3].sum().backward()
    assert np.all(x.grad[:, 4:] == 0.0)
    assert np.all(np.any(x.grad[:, :4] != 0.0, axis=-1))


def test_gradients_accumulate_over_two_backward_calls():
    mha = float64_mha(4, 2)
    x, = tensors((1, 3, 4))
    mha(x).sum().backward()
    first = mha.q_proj.weight.grad.copy()
    mha(x).sum().backward()
    np.testing.assert_allclose(mha.q_proj.weight.grad, 2 * first, rtol=1e-12)
