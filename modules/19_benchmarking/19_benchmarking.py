# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Module 19 — Benchmarking
#
# Modules 16, 17 and 18 each made a model smaller or faster. Each claimed a win with a number
# or two. This last module builds the instrument that decides whether such a claim is true:
# a **benchmark harness** that times code properly, summarises the timings with statistics
# that suit them, says how sure it is, and compares models on the three things that matter
# when a model ships — **latency, size and accuracy**.
#
# **What you build.**
# - `Benchmark(name, fn, warmup, repeats, clock).run()`: warm-up calls that are not timed, then
#   one timing per call;
# - `BenchmarkResult`: the samples, their mean, median, standard deviation, minimum and
#   maximum, any percentile (your own `percentile`), and a **bootstrap confidence interval**
#   of the median (`bootstrap_medians`, `confidence_interval`);
# - `speedup(baseline, candidate)`: a ratio of medians *with* its interval, and
#   `BenchmarkSuite`, which runs several benchmarks and prints them as a table;
# - `model_size_bytes`, `accuracy` and `compare_models`: one report per model with its latency,
#   its bytes (int8 models counted as int8) and its held-out accuracy.
#
# At the end you put the baseline digits classifier next to its int8 (module 16), pruned
# (module 17) and fused (module 18) versions, and read the table the way an engineer would.
#
# **Why build it yourself.** "It got 30 % faster" is the most common unfounded sentence in
# systems work. Timings on a real machine are *noisy* (other programs, caches, clock
# frequency changes) and *skewed* (rarely faster than a floor, sometimes much slower). A
# harness that hides this produces numbers that do not repeat. Writing one teaches you what
# to distrust.
#
# **What you need.** Module 01's `Tensor`, module 03's layers, module 05's `no_grad`, module
# 08's digits, and for the final comparison modules 06 (Adam), 16, 17 and 18. Nothing from
# modules 14 and 15.
#
# **Where it lands.** `tinytorch/perf/benchmarking.py`, with the public names `Benchmark`,
# `BenchmarkResult`, `BenchmarkSuite`, `speedup` and `compare_models`.
#
# **A word on the numbers.** Every timing printed below comes from the machine running this
# notebook; on the small shared course machine they change from run to run. That is the
# subject of this module, not a flaw in it. The graded tests never depend on real time: they
# pass a **fake clock** whose readings the test controls, so the expected results are exact.
#
# **How this notebook works.** Fill in the places marked `# YOUR CODE HERE` (delete the
# `raise NotImplementedError()` line), run the cell, then the test cell below it. When your
# notebook is graded, hidden tests use fresh random timings and seeds.

# %%
#| default_exp perf.benchmarking
#| export
import time
from contextlib import contextmanager

import numpy as np

import tinytorch.core.autograd  # noqa: F401  (gradients on)
from tinytorch.core.autograd import no_grad
from tinytorch.core.layers import Sequential
from tinytorch.core.tensor import Tensor

# %%
import os
import threading

import matplotlib.pyplot as plt

from tinytorch.core.activations import GELU
from tinytorch.core.dataloader import load_digits, train_test_split
from tinytorch.core.layers import Dropout, Layer, Linear
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.optimizers import Adam
from tinytorch.perf.acceleration import fuse_linear_gelu
from tinytorch.perf.compression import MaskedOptimizer, magnitude_prune, prunable_weights, sparsity
from tinytorch.perf.quantization import quantize_model

# %%
blas_threads = (os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
                or f"not set, so OpenBLAS may start one thread per core ({os.cpu_count()} cores)")
print(f"numpy {np.__version__}, BLAS threads: {blas_threads}")

# %% [markdown]
# The line above matters for every timing below. When BLAS may use several threads and
# another program is busy on the other core, a mid-sized matrix product can wait for its
# second thread for a whole scheduler time slice — milliseconds for microseconds of work.
# Benchmarking setups pin the thread count (the course's grader sets it to 1) for exactly
# this reason; if yours is not set and the machine is busy, expect some wild rows below.
#
# ## One timing is not a measurement
#
# Time the same small computation — five $96 \times 96$ matrix products — two hundred times
# in a row, with nothing else changing, and look at what comes back.

# %%
matrix = np.random.default_rng(0).standard_normal((96, 96)).astype(np.float32)


def five_products():
    for _ in range(5):
        matrix @ matrix


raw_times = []
for _ in range(200):
    start = time.perf_counter()
    five_products()
    raw_times.append(time.perf_counter() - start)
raw_times = np.array(raw_times) * 1e6
print("first five calls (µs):", np.round(raw_times[:5], 1))
print(f"min {raw_times.min():.1f}  median {np.median(raw_times):.1f}  mean {raw_times.mean():.1f}  "
      f"max {raw_times.max():.1f} µs")

# %% [markdown]
# Three things to notice, and each is a design decision of the harness:
#
# 1. **The first call is often slower.** A first call may allocate memory the process has not
#    touched yet, start BLAS threads, fill caches or (in other frameworks) compile a kernel.
#    Those costs are real, but they are paid once; they are not what "how fast is this model"
#    asks. So a benchmark runs a few untimed **warm-up** calls first.
# 2. **The times are skewed.** They pile up just above a floor (the cost of the work itself)
#    and trail off in a long tail to the right: a call can be delayed by an interrupt, by
#    another process taking the core, by the operating system moving the thread — but nothing
#    makes it faster than the work. The maximum is often several times the median.
# 3. **So the mean is a poor summary.** One call that waited 5 ms for the processor moves the
#    mean of 200 calls by 25 µs, but leaves the median where it was. We report the
#    **median** as "the" time, and **percentiles** (p95: 95 % of calls were faster) for the
#    tail, which is what a user waiting for an answer feels.
#
# ## Step 1 — `Benchmark`: warm-up, then one timing per call
#
# A benchmark calls `fn` `warmup` times without timing it, then `repeats` times, reading the
# clock right before and right after each call:
#
# $$t_i = \text{clock}_\text{after}^{(i)} - \text{clock}_\text{before}^{(i)},\qquad i = 1, \dots, n.$$
#
# The clock is a parameter. It defaults to `time.perf_counter`, Python's highest-resolution
# clock for intervals (it never jumps when the system time is set, unlike `time.time`). Tests
# pass a **fake clock** instead, which only moves when the test says so — that is how a
# timing test can expect exact answers.
#
# The `BenchmarkResult` class below holds the samples; its statistics are steps 2 to 4. For
# now fill in only `Benchmark.run`.

