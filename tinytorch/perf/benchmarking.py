# Generated from modules/19_benchmarking/19_benchmarking.py by `make build`: do not edit.
# Change the module source and run `make build` again.

import time
from contextlib import contextmanager

import numpy as np

import tinytorch.core.autograd  # noqa: F401  (gradients on)
from tinytorch.core.autograd import no_grad
from tinytorch.core.layers import Sequential
from tinytorch.core.tensor import Tensor


class BenchmarkResult:
    """The timings of one benchmark, in the unit of its clock (seconds for time.perf_counter),
    and the statistics that describe them."""

    def __init__(self, name, samples):
        self.name = name
        self.samples = np.asarray(samples, dtype=np.float64)
        if self.samples.ndim != 1 or self.samples.size == 0:
            raise ValueError(f"a benchmark result needs a 1-D array of at least one timing, got shape {self.samples.shape}")

    def __len__(self):
        return self.samples.size

    # ---- Step 2: summary statistics -------------------------------------------------------

    @property
    def mean(self):
        """The arithmetic mean of the samples, a Python float."""
        return float(np.mean(self.samples))

    @property
    def median(self):
        """The median of the samples (the mean of the two middle ones for an even count), a Python float."""
        return float(np.median(self.samples))

    @property
    def std(self):
        """The sample standard deviation (divide by n - 1), a Python float; 0.0 for one sample."""
        if self.samples.size == 1:
            return 0.0
        return float(np.std(self.samples, ddof=1))

    @property
    def min(self):
        """The fastest sample, a Python float."""
        return float(np.min(self.samples))

    @property
    def max(self):
        """The slowest sample, a Python float."""
        return float(np.max(self.samples))

    # ---- Step 3: percentiles (given: they call your `percentile` function) ---------------------

    def percentile(self, q):
        """The q-th percentile of the samples (q in [0, 100], a number or an array)."""
        return percentile(self.samples, q)

    @property
    def p5(self):
        return self.percentile(5)

    @property
    def p95(self):
        return self.percentile(95)

    # ---- Step 4: a confidence interval for the median --------------------------------------------

    def confidence_interval(self, level=0.95, resamples=2000, seed=0):
        """(low, high): the bootstrap percentile interval of the median at confidence `level`.

        Recipe (follow it exactly, so that the same seed gives the same interval everywhere):
        rng = np.random.default_rng(seed); medians = bootstrap_medians(self.samples,
        resamples, rng); tail = 100 * (1 - level) / 2; low and high are the `tail`-th and
        the (100 - tail)-th percentiles of `medians` (use your `percentile`). Return two
        Python floats.
        """
        if not 0 < level < 1:
            raise ValueError(f"level must be between 0 and 1, got {level}")
        rng = np.random.default_rng(seed)
        medians = bootstrap_medians(self.samples, resamples, rng)
        tail = 100 * (1 - level) / 2
        low, high = percentile(medians, [tail, 100 - tail])
        return float(low), float(high)

    def summary(self):
        """All the statistics in one dict (for tables, logs and milestone reports)."""
        low, high = self.confidence_interval()
        return {"name": self.name, "repeats": len(self), "median": self.median, "ci95": (low, high),
                "mean": self.mean, "std": self.std, "min": self.min, "p5": self.p5, "p95": self.p95,
                "max": self.max}

    def __repr__(self):
        return f"BenchmarkResult({self.name!r}, {len(self)} samples)"


class Benchmark:
    """Times `fn()`: `warmup` untimed calls, then `repeats` timed ones, with `clock`."""

    def __init__(self, name, fn, warmup=3, repeats=20, clock=time.perf_counter):
        if warmup < 0 or repeats < 1:
            raise ValueError(f"need warmup >= 0 and repeats >= 1, got warmup={warmup}, repeats={repeats}")
        self.name = name
        self.fn = fn
        self.warmup = warmup
        self.repeats = repeats
        self.clock = clock

    def run(self):
        """Call self.fn() self.warmup times untimed; then self.repeats times, each one timed
        alone: read self.clock() just before the call and just after it, and keep the
        difference. Return BenchmarkResult(self.name, the self.repeats differences in order).
        """
        for _ in range(self.warmup):
            self.fn()
        samples = np.empty(self.repeats)
        for index in range(self.repeats):
            start = self.clock()
            self.fn()
            samples[index] = self.clock() - start
        return BenchmarkResult(self.name, samples)

    def __repr__(self):
        return f"Benchmark({self.name!r}, warmup={self.warmup}, repeats={self.repeats})"


