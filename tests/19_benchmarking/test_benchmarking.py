"""tinytorch.perf.benchmarking (module 19): exact timings with a fake clock, statistics against
numpy, deterministic bootstrap intervals, speed-ups, suites and model comparisons."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinytorch.core.autograd  # noqa: F401  (switches gradients on)
import tinytorch.perf.benchmarking as benchmarking
from tinytorch.core.activations import GELU, ReLU
from tinytorch.core.layers import Dropout, Layer, Linear, Sequential
from tinytorch.core.tensor import Tensor
from tinytorch.perf.acceleration import fuse_linear_gelu
from tinytorch.perf.benchmarking import (
    Benchmark, BenchmarkResult, BenchmarkSuite, ModelReport, SpeedupEstimate, bootstrap_medians, compare_models,
    comparison_table, inference, model_size_bytes, percentile, speedup,
)
from tinytorch.perf.quantization import QuantizedLinear, quantize_model

RNG = np.random.default_rng(190)


class FakeClock:
    def __init__(self, start=0.0):
        self.now, self.reads = start, 0

    def __call__(self):
        self.reads += 1
        return self.now

    def advance(self, seconds):
        self.now += seconds


class Delay(Layer):
    def __init__(self, clock, cost):
        self.clock, self.cost = clock, cost

    def forward(self, x):
        self.clock.advance(self.cost)
        return x


def scripted(clock, costs):
    costs = iter(costs)
    return lambda: clock.advance(next(costs))


@pytest.mark.parametrize("warmup,repeats", [(0, 1), (1, 1), (3, 5), (5, 40)])
def test_warm_up_calls_are_made_but_not_timed(warmup, repeats):
    clock = FakeClock(start=123.0)
    costs = RNG.integers(1, 100, size=warmup + repeats).astype(float)
    costs[:warmup] += 10_000   # slow warm-up calls must not appear in the samples
    result = Benchmark("b", scripted(clock, costs), warmup=warmup, repeats=repeats, clock=clock).run()
    np.testing.assert_array_equal(result.samples, costs[warmup:])
    assert clock.reads == 2 * repeats
    assert result.name == "b" and len(result) == repeats


def test_each_sample_is_exactly_one_call_even_with_a_clock_that_moves_when_read():
    class Creeping(FakeClock):
        def __call__(self):
            self.now += 1.0
            return super().__call__()

    clock = Creeping()
    result = Benchmark("creep", lambda: clock.advance(3.0), warmup=2, repeats=4, clock=clock).run()
    np.testing.assert_array_equal(result.samples, [4.0] * 4)


def test_benchmark_rejects_impossible_settings_and_empty_results():
    with pytest.raises(ValueError):
        Benchmark("x", lambda: None, repeats=0)
    with pytest.raises(ValueError):
        Benchmark("x", lambda: None, warmup=-1)
    with pytest.raises(ValueError):
        BenchmarkResult("empty", [])


def test_real_clock_timings_are_positive_and_ordered_statistics_hold():
    result = Benchmark("sum", lambda: np.ones(10_000).sum(), warmup=2, repeats=15).run()
    assert result.min > 0
    assert result.min <= result.p5 <= result.median <= result.p95 <= result.max
    assert result.summary()["repeats"] == 15


@pytest.mark.parametrize("n", [1, 2, 3, 10, 51])
def test_summary_statistics_match_numpy(n):
    values = RNG.lognormal(-5, 0.7, size=n)
    result = BenchmarkResult("r", values)
    np.testing.assert_allclose([result.mean, result.median, result.min, result.max],
                               [values.mean(), np.median(values), values.min(), values.max()], rtol=1e-12)
    expected_std = values.std(ddof=1) if n > 1 else 0.0
    np.testing.assert_allclose(result.std, expected_std, rtol=1e-10)
    assert np.array_equal(result.samples, values)


@pytest.mark.parametrize("shape", [(1,), (2,), (7,), (4, 5), (2, 3, 4)])
def test_percentile_matches_numpy_linear_for_scalar_and_array_q(shape):
    values = RNG.standard_normal(shape)
    qs = np.concatenate([[0.0, 100.0, 50.0], RNG.uniform(0, 100, size=9)])
    np.testing.assert_allclose(percentile(values, qs), np.percentile(values, qs), rtol=1e-12, atol=1e-15)
    for q in qs:
        got = percentile(values, q)
        assert type(got) is float
        np.testing.assert_allclose(got, np.percentile(values, q), rtol=1e-12, atol=1e-15)
    grid = RNG.uniform(0, 100, size=(3, 2))
    assert percentile(values, grid).shape == (3, 2)


def test_percentile_validates_its_arguments_and_leaves_the_input_alone():
    for bad_q in (-0.1, 100.5, np.nan, [10, 101]):
        with pytest.raises(ValueError):
            percentile([1.0, 2.0], bad_q)
    with pytest.raises(ValueError):
        percentile([], 50)
    values = np.array([3.0, 1.0, 2.0])
    percentile(values, 40)
    np.testing.assert_array_equal(values, [3.0, 1.0, 2.0])


def test_bootstrap_medians_follow_the_documented_recipe():
    samples = RNG.lognormal(size=13)
    got = bootstrap_medians(samples, 250, np.random.default_rng(5))
    picks = np.random.default_rng(5).integers(0, 13, size=(250, 13))
    np.testing.assert_array_equal(got, np.median(samples[picks], axis=1))


def test_confidence_interval_is_deterministic_nested_and_contains_the_median():
    result = BenchmarkResult("r", RNG.lognormal(0, 0.5, size=30))
    first = result.confidence_interval(level=0.9, seed=11)
    assert first == result.confidence_interval(level=0.9, seed=11)
    assert first != result.confidence_interval(level=0.9, seed=12)
    wider = result.confidence_interval(level=0.99, seed=11)
    assert wider[0] <= first[0] <= result.median <= first[1] <= wider[1]
    with pytest.raises(ValueError):
        result.confidence_interval(level=1.0)


def test_interval_width_shrinks_with_more_samples():
    draws = np.random.default_rng(7).lognormal(0, 1, size=2000)
    widths = []
    for n in (20, 80, 320, 1280):
        low, high = BenchmarkResult("n", draws[:n]).confidence_interval(resamples=1000)
        widths.append(high - low)
    assert widths == sorted(widths, reverse=True), widths
    assert widths[-1] < 0.35 * widths[0], widths


def test_bootstrap_interval_covers_the_true_median_about_as_often_as_it_claims():
    covered = 0
    for trial in range(300):
        draws = np.random.default_rng(trial).exponential(size=40)   # true median log 2
        low, high = BenchmarkResult("e", draws).confidence_interval(level=0.9, resamples=500, seed=trial)
        covered += low <= np.log(2) <= high
    assert 0.82 <= covered / 300 <= 0.96, covered


def test_speedup_is_a_ratio_of_medians_with_a_reproducible_interval():
    slow = BenchmarkResult("slow", RNG.lognormal(np.log(4.0), 0.1, size=25))
    fast = BenchmarkResult("fast", RNG.lognormal(0.0, 0.1, size=25))
    estimate = speedup(slow, fast, resamples=800, seed=2)
    assert isinstance(estimate, SpeedupEstimate)
    np.testing.assert_allclose(estimate.ratio, slow.median / fast.median, rtol=1e-12)
    assert estimate.significant and 3 < estimate.low <= estimate.ratio <= estimate.high < 5.5
    repeat = speedup(slow, fast, resamples=800, seed=2)
    assert (repeat.ratio, repeat.low, repeat.high) == (estimate.ratio, estimate.low, estimate.high)
    reverse = speedup(fast, slow, resamples=800, seed=2)
    np.testing.assert_allclose(reverse.ratio * estimate.ratio, 1.0, rtol=1e-12)
    same = speedup(slow, BenchmarkResult("copy", slow.samples), resamples=800)
    assert same.ratio == 1.0 and not same.significant
    assert "not resolved" in repr(same) and "resolved" in repr(estimate)


def test_suite_runs_in_order_and_tabulates_speedups():
    clock = FakeClock()
    suite = BenchmarkSuite(warmup=1, repeats=5, clock=clock, resamples=300)
    for name, cost in (("base", 8.0), ("half", 4.0), ("same", 8.0)):
        suite.add(name, lambda cost=cost: clock.advance(cost))
    with pytest.raises(ValueError):
        suite.add("base", lambda: None)
    with pytest.raises(KeyError):
        suite.speedup("base", "half")
    results = suite.run()
    assert list(results) == ["base", "half", "same"] and results is suite.results
    assert suite.speedup("base", "half").ratio == 2.0
    table = suite.table(baseline="base", unit="s").splitlines()
    assert len(table) == 5
    assert "2.00x" in table[3] and "(not resolved)" not in table[3]
    assert "1.00x" in table[4] and "(not resolved)" in table[4]
    assert "1 (baseline)" in table[2]
    assert "speedup" not in suite.table(unit="s")


def small_classifier(seed, hidden=6, dropout=False):
    np.random.seed(seed)
    layers = [Linear(5, hidden), GELU()] + ([Dropout(0.5)] if dropout else []) + [Linear(hidden, 3)]
    return Sequential(*layers)


def test_model_size_counts_float_parameters_int8_layers_and_nested_models():
    model = small_classifier(0)
    float_bytes = 4 * (5 * 6 + 6 + 6 * 3 + 3)
    assert model_size_bytes(model) == float_bytes
    assert model_size_bytes(fuse_linear_gelu(model)) == float_bytes       # same parameters, shared
    quantized = quantize_model(model)
    int8_bytes = sum(layer.nbytes() for layer in quantized.layers if isinstance(layer, QuantizedLinear))
    assert model_size_bytes(quantized) == int8_bytes == (5 * 6 + 6 * 4 * 2) + (6 * 3 + 3 * 4 * 2)
    nested = Sequential(quantized, ReLU(), Sequential(Linear(3, 2)))
    assert model_size_bytes(nested) == int8_bytes + 4 * (3 * 2 + 2)
    model64 = small_classifier(0)
    for p in model64.parameters():
        p.data = p.data.astype(np.float64)
    assert model_size_bytes(model64) == 2 * float_bytes


def test_accuracy_is_exact_and_uses_evaluation_mode():
    model = small_classifier(1, dropout=True)
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((50, 5)).astype(np.float32), rng.integers(0, 3, size=50)
    model.eval()
    expected = float(np.mean(model(Tensor(x)).data.argmax(axis=-1) == y))
    model.train()
    for _ in range(3):
        assert benchmarking.accuracy(model, x, y) == expected
    assert model.training


def test_inference_restores_the_mode_even_after_an_error():
    model = small_classifier(2, dropout=True)
    model.eval()
    with pytest.raises(RuntimeError):
        with inference(model):
            assert not model.training
            raise RuntimeError("boom")
    assert not model.training
    model.train()
    with inference(model):
        out = model(Tensor(np.ones((2, 5), dtype=np.float32)))
    assert out.grad_fn is None and model.training


def test_compare_models_exact_latency_size_and_accuracy_with_a_fake_clock():
    clock = FakeClock()
    base = small_classifier(3)
    quantized = quantize_model(base)
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((30, 5)).astype(np.float32), rng.integers(0, 3, size=30)
    models = {"base": Sequential(Delay(clock, 6.0), *base.layers), "int8": Sequential(Delay(clock, 3.0), *quantized.layers)}
    reports = compare_models(models, Tensor(x), y, warmup=2, repeats=4, clock=clock, latency_batch=1)
    assert list(reports) == ["base", "int8"] and all(isinstance(r, ModelReport) for r in reports.values())
    np.testing.assert_array_equal(reports["base"].latency.samples, [6.0] * 4)
    np.testing.assert_array_equal(reports["int8"].latency.samples, [3.0] * 4)
    assert reports["base"].nbytes == model_size_bytes(base) and reports["int8"].nbytes == model_size_bytes(quantized)
    assert reports["base"].accuracy == benchmarking.accuracy(base, x, y)
    assert all(p.grad is None for p in base.parameters())
    table = comparison_table(reports, baseline="base", unit="s").splitlines()
    assert len(table) == 4 and "2.00x" in table[3] and f"{reports['int8'].nbytes / reports['base'].nbytes:.2f}" in table[3]


def test_exported_module_does_not_import_matplotlib():
    source = Path(benchmarking.__file__).read_text()
    assert "matplotlib" not in source
    code = "import sys, tinytorch.perf.benchmarking; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(benchmarking.__file__).parents[2])
    assert out.stdout.strip() == "False"