# %% nbgrader={"grade": false, "grade_id": "benchmark-result-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
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
        ### BEGIN SOLUTION
        return float(np.mean(self.samples))
        ### END SOLUTION

    @property
    def median(self):
        """The median of the samples (the mean of the two middle ones for an even count), a Python float."""
        ### BEGIN SOLUTION
        return float(np.median(self.samples))
        ### END SOLUTION

    @property
    def std(self):
        """The sample standard deviation (divide by n - 1), a Python float; 0.0 for one sample."""
        ### BEGIN SOLUTION
        if self.samples.size == 1:
            return 0.0
        return float(np.std(self.samples, ddof=1))
        ### END SOLUTION

    @property
    def min(self):
        """The fastest sample, a Python float."""
        ### BEGIN SOLUTION
        return float(np.min(self.samples))
        ### END SOLUTION

    @property
    def max(self):
        """The slowest sample, a Python float."""
        ### BEGIN SOLUTION
        return float(np.max(self.samples))
        ### END SOLUTION

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
        ### BEGIN SOLUTION
        rng = np.random.default_rng(seed)
        medians = bootstrap_medians(self.samples, resamples, rng)
        tail = 100 * (1 - level) / 2
        low, high = percentile(medians, [tail, 100 - tail])
        return float(low), float(high)
        ### END SOLUTION

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
        ### BEGIN SOLUTION
        for _ in range(self.warmup):
            self.fn()
        samples = np.empty(self.repeats)
        for index in range(self.repeats):
            start = self.clock()
            self.fn()
            samples[index] = self.clock() - start
        return BenchmarkResult(self.name, samples)
        ### END SOLUTION

    def __repr__(self):
        return f"Benchmark({self.name!r}, warmup={self.warmup}, repeats={self.repeats})"


# %% [markdown]
# The fake clock used by every test below is given. Reading it returns `now`; the code being
# "timed" moves it forward with `advance`, by amounts the test chooses. Whole numbers keep the
# arithmetic exact.

# %%
class FakeClock:
    """A clock for tests: calling it returns `now`, and `advance(seconds)` moves it forward."""

    def __init__(self, start=0.0):
        self.now = start
        self.reads = 0

    def __call__(self):
        self.reads += 1
        return self.now

    def advance(self, seconds):
        self.now += seconds


# %% nbgrader={"grade": true, "grade_id": "benchmark-timing", "locked": true, "points": 2, "schema_version": 3, "solution": false}
clock = FakeClock()
durations = iter([50, 40, 30, 3, 1, 4, 1, 5])       # three slow warm-up calls, then five timed calls
benchmark = Benchmark("scripted", lambda: clock.advance(next(durations)), warmup=3, repeats=5, clock=clock)
result = benchmark.run()
assert isinstance(result, BenchmarkResult), f"run() should return a BenchmarkResult, got {type(result).__name__}"
assert result.name == "scripted", f"the result should carry the benchmark's name, got {result.name!r}"
np.testing.assert_array_equal(result.samples, [3, 1, 4, 1, 5],
                              err_msg="the samples should be the five timed calls only: are the warm-up calls excluded?")
assert clock.reads == 10, f"read the clock twice per timed call (10 reads for 5 calls), not during warm-up; got {clock.reads}"

clock = FakeClock(start=1000.0)
calls = []


def slow_then_fast():
    calls.append(1)
    clock.advance(7)


