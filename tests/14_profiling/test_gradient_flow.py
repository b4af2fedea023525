"""Profiling never changes training (module 14): gradients after profiling equal those of an
unprofiled copy and central differences, the gradient memory reported is the bytes of the .grad
arrays, and training after profiling follows exactly the path it follows without."""
import copy

import numpy as np
import pytest

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import check_model_gradients
from tinytorch.core.activations import GELU, Tanh
from tinytorch.core.layers import Linear, Sequential
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.optimizers import SGD, Adam
from tinytorch.core.spatial import AvgPool2d, Conv2d, Flatten
from tinytorch.core.tensor import Tensor
from tinytorch.core.transformer import GPT
from tinytorch.perf.profiling import Profiler, gradient_bytes, optimizer_state_bytes, parameter_bytes


def float64(model, seed):
    rng = np.random.default_rng(seed)
    for p in model.parameters():
        p.data = p.data.astype(np.float64) + 0.1 * rng.standard_normal(p.data.shape)
    return model


def small_cnn(seed):
    np.random.seed(seed)
    return Sequential(Conv2d(2, 3, 3, padding=1), Tanh(), AvgPool2d(2), Flatten(), Linear(12, 5), GELU(), Linear(5, 3))


def profile_everything(model, *inputs):
    profiler = Profiler()
    profiler.profile(model, *inputs)
    profiler.flops(model, *inputs)
    profiler.memory(model, *inputs)
    profiler.latency(lambda: model(*inputs), warmup=1, repeats=2)


def gradients(model, loss_fn):
    for p in model.parameters():
        p.zero_grad()
    loss_fn(model).backward()
    return [p.grad.copy() for p in model.parameters()]


def test_cnn_gradients_after_profiling_equal_an_unprofiled_copy_and_central_differences():
    model = float64(small_cnn(141), 141)
    twin = copy.deepcopy(model)
    rng = np.random.default_rng(141)
    x = Tensor(rng.standard_normal((3, 2, 4, 4)), requires_grad=True)
    targets = rng.integers(0, 3, size=3)
    profile_everything(model, x)
    assert x.grad is None and all(p.grad is None for p in model.parameters()), "profiling computed gradients"
    loss_fn = lambda m: CrossEntropyLoss()(m(x), targets)  # noqa: E731
    for profiled, plain in zip(gradients(model, loss_fn), gradients(twin, loss_fn)):
        np.testing.assert_array_equal(profiled, plain)
    check_model_gradients(model, lambda: loss_fn(model), inputs={"x": x})


def test_gpt_gradients_after_profiling_match_central_differences():
    np.random.seed(142)
    gpt = float64(GPT(vocab_size=7, embed_dim=6, num_layers=2, num_heads=2, max_seq_len=5), 142)
    twin = copy.deepcopy(gpt)
    rng = np.random.default_rng(142)
    ids, targets = rng.integers(0, 7, size=(2, 5)), rng.integers(0, 7, size=(2, 5))
    profile_everything(gpt, ids)
    loss_fn = lambda m: m.loss(ids, targets)  # noqa: E731
    for profiled, plain in zip(gradients(gpt, loss_fn), gradients(twin, loss_fn)):
        np.testing.assert_array_equal(profiled, plain)
    key_biases = tuple(f"GPT.blocks.{i}.attention.k_proj.bias" for i in range(2))
    check_model_gradients(gpt, lambda: loss_fn(gpt), max_entries=8, zero_gradients=key_biases)


def test_reported_gradient_memory_is_the_bytes_of_the_grad_arrays():
    model = small_cnn(143)
    x = Tensor(np.random.default_rng(143).standard_normal((4, 2, 4, 4)).astype(np.float32))
    profiler = Profiler()
    assert profiler.memory(model)["gradients"] == 0
    CrossEntropyLoss()(model(x), np.array([0, 1, 2, 0])).backward()
    grads = sum(p.grad.nbytes for p in model.parameters())
    assert profiler.memory(model)["gradients"] == gradient_bytes(model) == grads == parameter_bytes(model)
    model.layers[0].weight.zero_grad()
    assert gradient_bytes(model) == grads - model.layers[0].weight.data.nbytes


@pytest.mark.parametrize("make_optimizer, buffers", [
    (lambda params: SGD(params, lr=0.05), 0),
    (lambda params: SGD(params, lr=0.05, momentum=0.9), 1),
    (lambda params: Adam(params, lr=0.01), 2),
])
def test_training_after_profiling_follows_the_same_path(make_optimizer, buffers):
    rng = np.random.default_rng(144)
    x = Tensor(rng.standard_normal((8, 2, 4, 4)).astype(np.float32))
    targets = rng.integers(0, 3, size=8)
    histories, models = [], []
    for profile_it in (True, False):
        model = small_cnn(144)
        optimizer = make_optimizer(model.parameters())
        history = []
        for step in range(5):
            if profile_it:
                profile_everything(model, x)  # between steps: before the forward of the next one
            optimizer.zero_grad()
            loss = CrossEntropyLoss()(model(x), targets)
            loss.backward()
            if profile_it:
                profile_everything(model, x)  # between backward and step: must not touch .grad
            optimizer.step()
            history.append(loss.item())
        assert optimizer_state_bytes(optimizer) == buffers * parameter_bytes(model) == optimizer.state_bytes()
        histories.append(history)
        models.append(model)
    assert histories[0] == histories[1]
    for profiled, plain in zip(models[0].parameters(), models[1].parameters()):
        np.testing.assert_array_equal(profiled.data, plain.data)
