"""Module 12 with modules 01-05: a tiny attention model learns to copy the previous token."""
import numpy as np

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import check_gradient_flow, check_parameter_coverage
from tinytorch.core.activations import Tanh
from tinytorch.core.attention import MultiHeadAttention, causal_mask
from tinytorch.core.autograd import no_grad
from tinytorch.core.layers import Layer, Linear
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.tensor import Tensor

VOCAB, SEQ_LEN, FEATURES = 4, 6, 12


def previous_token_batch(rng, batch_size):
    tokens = rng.integers(0, VOCAB, size=(batch_size, SEQ_LEN))
    x = np.zeros((batch_size, SEQ_LEN, FEATURES), dtype=np.float32)
    x[np.arange(batch_size)[:, None], np.arange(SEQ_LEN), tokens] = 1.0
    x[:, np.arange(SEQ_LEN), VOCAB + np.arange(SEQ_LEN)] = 1.0
    return x, np.concatenate([tokens[:, :1], tokens[:, :-1]], axis=1)


class TinyAttentionModel(Layer):
    """MultiHeadAttention -> Tanh -> Linear readout to token logits."""

    def __init__(self):
        self.attention = MultiHeadAttention(FEATURES, 2)
        self.activation = Tanh()
        self.readout = Linear(FEATURES, VOCAB)

    def forward(self, x):
        return self.readout(self.activation(self.attention(x, causal_mask(x.shape[1]))))


def test_tiny_attention_model_learns_the_previous_token():
    np.random.seed(12)
    rng = np.random.default_rng(12)
    model = TinyAttentionModel()
    assert len(model.parameters()) == 10
    loss_fn, losses = CrossEntropyLoss(), []
    for _ in range(250):
        x, targets = previous_token_batch(rng, 32)
        for p in model.parameters():
            p.zero_grad()
        loss = loss_fn(model(Tensor(x)).reshape(-1, VOCAB), targets.reshape(-1))
        loss.backward()
        with no_grad():
            for p in model.parameters():
                p.data -= 1.0 * p.grad
        losses.append(loss.item())
    assert np.mean(losses[-10:]) < 0.2 * losses[0], (losses[0], losses[-10:])
    x, targets = previous_token_batch(rng, 64)
    accuracy = np.mean(model(Tensor(x)).data.argmax(axis=-1) == targets)
    assert accuracy > 0.9, accuracy
    weights = model.attention.attention_weights
    previous = weights[:, :, np.arange(1, SEQ_LEN), np.arange(SEQ_LEN - 1)].mean(axis=(0, 2))
    assert previous.max() > 0.5, previous


def test_whole_stack_gradients_reach_the_attention_projections():
    rng = np.random.default_rng(13)
    np.random.seed(13)
    model = TinyAttentionModel()
    for layer in (model.attention.q_proj, model.attention.k_proj, model.attention.v_proj,
                  model.attention.out_proj, model.readout):
        layer.weight = Tensor(rng.standard_normal(layer.weight.shape) * 0.4, requires_grad=True)
        layer.bias = Tensor(rng.standard_normal(layer.bias.shape) * 0.1, requires_grad=True)
    x = Tensor(rng.standard_normal((2, SEQ_LEN, FEATURES)), requires_grad=True)
    targets = rng.integers(0, VOCAB, size=2 * SEQ_LEN)
    named = check_parameter_coverage(model)
    checked = {name: t for name, t in named.items() if t is not model.attention.k_proj.bias}
    check_gradient_flow(lambda: CrossEntropyLoss()(model(x).reshape(-1, VOCAB), targets), {"x": x, **checked},
                        max_entries=10)