idle = Benchmark("no warm-up", slow_then_fast, warmup=0, repeats=4, clock=clock).run()
clock.advance(100)  # time passing between runs must not leak into the samples
np.testing.assert_array_equal(idle.samples, [7, 7, 7, 7], err_msg="warmup=0: every call is timed")
assert len(calls) == 4, f"warmup=0, repeats=4 calls fn exactly 4 times, got {len(calls)}"
print("Step 1 passed: warm-up calls are excluded and each call is timed on its own.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1901)
for _ in range(5):
    warmup, repeats = int(rng.integers(0, 6)), int(rng.integers(1, 30))
    costs = rng.integers(1, 1000, size=warmup + repeats).astype(float)
    clock = FakeClock(start=float(rng.integers(0, 10**6)))
    scripted = iter(costs)
    count = []

    def timed_call():
        count.append(1)
        clock.advance(next(scripted))

    between = Benchmark(f"random {warmup}/{repeats}", timed_call, warmup=warmup, repeats=repeats, clock=clock).run()
    assert len(count) == warmup + repeats, (len(count), warmup, repeats)
    np.testing.assert_array_equal(between.samples, costs[warmup:])
    assert between.samples.dtype == np.float64 and len(between) == repeats

# A clock that also moves when it is read: each sample must be exactly one read-to-read span.
class CreepingClock(FakeClock):
    def __call__(self):
        self.now += 0.5
        return super().__call__()

creeping = CreepingClock()
creeping_result = Benchmark("creep", lambda: creeping.advance(2.0), warmup=2, repeats=6, clock=creeping).run()
np.testing.assert_array_equal(creeping_result.samples, np.full(6, 2.5))
### END HIDDEN TESTS

# %% [markdown]
# ### Systems view: the floor of every measurement
#
# A timing includes the cost of timing. Benchmark a function that does nothing: what comes back
# is the price of two clock reads and one Python call — the smallest duration this harness can
# resolve. Anything close to it must be timed as a loop of many calls and divided.

# %%
info = time.get_clock_info("perf_counter")
print(f"perf_counter: resolution {info.resolution * 1e9:.0f} ns, monotonic: {info.monotonic}")
empty = Benchmark("empty call", lambda: None, warmup=10, repeats=1000).run()
print(f"an empty call measures {np.median(empty.samples) * 1e9:.0f} ns (median of 1000), "
      f"fastest {empty.samples.min() * 1e9:.0f} ns, slowest {empty.samples.max() * 1e6:.1f} µs")
cold = Benchmark("first calls", lambda: np.empty(2_000_000, dtype=np.float32).fill(1.0), warmup=0, repeats=8).run()
print("filling a fresh 8 MB array, call by call (µs):", np.round(cold.samples * 1e6, 0))

# %% [markdown]
# Two lessons in those lines. The empty call sets the floor (well under a microsecond on most
# machines, with a slowest call far above it). And if the first fill costs more than the
# later ones, you are seeing the operating system hand the process fresh memory pages the
# first time; later calls reuse pages the allocator kept. That is what warm-up removes.
#
# ## Step 2 — Summary statistics
#
# Given samples $t_1, \dots, t_n$:
#
# $$\bar t = \frac{1}{n}\sum_i t_i, \qquad
# s = \sqrt{\frac{1}{n-1}\sum_i (t_i - \bar t)^2}, \qquad
# \operatorname{median} = t_{((n+1)/2)} \text{ (sorted; the mean of the two middle values when $n$ is even)}.$$
#
# The standard deviation divides by $n - 1$, not $n$: the deviations are measured from
# $\bar t$, which was fitted to the same samples and so sits closer to them than the true
# mean does; dividing by $n-1$ corrects that bias (Bessel's correction). With one sample there
# is no spread to estimate: return 0.
#
# Fill in `mean`, `median`, `std`, `min` and `max` in `BenchmarkResult` above (numpy's
# `np.mean`, `np.median`, `np.std(..., ddof=1)`, `np.min`, `np.max` are fine), returning
# Python floats.

# %% nbgrader={"grade": true, "grade_id": "summary-statistics", "locked": true, "points": 2, "schema_version": 3, "solution": false}
result = BenchmarkResult("five", [3.0, 1.0, 4.0, 1.0, 5.0])
assert result.mean == 2.8, f"mean of 3, 1, 4, 1, 5 is 2.8, got {result.mean}"
assert result.median == 3.0, f"median of 3, 1, 4, 1, 5 is 3, got {result.median}"
assert result.min == 1.0 and result.max == 5.0, f"min 1 and max 5, got {result.min} and {result.max}"
np.testing.assert_allclose(result.std, np.sqrt(12.8 / 4), rtol=1e-12,
                           err_msg="the sample standard deviation divides the squared deviations by n - 1")
assert BenchmarkResult("even", [4.0, 1.0, 3.0, 2.0]).median == 2.5, "an even count: the mean of the two middle values"
assert BenchmarkResult("one", [0.25]).std == 0.0, "one sample has no spread: std 0.0"
assert all(type(value) is float for value in (result.mean, result.median, result.std, result.min, result.max)), \
    "return Python floats (float(...))"
print("Step 2 passed: mean, median, standard deviation, min and max.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1902)
for _ in range(10):
    values = rng.lognormal(mean=-7, sigma=rng.uniform(0.1, 1.5), size=int(rng.integers(2, 60)))
    r = BenchmarkResult("random", values)
    np.testing.assert_allclose(r.mean, values.mean(), rtol=1e-12)
    np.testing.assert_allclose(r.median, np.median(values), rtol=1e-12)
    np.testing.assert_allclose(r.std, values.std(ddof=1), rtol=1e-10)
    assert r.min == values.min() and r.max == values.max()
    assert values.tolist() == r.samples.tolist(), "statistics must not reorder the stored samples"
### END HIDDEN TESTS

# %% [markdown]
# ## Step 3 — Percentiles
#
# The $q$-th percentile is the value below which $q$ % of the samples fall. With $n$ samples
# sorted as $x_{(0)} \le x_{(1)} \le \dots \le x_{(n-1)}$, put percentile $q$ at the fractional
# position
#
# $$h = (n-1)\,\frac{q}{100}, \qquad f = \lfloor h \rfloor, \qquad
# P_q = x_{(f)} + (h - f)\,\bigl(x_{(f+1)} - x_{(f)}\bigr),$$
#
# a straight line between the two neighbouring sorted samples ($x_{(f+1)}$ is $x_{(f)}$
# itself at the last position). $P_0$ is the minimum, $P_{100}$ the maximum and $P_{50}$ the
# median. This is numpy's default (`np.percentile(..., method="linear")`); there are nine
# common definitions that differ for small $n$, so a report should say which one it uses.
#
# **Why percentiles for latency?** A service that answers in 2 ms at the median but 40 ms at
# p99 makes one request in a hundred feel broken, and a page that makes 50 requests hits that
# tail on most loads. MLPerf's inference rules set their latency limits on high percentiles
# (p90 to p99), never on the mean. Write `percentile` vectorised: `q` may be an array, and
# numpy indexing with integer arrays does the rest.

# %% nbgrader={"grade": false, "grade_id": "percentile-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
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
    ### BEGIN SOLUTION
    ordered = np.sort(values)
    positions = (ordered.size - 1) * quantile / 100
    lower = np.floor(positions).astype(np.int64)
    upper = np.minimum(lower + 1, ordered.size - 1)
    result = ordered[lower] + (positions - lower) * (ordered[upper] - ordered[lower])
    return float(result) if result.ndim == 0 else result
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "percentiles", "locked": true, "points": 2, "schema_version": 3, "solution": false}
values = [10.0, 20.0, 30.0, 40.0, 50.0]
assert percentile(values, 50) == 30.0, f"the 50th percentile of 10..50 is 30, got {percentile(values, 50)}"
assert percentile(values, 0) == 10.0 and percentile(values, 100) == 50.0, "P0 is the minimum and P100 the maximum"
assert percentile(values, 90) == 46.0, f"P90: position 3.6, between 40 and 50 -> 46, got {percentile(values, 90)}"
assert percentile([5.0, 1.0, 3.0], 25) == 2.0, "sort first: P25 of 1, 3, 5 sits halfway between 1 and 3"
assert type(percentile(values, 37.5)) is float, "a number q gives a Python float"
both = percentile(values, [5, 95])
assert isinstance(both, np.ndarray) and both.shape == (2,), f"an array q gives an array, got {both!r}"
np.testing.assert_allclose(both, [12.0, 48.0], err_msg="P5 and P95 of 10..50")
assert percentile([7.0], 99) == 7.0, "one value is every percentile"
result = BenchmarkResult("five", [3.0, 1.0, 4.0, 1.0, 5.0])
np.testing.assert_allclose([result.p5, result.p95], np.percentile(result.samples, [5, 95]), rtol=1e-12)
print("Step 3 passed: percentiles interpolate between sorted neighbours.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1903)
for _ in range(10):
    values = rng.lognormal(size=tuple(int(s) for s in rng.integers(1, 12, size=int(rng.integers(1, 3)))))
    qs = rng.uniform(0, 100, size=7)
    np.testing.assert_allclose(percentile(values, qs), np.percentile(values, qs), rtol=1e-12)
    grid = rng.uniform(0, 100, size=(2, 3))
    assert percentile(values, grid).shape == (2, 3)
    np.testing.assert_allclose(percentile(values, grid), np.percentile(values, grid), rtol=1e-12)
    for q in (0, 50, 100, float(rng.uniform(0, 100))):
        np.testing.assert_allclose(percentile(values, q), np.percentile(values, q), rtol=1e-12)
    np.testing.assert_allclose(percentile(values, 50), np.median(values), rtol=1e-12)
original = rng.standard_normal(9)
kept = original.copy()
percentile(original, 30)
assert np.array_equal(original, kept), "percentile must not sort the caller's array in place"
### END HIDDEN TESTS

# %% [markdown]
# ### Systems view: a noisy neighbour
#
# The course machine is shared. What does another program do to a benchmark? Below, the same
# workload is timed twice: once quietly, once while a "neighbour" thread on the same Python
# process repeatedly spins for 4 ms and sleeps for 4 ms. While it spins it holds Python's
# global interpreter lock, and our timing loop must wait for its turn (Python hands the lock
# over every 5 ms) — exactly like a process that waits for a core another program is using.

# %%
def timed_samples(name, repeats=200):
    return Benchmark(name, five_products, warmup=5, repeats=repeats).run()


def neighbour(stop):
    while not stop.is_set():
        time.sleep(0.004)
        busy_until = time.perf_counter() + 0.004
        while time.perf_counter() < busy_until:
            pass


quiet = timed_samples("quiet")
stop = threading.Event()
thread = threading.Thread(target=neighbour, args=(stop,), daemon=True)
thread.start()
try:
    noisy = timed_samples("with a neighbour")
finally:  # never leave the neighbour spinning, even if the benchmark fails
    stop.set()
    thread.join()

print(f"{'':18s} {'mean':>8s} {'median':>8s} {'p5':>8s} {'p95':>8s} {'max':>9s}   (µs)")
for run in (quiet, noisy):
    print(f"{run.name:18s} {run.mean * 1e6:8.1f} {run.median * 1e6:8.1f} {run.p5 * 1e6:8.1f} "
          f"{run.p95 * 1e6:8.1f} {run.max * 1e6:9.1f}")

figure, axes = plt.subplots(1, 2, figsize=(11, 3.5), sharey=True)
bins = np.linspace(quiet.min * 1e6 * 0.9, quiet.percentile(99) * 1e6 * 1.5, 60)
for axis, run in zip(axes, (quiet, noisy)):
    axis.hist(np.clip(run.samples * 1e6, None, bins[-1]), bins=bins, color="tab:blue")
    for value, label, style in ((run.median, "median", "-"), (run.mean, "mean", "--"), (run.p95, "p95", ":")):
        axis.axvline(value * 1e6, color="k", linestyle=style, label=f"{label} {value * 1e6:.0f} µs")
    axis.set(title=run.name, xlabel="µs per call (the last bin collects everything slower)")
    axis.legend()
axes[0].set_ylabel("calls")
figure.tight_layout()
plt.show()

# %% [markdown]
# Read the two rows. The neighbour makes a minority of calls wait for milliseconds; look at
# how much each statistic moves. On the course machine the **mean** typically grows by tens of
# percent or more, because it adds up the waiting; the **median** barely changes, because it
# only asks which side of the middle a call falls on; **p95 and the maximum** show the
# neighbour plainly. That is the division of labour: the median for "how fast is this code",
# the upper percentiles for "how bad does it get". (Your printed numbers are the evidence;
# if the machine was very quiet, the neighbour's effect may be smaller.)
#
# ## Step 4 — How sure are we? A bootstrap interval for the median
#
# The median of 20 timings is itself a random number: run the benchmark again and you get a
# different one. A **confidence interval** says how far it could plausibly move. The textbook
# interval $\bar t \pm 1.96\, s / \sqrt n$ is built for the *mean* of roughly *normal* data —
# neither fits skewed timings and their median.
#
# The **bootstrap** (Efron, 1979) needs no formula. The samples are our best picture of the
# distribution they came from, so we imitate "run the benchmark again" by drawing $n$ values
# *with replacement* from our own $n$ samples, and take that resample's median. Repeat $B$ times
# (say 2000); the spread of the $B$ medians estimates the spread of the median. The
# **percentile interval** at level $1 - \alpha$ cuts $\alpha/2$ off each end:
#
# $$\left[\,P_{100\alpha/2}\bigl(m^*_1, \dots, m^*_B\bigr),\;
#         P_{100(1-\alpha/2)}\bigl(m^*_1, \dots, m^*_B\bigr)\right].$$
#
# Drawing *with* replacement is the whole point: a resample without replacement is just a
# shuffle, with exactly the same median every time, and the interval would collapse to a
# point. The bootstrap uses random numbers, so it takes a **seed**: the same samples and the
# same seed give the same interval on every machine, which is what a graded test (and a
# reproducible report) needs.
#
# Write `bootstrap_medians` — all $B \times n$ indices in one `rng.integers` call, one row per
# resample, one `np.median(..., axis=1)` — then `confidence_interval` in `BenchmarkResult`.

# %% nbgrader={"grade": false, "grade_id": "bootstrap-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
def bootstrap_medians(samples, resamples, rng):
    """The medians of `resamples` bootstrap resamples of the 1-D array `samples`.

    Draw every index in ONE call, picks = rng.integers(0, n, size=(resamples, n)) (row r is
    resample r, drawn with replacement), and return the median of each row: a float64 array
    of length `resamples`.
    """
    samples = np.asarray(samples, dtype=np.float64)
    ### BEGIN SOLUTION
    picks = rng.integers(0, samples.size, size=(resamples, samples.size))
    return np.median(samples[picks], axis=1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "bootstrap-interval", "locked": true, "points": 3, "schema_version": 3, "solution": false}
samples = np.array([9.0, 10.0, 10.0, 11.0, 10.0, 12.0, 9.5, 30.0, 10.5, 10.0])
medians = bootstrap_medians(samples, 500, np.random.default_rng(7))
assert medians.shape == (500,), f"one median per resample: shape (500,), got {np.shape(medians)}"
expected_picks = np.random.default_rng(7).integers(0, 10, size=(500, 10))
np.testing.assert_array_equal(medians, np.median(samples[expected_picks], axis=1),
                              err_msg="draw all indices with one rng.integers(0, n, size=(resamples, n)) call")
assert len(np.unique(medians)) > 1, "resampling WITH replacement gives different medians"

result = BenchmarkResult("ten", samples)
low, high = result.confidence_interval(level=0.9, resamples=500, seed=7)
np.testing.assert_allclose([low, high], np.percentile(medians, [5, 95]), rtol=1e-12,
                           err_msg="a 90% interval cuts 5% off each end of the bootstrap medians")
assert low <= result.median <= high, f"the interval ({low}, {high}) should contain the median {result.median}"
assert result.confidence_interval(level=0.9, resamples=500, seed=7) == (low, high), "same seed, same interval"
wide = result.confidence_interval(level=0.99, resamples=500, seed=7)
assert wide[0] <= low and wide[1] >= high, f"a 99% interval {wide} contains the 90% one {(low, high)}"
print(f"Step 4 passed: 90% interval of the median {result.median}: ({low}, {high}).")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1904)
for _ in range(6):
    n, seed, level = int(rng.integers(2, 40)), int(rng.integers(0, 10**6)), float(rng.uniform(0.5, 0.99))
    values = rng.lognormal(-6, rng.uniform(0.1, 1.0), size=n)
    r = BenchmarkResult("random", values)
    reference = np.median(values[np.random.default_rng(seed).integers(0, n, size=(300, n))], axis=1)
    tail = 100 * (1 - level) / 2
    got = r.confidence_interval(level=level, resamples=300, seed=seed)
    assert type(got[0]) is float and type(got[1]) is float
    np.testing.assert_allclose(got, np.percentile(reference, [tail, 100 - tail]), rtol=1e-12)
    assert r.confidence_interval(level=level, resamples=300, seed=seed) == got
# the default level is 95% and the default seed is 0
default = BenchmarkResult("default", rng.lognormal(size=15))
reference = np.median(default.samples[np.random.default_rng(0).integers(0, 15, size=(2000, 15))], axis=1)
np.testing.assert_allclose(default.confidence_interval(), np.percentile(reference, [2.5, 97.5]), rtol=1e-12)
# coverage: 95% intervals of samples from a lognormal (true median 1) contain 1 most of the time
covered = 0
for trial in range(200):
    draws = np.random.default_rng(10_000 + trial).lognormal(0.0, 0.8, size=25)
    lo, hi = BenchmarkResult("coverage", draws).confidence_interval(level=0.95, resamples=400, seed=trial)
    covered += lo <= 1.0 <= hi
assert 0.85 <= covered / 200 <= 0.995, f"95% bootstrap intervals covered the true median in {covered}/200 trials"
### END HIDDEN TESTS

# %% [markdown]
# ### Systems view: what more repeats buy
#
# More repeats cost time and narrow the interval. How fast? Below, the quiet workload from
# before is timed with 5 to 320 repeats, and the interval width is printed for each; the
# second part checks, by simulation on skewed data whose true median we know, how often a 95 %
# bootstrap interval contains it.

# %%
width_rows = []
for repeats in (5, 10, 20, 40, 80, 160, 320):
    run = Benchmark(f"{repeats}", five_products, warmup=3, repeats=repeats).run()
    low, high = run.confidence_interval()
    width_rows.append((repeats, run.median, high - low))
    print(f"{repeats:4d} repeats: median {run.median * 1e6:7.1f} µs, 95% CI width {(high - low) * 1e6:7.2f} µs "
          f"({(high - low) / run.median:6.1%} of the median)")

truth, hits, trials = 1.0, 0, 300
for trial in range(trials):
    draws = np.random.default_rng(trial).lognormal(0.0, 1.0, size=20)   # true median exp(0) = 1
    low, high = BenchmarkResult("sim", draws).confidence_interval(resamples=500, seed=trial)
    hits += low <= truth <= high
print(f"simulation: {hits}/{trials} = {hits / trials:.1%} of 95% intervals (n = 20, lognormal) contain the true median")

figure, axis = plt.subplots(figsize=(5.5, 3.5))
counts = np.array([row[0] for row in width_rows])
relative = np.array([row[2] / row[1] for row in width_rows])
axis.loglog(counts, relative, "o-", label="measured CI width / median")
axis.loglog(counts, relative[2] * np.sqrt(counts[2] / counts), "k:", label=r"$\propto 1/\sqrt{n}$")
axis.set(xlabel="repeats n", ylabel="relative width of the 95% CI", title="Four times the repeats, half the width")
axis.legend()
plt.show()

# %% [markdown]
# The width falls roughly like $1/\sqrt n$ (the dotted line), with bumps where the machine was
# busy: four times as many repeats for half the uncertainty. Past a few percent of the median
# more repeats rarely pay; what dominates then is *drift* — the machine being in a different
# state for the next run — which no amount of repeating within one run can see. The
# simulation shows the bootstrap interval is honest: close to 95 % of the intervals contain
# the true median (bootstrap intervals run slightly short for small $n$; a few points below 95
# is normal).
#
# ## Step 5 — Is B faster than A? Speed-ups with intervals, and a suite
#
# The speed-up of a candidate over a baseline is a ratio of medians,
#
# $$S = \frac{\operatorname{median}(t^{\text{baseline}})}{\operatorname{median}(t^{\text{candidate}})},$$
#
# above 1 when the candidate is faster. Its interval comes from the same bootstrap: resample
# both sets of timings (independently: they are separate runs), take the ratio of each pair of
# resampled medians, and cut the tails. Then the rule for claims:
#
# - the interval **excludes 1**: the difference is larger than this run's noise — report it,
#   with the interval;
# - the interval **contains 1**: this measurement cannot tell the two apart. Not "no
#   difference": "not resolved".
#
# Overlapping intervals of the two medians are a cruder version of the same test (two
# intervals can overlap a little while the ratio's interval still excludes 1), which is why we
# bootstrap the ratio itself.
#
# `BenchmarkSuite` collects benchmarks that share one setting (warm-up, repeats, clock) and
# prints a markdown table. Write `speedup` and `BenchmarkSuite.run`; the table is given.

# %% nbgrader={"grade": false, "grade_id": "suite-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
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
    ### BEGIN SOLUTION
    ratio = baseline.median / candidate.median
    rng = np.random.default_rng(seed)
    base = bootstrap_medians(baseline.samples, resamples, rng)
    cand = bootstrap_medians(candidate.samples, resamples, rng)
    tail = 100 * (1 - level) / 2
    low, high = percentile(base / cand, [tail, 100 - tail])
    return SpeedupEstimate(baseline.name, candidate.name, float(ratio), float(low), float(high), level)
    ### END SOLUTION


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
        ### BEGIN SOLUTION
        for name, benchmark in self.benchmarks.items():
            self.results[name] = benchmark.run()
        return self.results
        ### END SOLUTION

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


# %% nbgrader={"grade": true, "grade_id": "suite-speedups", "locked": true, "points": 3, "schema_version": 3, "solution": false}
clock = FakeClock()
suite = BenchmarkSuite(warmup=1, repeats=6, clock=clock, resamples=400, seed=3)
slow_costs = iter([99, 40, 42, 40, 41, 44, 40])        # one warm-up call, then six timed
fast_costs = iter([99, 10, 11, 10, 10, 12, 10])
suite.add("slow", lambda: clock.advance(next(slow_costs)))
suite.add("fast", lambda: clock.advance(next(fast_costs)))
results = suite.run()
assert list(results) == ["slow", "fast"], f"run() returns the results by name, in order: got {list(results)}"
assert results is suite.results, "run() stores its results in suite.results and returns them"
np.testing.assert_array_equal(results["fast"].samples, [10, 11, 10, 10, 12, 10])

estimate = suite.speedup("slow", "fast")
assert isinstance(estimate, SpeedupEstimate)
assert estimate.ratio == 40.5 / 10.0, f"speed-up = baseline median / candidate median = 40.5 / 10 = 4.05, got {estimate.ratio}"
assert estimate.low <= estimate.ratio <= estimate.high and estimate.significant, f"a clear 4x: {estimate}"
rng = np.random.default_rng(3)
base = np.median(results["slow"].samples[rng.integers(0, 6, size=(400, 6))], axis=1)
cand = np.median(results["fast"].samples[rng.integers(0, 6, size=(400, 6))], axis=1)
np.testing.assert_allclose([estimate.low, estimate.high], np.percentile(base / cand, [2.5, 97.5]), rtol=1e-12,
                           err_msg="resample the baseline first, then the candidate, with one generator")
same = speedup(results["slow"], BenchmarkResult("slow again", results["slow"].samples), resamples=400)
assert same.ratio == 1.0 and not same.significant, f"a benchmark against itself is not resolved: {same}"

table = suite.table(baseline="slow", unit="s")
rows = [line for line in table.splitlines() if line.startswith("| slow") or line.startswith("| fast")]
assert len(rows) == 2 and "4.05x" in rows[1] and "| 10 |" in rows[1], f"the table should show fast at 10 s and 4.05x:\n{table}"
print(table)
print("Step 5 passed:", estimate)
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1905)
for _ in range(5):
    n_a, n_b, seed = int(rng.integers(3, 30)), int(rng.integers(3, 30)), int(rng.integers(0, 1000))
    a = BenchmarkResult("a", rng.lognormal(0.0, 0.3, size=n_a))
    b = BenchmarkResult("b", rng.lognormal(-1.0, 0.3, size=n_b))
    level = float(rng.uniform(0.6, 0.99))
    got = speedup(a, b, level=level, resamples=300, seed=seed)
    generator = np.random.default_rng(seed)
    base = np.median(a.samples[generator.integers(0, n_a, size=(300, n_a))], axis=1)
    cand = np.median(b.samples[generator.integers(0, n_b, size=(300, n_b))], axis=1)
    tail = 100 * (1 - level) / 2
    np.testing.assert_allclose(got.ratio, np.median(a.samples) / np.median(b.samples), rtol=1e-12)
    np.testing.assert_allclose([got.low, got.high], np.percentile(base / cand, [tail, 100 - tail]), rtol=1e-12)
    assert (got.baseline, got.candidate, got.level) == ("a", "b", level)
    assert type(got.ratio) is float and type(got.low) is float and type(got.high) is float
    inverse = speedup(b, a, level=level, resamples=300, seed=seed)
    np.testing.assert_allclose(inverse.ratio * got.ratio, 1.0, rtol=1e-12)