def percentile(values, q):
    """The q-th percentile of `values` by linear interpolation between sorted neighbours.

    values: array-like of numbers (any shape; all of them count). q: a number in [0, 100]
    (return a Python float) or an array of them (return a float64 numpy array of q's shape).
    Sort; h = (n - 1) * q / 100; f = floor(h); return x[f] + (h - f) * (x[f + 1] - x[f]),
    where the upper neighbour index is clipped to n - 1.

    Hints: np.sort, np.floor(...).astype(np.int64), np.minimum.
    """
    values = np.asarray(values, dtype=np.float64).ravel()
    quantile = np.asarray(q, dtype=np.float64)
    if values.size == 0:
        raise ValueError("percentile of an empty set of values")
    if np.any(quantile < 0) or np.any(quantile > 100) or np.any(np.isnan(quantile)):
        raise ValueError(f"percentiles lie between 0 and 100, got {q}")
    ordered = np.sort(values)
    positions = (ordered.size - 1) * quantile / 100
    lower = np.floor(positions).astype(np.int64)
    upper = np.minimum(lower + 1, ordered.size - 1)
    result = ordered[lower] + (positions - lower) * (ordered[upper] - ordered[lower])
    return float(result) if result.ndim == 0 else result


def bootstrap_medians(samples, resamples, rng):
    """The medians of `resamples` bootstrap resamples of the 1-D array `samples`.

    Draw every index in ONE call, picks = rng.integers(0, n, size=(resamples, n)) (row r is
    resample r, drawn with replacement), and return the median of each row: a float64 array
    of length `resamples`.
    """
    samples = np.asarray(samples, dtype=np.float64)
    picks = rng.integers(0, samples.size, size=(resamples, samples.size))
    return np.median(samples[picks], axis=1)


class SpeedupEstimate:
    """How many times faster `candidate` ran than `baseline` (a ratio of medians), with an interval."""

    def __init__(self, baseline, candidate, ratio, low, high, level):
        self.baseline, self.candidate = baseline, candidate
        self.ratio, self.low, self.high, self.level = ratio, low, high, level

    @property
    def significant(self):
        """True when the interval excludes 1: the difference is bigger than the measured noise."""
        return not self.low <= 1.0 <= self.high

    def __repr__(self):
        verdict = "resolved" if self.significant else "not resolved: the interval contains 1"
        return (f"{self.candidate} vs {self.baseline}: {self.ratio:.2f}x "
                f"({self.level:.0%} CI {self.low:.2f}x to {self.high:.2f}x, {verdict})")


def speedup(baseline, candidate, level=0.95, resamples=2000, seed=0):
    """SpeedupEstimate of BenchmarkResult `candidate` over BenchmarkResult `baseline`.

    ratio = baseline.median / candidate.median (> 1: the candidate is faster).
    Interval: rng = np.random.default_rng(seed); base = bootstrap_medians(baseline.samples,
    resamples, rng); then cand = bootstrap_medians(candidate.samples, resamples, rng) with the
    SAME rng; ratios = base / cand; tail = 100 * (1 - level) / 2; low and high are the
    tail-th and (100 - tail)-th percentiles of ratios. Pass the results' names, ratio, low,
    high (Python floats) and level to SpeedupEstimate.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    ratio = baseline.median / candidate.median
    rng = np.random.default_rng(seed)
    base = bootstrap_medians(baseline.samples, resamples, rng)
    cand = bootstrap_medians(candidate.samples, resamples, rng)
    tail = 100 * (1 - level) / 2
    low, high = percentile(base / cand, [tail, 100 - tail])
    return SpeedupEstimate(baseline.name, candidate.name, float(ratio), float(low), float(high), level)


TIME_UNITS = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}


class BenchmarkSuite:
    """Benchmarks that share warm-up, repeats and clock, run together and compared in a table."""

    def __init__(self, warmup=3, repeats=20, clock=time.perf_counter, level=0.95, resamples=2000, seed=0):
        self.warmup, self.repeats, self.clock = warmup, repeats, clock
        self.level, self.resamples, self.seed = level, resamples, seed
        self.benchmarks = {}   # name -> Benchmark, in the order added
        self.results = {}      # name -> BenchmarkResult, filled by run()

    def add(self, name, fn):
        """Add a Benchmark of fn() under `name` with the suite's settings; return it."""
        if name in self.benchmarks:
            raise ValueError(f"a benchmark named {name!r} is already in the suite")
        self.benchmarks[name] = Benchmark(name, fn, self.warmup, self.repeats, self.clock)
        return self.benchmarks[name]

    def run(self):
        """Run every benchmark in the order added; store each result in self.results under
        its name; return self.results."""
        for name, benchmark in self.benchmarks.items():
            self.results[name] = benchmark.run()
        return self.results

    def result(self, name):
        if name not in self.results:
            raise KeyError(f"no result for {name!r}: add it and call run() first (have {list(self.results)})")
        return self.results[name]

    def speedup(self, baseline, candidate):
        """SpeedupEstimate of the result named `candidate` over the one named `baseline`."""
        return speedup(self.result(baseline), self.result(candidate), self.level, self.resamples, self.seed)

    def table(self, baseline=None, unit="ms"):
        """A markdown table: median, confidence interval and p95 of each result, and (with a
        baseline) each one's speed-up over it with its interval."""
        scale = TIME_UNITS[unit]
        header = f"| benchmark | median ({unit}) | {self.level:.0%} CI ({unit}) | p95 ({unit}) |"
        rule = "|---|---:|---:|---:|"
        if baseline is not None:
            header += f" speedup vs {baseline} |"
            rule += "---:|"
        lines = [header, rule]
        for name, result in self.results.items():
            low, high = result.confidence_interval(self.level, self.resamples, self.seed)
            line = (f"| {name} | {result.median * scale:.4g} | {low * scale:.4g} to {high * scale:.4g} | "
                    f"{result.p95 * scale:.4g} |")
            if baseline is not None:
                if name == baseline:
                    line += " 1 (baseline) |"
                else:
                    estimate = self.speedup(baseline, name)
                    mark = "" if estimate.significant else " (not resolved)"
                    line += f" {estimate.ratio:.2f}x [{estimate.low:.2f}, {estimate.high:.2f}]{mark} |"
            lines.append(line)
        return "\n".join(lines)


