"""Module 19 with modules 01-08 and 16-18: measuring must not change what is measured, and the
whole stack trains, compresses and is compared end to end through the benchmark harness."""
import copy

import numpy as np

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
from autograder.gradcheck import check_model_gradients
from tinytorch.core.activations import GELU
from tinytorch.core.dataloader import DataLoader, TensorDataset, load_digits, train_test_split
from tinytorch.core.layers import Linear, Sequential
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.optimizers import SGD, Adam
from tinytorch.core.tensor import Tensor
from tinytorch.core.training import Trainer
from tinytorch.perf.acceleration import FusedLinearGELU, fuse_linear_gelu
from tinytorch.perf.benchmarking import Benchmark, BenchmarkSuite, compare_models, comparison_table, model_size_bytes
from tinytorch.perf.compression import MaskedOptimizer, magnitude_prune, prunable_weights, sparsity
from tinytorch.perf.quantization import quantize_model


def float64_mlp(seed):
    np.random.seed(seed)
    model = Sequential(Linear(6, 8), GELU(), Linear(8, 4))
    for p in model.parameters():
        p.data = p.data.astype(np.float64)
    return model


def test_benchmarking_a_gradient_step_leaves_the_gradients_of_an_unbenchmarked_step():
    model = float64_mlp(190)
    twin = copy.deepcopy(model)
    rng = np.random.default_rng(190)
    x = Tensor(rng.standard_normal((9, 6)), requires_grad=True)
    targets = rng.integers(0, 4, size=9)
    loss_fn = CrossEntropyLoss()

    def gradient_step(net):
        for p in net.parameters():
            p.zero_grad()
        x.zero_grad()
        loss_fn(net(x), targets).backward()

    gradient_step(twin)
    twin_grads = [p.grad.copy() for p in twin.parameters()]
    twin_x_grad = x.grad.copy()
    result = Benchmark("step", lambda: gradient_step(model), warmup=3, repeats=10).run()
    assert len(result) == 10 and result.min > 0
    for measured, plain in zip(model.parameters(), twin_grads):
        np.testing.assert_array_equal(measured.grad, plain)
        assert np.any(measured.grad != 0)
    np.testing.assert_array_equal(x.grad, twin_x_grad)
    check_model_gradients(model, lambda: loss_fn(model(x), targets), inputs={"x": x}, max_entries=12)


def test_benchmarking_whole_training_steps_trains_exactly_like_plain_steps():
    model, twin = float64_mlp(191), float64_mlp(191)
    rng = np.random.default_rng(191)
    x, targets = Tensor(rng.standard_normal((16, 6))), rng.integers(0, 4, size=16)
    loss_fn = CrossEntropyLoss()

    def training_step(net, optimizer):
        optimizer.zero_grad()
        loss_fn(net(x), targets).backward()
        optimizer.step()

    measured_optimizer, plain_optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9), SGD(twin.parameters(), lr=0.1, momentum=0.9)
    Benchmark("train", lambda: training_step(model, measured_optimizer), warmup=2, repeats=8).run()
    for _ in range(10):                      # the benchmark made 2 + 8 steps
        training_step(twin, plain_optimizer)
    for measured, plain in zip(model.parameters(), twin.parameters()):
        np.testing.assert_array_equal(measured.data, plain.data)
        np.testing.assert_array_equal(measured.grad, plain.grad)


def test_compare_models_leaves_parameters_gradients_and_mode_untouched():
    model = float64_mlp(192)
    x = Tensor(np.random.default_rng(192).standard_normal((5, 6)))
    loss = CrossEntropyLoss()(model(x), np.array([0, 1, 2, 3, 0]))
    loss.backward()
    before = [(p.data.copy(), p.grad.copy()) for p in model.parameters()]
    compare_models({"m": model}, x, np.zeros(5, dtype=int), warmup=1, repeats=3)
    for p, (data, grad) in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.data, data)
        np.testing.assert_array_equal(p.grad, grad)
    assert model.training


def test_digits_baseline_and_its_optimised_versions_through_the_harness():
    images, labels = load_digits()
    features = images.reshape(len(images), -1).astype(np.float32) / 16.0
    x_train, x_test, y_train, y_test = train_test_split(features, labels, test_fraction=0.2, seed=1)
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True, seed=1)
    np.random.seed(1)
    baseline = Sequential(Linear(64, 96), GELU(), Linear(96, 10))
    Trainer(baseline, Adam(baseline.parameters(), lr=0.005), CrossEntropyLoss()).fit(loader, epochs=6, progress=False)

    pruned = copy.deepcopy(baseline)
    masks = magnitude_prune(pruned, 0.75)
    optimizer = MaskedOptimizer(Adam(pruned.parameters(), lr=0.002), prunable_weights(pruned), masks)
    Trainer(pruned, optimizer, CrossEntropyLoss()).fit(loader, epochs=2, progress=False)
    fused = fuse_linear_gelu(baseline)
    assert isinstance(fused.layers[0], FusedLinearGELU)
    models = {"baseline": baseline, "int8": quantize_model(baseline, calibration_batches=[x_train[:256]]),
              "pruned": pruned, "fused": fused}

    reports = compare_models(models, x_test, y_test, warmup=2, repeats=10)
    base = reports["baseline"]
    assert base.accuracy > 0.93, base
    assert base.nbytes == 4 * (64 * 96 + 96 + 96 * 10 + 10)
    assert reports["int8"].nbytes < 0.3 * base.nbytes and reports["int8"].accuracy > base.accuracy - 0.03
    assert reports["pruned"].nbytes == base.nbytes and abs(sparsity(pruned) - 0.75) < 1e-3
    assert reports["pruned"].accuracy > base.accuracy - 0.05
    assert abs(reports["fused"].accuracy - base.accuracy) < 1e-12
    assert len(comparison_table(reports, baseline="baseline").splitlines()) == 2 + len(models)

    # The same models through a suite: forward passes timed, every result well formed.
    suite = BenchmarkSuite(warmup=2, repeats=10)
    batch = Tensor(x_test[:64])
    for name, model in models.items():
        suite.add(name, lambda model=model: model(batch))
    results = suite.run()
    for name, result in results.items():
        low, high = result.confidence_interval()
        assert 0 < result.min <= low <= result.median <= high <= result.max, name
    assert "speedup vs baseline" in suite.table(baseline="baseline")
    assert model_size_bytes(fused) == base.nbytes