clock = FakeClock()
three = BenchmarkSuite(warmup=0, repeats=3, clock=clock)
for name, cost in (("c", 5.0), ("a", 1.0), ("b", 2.0)):
    three.add(name, lambda cost=cost: clock.advance(cost))
assert list(three.run()) == ["c", "a", "b"]
np.testing.assert_allclose(three.speedup("c", "a").ratio, 5.0)
### END HIDDEN TESTS

# %% [markdown]
# ### Systems view: an A/A test and an A/B test
#
# Before trusting a harness, point it at two things that are *the same*: an "A/A test". Below,
# the suite times the $96\times96$ workload twice under two names, and a $128\times128$ version
# that does $(128/96)^3 \approx 2.4$ times the arithmetic. A plot shows each median with its
# interval. A note on method: the suite runs its benchmarks one after the other, so a change in
# the machine's load between them (drift) looks like a difference between them. Real harnesses
# interleave the candidates call by call, or repeat the whole comparison several times.

# %%
bigger = np.random.default_rng(1).standard_normal((128, 128)).astype(np.float32)


def five_bigger_products():
    for _ in range(5):
        bigger @ bigger


suite = BenchmarkSuite(warmup=5, repeats=30)
suite.add("96x96", five_products)
suite.add("96x96 again", five_products)
suite.add("128x128", five_bigger_products)
suite.run()
print(suite.table(baseline="96x96", unit="us"))
print()
for candidate in ("96x96 again", "128x128"):
    print(suite.speedup("96x96", candidate))