@contextmanager
def inference(model):
    """Inside the block: model.eval() and no_grad(). Afterwards the model's training mode is restored."""
    was_training = getattr(model, "training", None)
    if was_training is not None:
        model.eval()
    try:
        with no_grad():
            yield model
    finally:
        if was_training is not None:
            model.train(was_training)


class ModelReport:
    """One model's row in a comparison: latency (a BenchmarkResult), size in bytes, accuracy."""

    def __init__(self, name, latency, nbytes, accuracy):
        self.name, self.latency, self.nbytes, self.accuracy = name, latency, nbytes, accuracy

    def __repr__(self):
        return (f"ModelReport({self.name!r}, median latency {self.latency.median * 1e3:.3f} ms, "
                f"{self.nbytes} bytes, accuracy {self.accuracy:.2%})")


def model_size_bytes(model):
    """Bytes of a model's stored numbers (an int): model.nbytes() when the model has that
    method; for a Sequential the sum over model.layers (each by this same rule); otherwise
    the sum of p.data.nbytes over model.parameters()."""
    if callable(getattr(model, "nbytes", None)):
        return int(model.nbytes())
    if isinstance(model, Sequential):
        return sum(model_size_bytes(layer) for layer in model.layers)
    return sum(int(p.data.nbytes) for p in model.parameters())


def accuracy(model, x, y):
    """Fraction (a Python float) of the rows of x whose predicted class — the argmax of
    model(Tensor(x)) over its LAST axis — equals y. Run the model inside inference(model)."""
    with inference(model):
        outputs = model(Tensor(x))
    predictions = outputs.data.argmax(axis=-1)
    return float(np.mean(predictions == np.asarray(y)))


def compare_models(models, x, y, warmup=3, repeats=20, clock=time.perf_counter, latency_batch=None):
    """{name: ModelReport} for the models of the dict `models`, in its order.

    For each model: latency is Benchmark(name, a forward pass of the model on `batch`,
    warmup, repeats, clock).run(), run inside inference(model); `batch` is one Tensor of the
    first `latency_batch` rows of x (all of x when None), built once before any timing.
    nbytes is model_size_bytes(model); accuracy is accuracy(model, x, y) on all of x.
    """
    rows = x.data if isinstance(x, Tensor) else np.asarray(x)
    batch = Tensor(rows if latency_batch is None else rows[:latency_batch])
    reports = {}
    for name, model in models.items():
        with inference(model):
            latency = Benchmark(name, lambda: model(batch), warmup, repeats, clock).run()
        reports[name] = ModelReport(name, latency, model_size_bytes(model), accuracy(model, rows, y))
    return reports


def comparison_table(reports, baseline=None, unit="ms", level=0.95, resamples=2000, seed=0):
    """A markdown table of ModelReports: latency (median and interval), speed-up, size and accuracy."""
    scale = TIME_UNITS[unit]
    base = reports[baseline] if baseline is not None else None
    lines = [f"| model | latency ({unit}) | {level:.0%} CI ({unit}) | speedup | size (KB) | size ratio | accuracy |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, report in reports.items():
        low, high = report.latency.confidence_interval(level, resamples, seed)
        if base is None or name == baseline:
            faster, smaller = "-", "-"
        else:
            estimate = speedup(base.latency, report.latency, level, resamples, seed)
            faster = f"{estimate.ratio:.2f}x" + ("" if estimate.significant else " (n.r.)")
            smaller = f"{report.nbytes / base.nbytes:.2f}"
        lines.append(f"| {name} | {report.latency.median * scale:.4g} | {low * scale:.4g} to {high * scale:.4g} | "
                     f"{faster} | {report.nbytes / 1024:.1f} | {smaller} | {report.accuracy:.2%} |")
    return "\n".join(lines)