def plot_results(results, unit="us", ax=None, level=0.95):
    """Medians with their bootstrap intervals, one bar per result (notebook helper, not exported)."""
    ax = ax or plt.subplots(figsize=(6, 3))[1]
    scale = TIME_UNITS[unit]
    names = list(results)
    medians = np.array([results[name].median for name in names]) * scale
    bounds = np.array([results[name].confidence_interval(level) for name in names]) * scale
    ax.bar(names, medians, color="tab:blue", alpha=0.7)
    ax.errorbar(names, medians, yerr=[medians - bounds[:, 0], bounds[:, 1] - medians], fmt="none", ecolor="k",
                capsize=6)
    ax.set(ylabel=f"median time ({unit})", title=f"Medians with {level:.0%} bootstrap intervals")
    return ax


plot_results(suite.results)
plt.show()

# %% [markdown]
# Read the two verdicts the cell printed. The A/A pair ran identical code, so its ratio
# should be close to 1 — and if its interval nevertheless excludes 1, you have *measured
# drift*: the machine changed between the two runs, and any real difference smaller than that
# is not believable from one run. And "resolved" is not "important": with enough repeats
# an interval can exclude 1 for a difference of half a percent, which is real for this run
# but smaller than what changes between runs. The $128\times128$ workload does 2.4 times the arithmetic;
# its speed-up is below 1 (it is slower) and, unless the machine was very disturbed, clearly
# resolved. Whether its time grew by the full 2.4 depends on how well BLAS uses the cache at
# each size (module 18).
#
# ## Step 6 — Comparing models: latency, size, accuracy
#
# A model that is faster but wrong, or smaller but slower, is a trade-off, not a win. So a
# model comparison reports three numbers per model:
#
# - **latency**: a `Benchmark` of one forward pass on a fixed batch, in inference mode: under
#   `no_grad()` (no graph recorded — a deployed model does not train) and in `eval()` mode
#   (dropout off). The helper `inference(model)` below does both and puts the model's mode
#   back afterwards, because a benchmark must not change what it measures;
# - **size**: the bytes a model's numbers occupy. For ordinary layers that is the sum of
#   `p.data.nbytes` over the parameters (4 bytes per float32). A layer that stores its numbers
#   differently says so with an `nbytes()` method — module 16's `QuantizedLinear` counts its
#   int8 weights, scales and bias. Rule: a model with `nbytes()` reports that; a `Sequential`
#   is the sum of its layers; anything else sums its parameters' bytes;
# - **accuracy**: the fraction of held-out examples whose highest output is the true class.

# %% nbgrader={"grade": false, "grade_id": "compare-models-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
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
    ### BEGIN SOLUTION
    if callable(getattr(model, "nbytes", None)):
        return int(model.nbytes())
    if isinstance(model, Sequential):
        return sum(model_size_bytes(layer) for layer in model.layers)
    return sum(int(p.data.nbytes) for p in model.parameters())
    ### END SOLUTION


def accuracy(model, x, y):
    """Fraction (a Python float) of the rows of x whose predicted class — the argmax of
    model(Tensor(x)) over its LAST axis — equals y. Run the model inside inference(model)."""
    ### BEGIN SOLUTION
    with inference(model):
        outputs = model(Tensor(x))
    predictions = outputs.data.argmax(axis=-1)
    return float(np.mean(predictions == np.asarray(y)))
    ### END SOLUTION


def compare_models(models, x, y, warmup=3, repeats=20, clock=time.perf_counter, latency_batch=None):
    """{name: ModelReport} for the models of the dict `models`, in its order.

    For each model: latency is Benchmark(name, a forward pass of the model on `batch`,
    warmup, repeats, clock).run(), run inside inference(model); `batch` is one Tensor of the
    first `latency_batch` rows of x (all of x when None), built once before any timing.
    nbytes is model_size_bytes(model); accuracy is accuracy(model, x, y) on all of x.
    """
    rows = x.data if isinstance(x, Tensor) else np.asarray(x)
    batch = Tensor(rows if latency_batch is None else rows[:latency_batch])
    ### BEGIN SOLUTION
    reports = {}
    for name, model in models.items():
        with inference(model):
            latency = Benchmark(name, lambda: model(batch), warmup, repeats, clock).run()
        reports[name] = ModelReport(name, latency, model_size_bytes(model), accuracy(model, rows, y))
    return reports
    ### END SOLUTION


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


# %% [markdown]
# The test below makes latency exact with a `Delay` layer: it advances the fake clock by a
# fixed cost and passes its input through, so a model's "latency" is whatever the test says.

# %%
class Delay(Layer):
    """A layer that costs `cost` on `clock` and changes nothing (for timing tests)."""

    def __init__(self, clock, cost):
        self.clock, self.cost = clock, cost

    def forward(self, x):
        self.clock.advance(self.cost)
        return x


def digits_like(seed, rows=40):
    """A small seeded classification set: inputs (rows, 8) and labels in 0..3."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((rows, 8)).astype(np.float32), rng.integers(0, 4, size=rows)


# %% nbgrader={"grade": true, "grade_id": "model-comparison", "locked": true, "points": 3, "schema_version": 3, "solution": false}
x, y = digits_like(0)
np.random.seed(0)
network = Sequential(Linear(8, 16), GELU(), Linear(16, 4))
assert model_size_bytes(network) == 4 * (8 * 16 + 16 + 16 * 4 + 4), \
    f"float32 parameters: 4 bytes each, {4 * (8 * 16 + 16 + 16 * 4 + 4)} bytes, got {model_size_bytes(network)}"
int8 = quantize_model(network)
assert model_size_bytes(int8) == (8 * 16 + 4 * 16 + 4 * 16) + (16 * 4 + 4 * 4 + 4 * 4), \
    f"QuantizedLinear layers report nbytes(): int8 weights + float32 scales and biases, got {model_size_bytes(int8)}"
with no_grad():
    expected_accuracy = float(np.mean(network(Tensor(x)).data.argmax(axis=1) == y))
assert accuracy(network, x, y) == expected_accuracy, f"accuracy {accuracy(network, x, y)} != {expected_accuracy}"

clock = FakeClock()
slow = Sequential(Delay(clock, 8.0), *network.layers)
fast = Sequential(Delay(clock, 2.0), *int8.layers)
reports = compare_models({"baseline": slow, "int8": fast}, x, y, warmup=2, repeats=5, clock=clock)
assert list(reports) == ["baseline", "int8"], f"one report per model, in order: {list(reports)}"
assert all(isinstance(report, ModelReport) for report in reports.values())
np.testing.assert_array_equal(reports["baseline"].latency.samples, [8.0] * 5, err_msg="latency via the Benchmark")
assert reports["int8"].latency.median == 2.0 and reports["int8"].latency.name == "int8"
assert reports["baseline"].nbytes == model_size_bytes(network) and reports["int8"].nbytes == model_size_bytes(int8)
assert reports["baseline"].accuracy == expected_accuracy
assert reports["int8"].accuracy == accuracy(int8, x, y)
assert slow.training, "compare_models must leave the model in the mode it found it"
print(comparison_table(reports, baseline="baseline", unit="s"))
print("Step 6 passed: latency, size and accuracy per model.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1906)
for trial in range(4):
    rows, width, classes = int(rng.integers(5, 50)), int(rng.integers(2, 12)), int(rng.integers(2, 7))
    xs = rng.standard_normal((rows, width)).astype(np.float32)
    ys = rng.integers(0, classes, size=rows)
    np.random.seed(1906 + trial)
    hidden = int(rng.integers(1, 20))
    # Dropout makes an accidental training-mode forward random: accuracy must be the eval-mode one
    model = Sequential(Linear(width, hidden), GELU(), Dropout(0.5), Linear(hidden, classes, bias=bool(trial % 2)))
    model.train()
    with no_grad():
        model.eval()
        logits = model(Tensor(xs)).data
        model.train()
    exact = float(np.mean(logits.argmax(axis=-1) == ys))
    assert accuracy(model, xs, ys) == exact and model.training
    expected_bytes = sum(p.data.nbytes for p in model.parameters())
    assert model_size_bytes(model) == expected_bytes
    q = quantize_model(model)
    q_bytes = sum(layer.nbytes() for layer in q.layers if hasattr(layer, "nbytes"))
    assert model_size_bytes(q) == q_bytes
    clock = FakeClock()
    costs = [float(c) for c in rng.integers(1, 100, size=2)]
    timed = {f"m{i}": Sequential(Delay(clock, cost), *m.layers) for i, (cost, m) in enumerate(zip(costs, (model, q)))}
    batch_size = int(rng.integers(1, rows + 1))
    seen = []

    class RowSpy(Layer):
        def forward(self, v):
            seen.append(v.shape[0])
            return v

    timed["m0"].layers.insert(1, RowSpy())
    out = compare_models(timed, xs, ys, warmup=1, repeats=3, clock=clock, latency_batch=batch_size)
    assert seen[:4] == [batch_size] * 4 and seen[4] == rows, f"latency on {batch_size} rows, accuracy on all: {seen}"
    np.testing.assert_array_equal(out["m0"].latency.samples, [costs[0]] * 3)
    np.testing.assert_array_equal(out["m1"].latency.samples, [costs[1]] * 3)
    assert out["m0"].accuracy == exact and out["m1"].nbytes == q_bytes
    assert all(p.grad is None for p in model.parameters()), "benchmarking must not produce gradients"
### END HIDDEN TESTS

# %% [markdown]
# ## Putting it together — a baseline and its optimised versions
#
# The closing comparison of the systems half of the course. The baseline is a digits
# classifier $64 \to 128 \to 10$ with GELU, trained for a few seconds with Adam (seeded, so
# every run trains the same model). Then the three optimisations of modules 16–18:
#
# | name | how it is made | what it should change |
# |---|---|---|
# | int8 | `quantize_model(baseline, calibration)` (16) | size ÷ ~4, accuracy ≈ same |
# | pruned 80 % | copy, `magnitude_prune(copy, 0.8)`, 2 epochs of masked fine-tuning (17) | accuracy ≈ same; size? |
# | fused | `fuse_linear_gelu(baseline)` (18) | same numbers, fewer passes over memory |
# | pruned + int8 | `quantize_model(pruned)` | both |
#
# The training code below is given; the graded cell after it runs your `compare_models` on
# the five models and checks what must hold regardless of the machine.

# %%
images, labels = load_digits()
features = images.reshape(len(images), -1).astype(np.float32) / 16.0
x_train, x_test, y_train, y_test = train_test_split(features, labels, test_fraction=0.2, seed=0)


def make_baseline(seed):
    np.random.seed(seed)
    return Sequential(Linear(64, 128), GELU(), Linear(128, 10))


def train(model, optimizer, epochs, seed, batch_size=64):
    """Plain mini-batch training with cross-entropy on the digits training split."""
    loss_fn = CrossEntropyLoss()
    order_rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = order_rng.permutation(len(x_train))
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            optimizer.zero_grad()
            loss_fn(model(Tensor(x_train[rows])), y_train[rows]).backward()
            optimizer.step()


def copy_model(model, seed=0):
    clone = make_baseline(seed)
    for mine, theirs in zip(clone.parameters(), model.parameters()):
        mine.data = theirs.data.copy()
    return clone


started = time.perf_counter()
baseline = make_baseline(19)
train(baseline, Adam(baseline.parameters(), lr=0.005), epochs=6, seed=19)
calibration = [x_train[:256]]
quantized = quantize_model(baseline, calibration_batches=calibration)
pruned = copy_model(baseline)
masks = magnitude_prune(pruned, 0.8)
train(pruned, MaskedOptimizer(Adam(pruned.parameters(), lr=0.002), prunable_weights(pruned), masks), epochs=2, seed=20)
fused = fuse_linear_gelu(baseline)
pruned_quantized = quantize_model(pruned, calibration_batches=calibration)
candidates = {"baseline fp32": baseline, "int8": quantized, "pruned 80%": pruned, "fused GELU": fused,
              "pruned + int8": pruned_quantized}
print(f"trained and optimised in {time.perf_counter() - started:.1f} s; pruned sparsity {sparsity(pruned):.1%}")

# %% nbgrader={"grade": true, "grade_id": "benchmarking-integration", "locked": true, "points": 3, "schema_version": 3, "solution": false}
reports = compare_models(candidates, x_test, y_test, warmup=5, repeats=40)
print(comparison_table(reports, baseline="baseline fp32"))
base_report = reports["baseline fp32"]
assert base_report.accuracy > 0.93, f"the baseline should classify > 93% of held-out digits, got {base_report.accuracy:.1%}"
assert base_report.nbytes == 4 * (64 * 128 + 128 + 128 * 10 + 10), f"baseline bytes {base_report.nbytes}"
assert reports["int8"].nbytes < 0.3 * base_report.nbytes, "int8 weights take about a quarter of the bytes"
assert reports["int8"].accuracy > base_report.accuracy - 0.03, "int8 should keep the accuracy within 3 points"
assert reports["pruned 80%"].nbytes == base_report.nbytes, "zeros stored densely still take 4 bytes each"
assert reports["pruned 80%"].accuracy > base_report.accuracy - 0.05, "80% pruning + fine-tuning keeps the accuracy"
assert abs(reports["fused GELU"].accuracy - base_report.accuracy) < 1e-9, "fusing changes no prediction"
for name, report in reports.items():
    assert len(report.latency) == 40 and report.latency.min > 0, f"{name}: 40 positive timings expected"
    low, high = report.latency.confidence_interval()
    assert low <= report.latency.median <= high
print("Integration passed: five models compared on latency, size and accuracy.")
### BEGIN HIDDEN TESTS
# Measuring must not change what is measured: benchmarking a training step leaves the
# gradients exactly those of an unbenchmarked step, and they match central differences.
from autograder.gradcheck import check_model_gradients

rng = np.random.default_rng(1907)
np.random.seed(1907)
small = Sequential(Linear(6, 5), GELU(), Linear(5, 3))
for p in small.parameters():
    p.data = p.data.astype(np.float64)
twin = Sequential(Linear(6, 5), GELU(), Linear(5, 3))
for mine, theirs in zip(twin.parameters(), small.parameters()):
    mine.data = theirs.data.copy()
inputs = Tensor(rng.standard_normal((7, 6)))
targets = rng.integers(0, 3, size=7)
loss_fn = CrossEntropyLoss()


def gradient_step(model):
    for p in model.parameters():
        p.zero_grad()
    loss_fn(model(inputs), targets).backward()


gradient_step(twin)
step_result = Benchmark("train step", lambda: gradient_step(small), warmup=2, repeats=5).run()
assert len(step_result) == 5
for benchmarked, plain in zip(small.parameters(), twin.parameters()):
    np.testing.assert_array_equal(benchmarked.grad, plain.grad)
    np.testing.assert_array_equal(benchmarked.data, plain.data)
compare_models({"small": small}, inputs.data, targets, warmup=1, repeats=2)
for benchmarked, plain in zip(small.parameters(), twin.parameters()):
    np.testing.assert_array_equal(benchmarked.grad, plain.grad)
gradient_report = check_model_gradients(small, lambda: loss_fn(small(inputs), targets), max_entries=10)
### END HIDDEN TESTS

# %% [markdown]
# ### Reading the comparison
#
# The picture below puts the three axes side by side.

# %%
names = list(reports)
figure, axes = plt.subplots(1, 3, figsize=(13, 3.6))
plot_results({name: reports[name].latency for name in names}, ax=axes[0])
axes[0].set_yscale("log")  # int8 in numpy can be 100 times slower: a log axis shows every bar
axes[0].set_title("latency of one test-set batch (log scale)")
axes[1].bar(names, [reports[name].nbytes / 1024 for name in names], color="tab:green")
axes[1].set(ylabel="KB stored", title="size")
accuracies = [100 * reports[name].accuracy for name in names]
axes[2].bar(names, accuracies, color="tab:orange")
axes[2].set(ylabel="held-out accuracy (%)", ylim=(min(accuracies) - 5, 100), title="accuracy")
for axis in axes:
    axis.tick_params(axis="x", rotation=30)
figure.tight_layout()
plt.show()

nonzero = sum(int(np.count_nonzero(w.data)) for w in prunable_weights(pruned))
biases = sum(p.data.size for p in pruned.parameters() if p.data.ndim == 1)
csr_bytes = nonzero * (4 + 4) + (64 + 1 + 128 + 1) * 4 + biases * 4   # values + column ids + row pointers + biases
print(f"pruned model: {nonzero} non-zero weights; stored densely {reports['pruned 80%'].nbytes / 1024:.1f} KB, "
      f"as CSR it would take {csr_bytes / 1024:.1f} KB")

# %% [markdown]
# What the table says — and what it does not:
#
# - **Size** is exact and machine-independent. int8 cuts the bytes to about a quarter;
#   pruning *by itself* cuts nothing, because zeros stored densely are still 4 bytes each.
#   Stored as a sparse matrix (values and column indices, 8 bytes per kept weight) the pruned
#   model shrinks by the factor printed above — and pruning followed by int8 would be
#   smallest of all with a sparse int8 format, which is what deployment toolchains do.
# - **Accuracy** is exact for a given model and seed. It is the check that the optimisations
#   were worth their name: each stayed within a few points of the baseline.
# - **Latency** is the number to read with its interval. In numpy, the int8 models are
#   typically *slower*: their integer matrix products do not go through BLAS (which handles
#   floats only), and they quantize every input on the fly. Real int8 speed comes from
#   hardware instructions that process 4 int8 numbers in the space of one float — the size
#   win is real everywhere, the speed win only where the kernels exist.
# - The **pruned** model does exactly the baseline's dense arithmetic (a product with zeros
#   costs the same as any other), so its latency row is a free calibration: whatever
#   difference it shows from the baseline is the machine drifting between the two runs, not
#   the model. A claimed speed-up of the **fused** model that is no bigger than that
#   difference is not a result, whatever its interval says — an interval only covers the
#   noise *within* one run. Read both rows before claiming anything; "(n.r.)" marks a ratio
#   whose interval contains 1.
#
# That is how a result is reported in the style of MLPerf: every model on the same data, the
# same batch and the same harness; latency as a median with its interval (and a tail
# percentile where users wait); the accuracy target stated next to it; and nothing claimed that
# the interval does not resolve.
#
# ## Summary
#
# You built the instrument that judges every other module's claims:
#
# - `Benchmark.run`: warm-up calls untimed, then one clock-read-to-clock-read timing per call,
#   with an injectable clock that makes timing tests exact;
# - `BenchmarkResult`: mean, median, sample standard deviation, min, max, and your own
#   linear-interpolation `percentile`; the median and upper percentiles because timings are
#   skewed, with a floor and a long tail;
# - `bootstrap_medians` and `confidence_interval`: a seeded, deterministic bootstrap interval
#   for the median, which needs no normality and shrinks like $1/\sqrt n$;
# - `speedup` and `BenchmarkSuite`: ratios of medians with intervals, and the rule that a
#   speed-up whose interval contains 1 is not resolved;
# - `model_size_bytes`, `accuracy`, `compare_models`: latency, bytes and accuracy side by side,
#   in inference mode, without touching the model's gradients or mode.
#
# And you measured why this matters: a noisy neighbour doubles a mean while the median stays
# put; an A/A test reveals the drift of the machine; int8 shrinks a model by 4 yet runs slower
# in numpy; pruning keeps accuracy but not bytes until the format is sparse.
#
# **Export your work** into your own package: `python -m autograder export` with this
# notebook writes `tinytorch/perf/benchmarking.py`. That completes TinyTorch.
