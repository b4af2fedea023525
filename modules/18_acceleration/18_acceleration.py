# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Module 18 — Acceleration
#
# Your framework computes the right numbers. This module is about computing them *fast*, and
# about the habit that makes optimisation honest: **every faster version is checked against the
# plain one, and every speed-up is measured, not assumed.**
#
# **What you build.**
# - three matrix products: `matmul_loops` (three Python loops), `matmul_vectorized_rows` (one
#   loop, numpy does each row) and `matmul_tiled` (cache blocking), each checked against `a @ b`;
# - fused kernels that make fewer passes over memory and fewer temporary arrays:
#   `fused_bias_relu`, `fused_softmax` and `fused_linear_gelu`, plus the backward of the last one
#   so that it can train (`linear_gelu`, `FusedLinearGELU`);
# - memory-layout tools: `contiguous_strides`, `is_contiguous`, and `sum_over_axis`, which picks
#   its loop order from the strides;
# - `sliding_windows`, a strided *view* that reads overlapping windows without copying;
# - `fuse_linear_gelu`, which rewrites a `Sequential` model to use the fused layer, and gives
#   the same outputs and gradients.
#
# **Why build it yourself.** "Vectorize it", "mind the cache", "fuse the kernels" and "use
# contiguous memory" are the four rules behind every fast deep-learning library. Here you
# measure how much each one is worth on the machine in front of you — and where one of them
# does not help at all.
#
# **What you need.** Module 01's `Tensor`, module 02's `GELU`, `ReLU` and `Softmax`, module 03's
# `Linear` and `Sequential`, module 05's autograd (`Function`, `attach`). Nothing from modules
# 08–17.
#
# **Where it lands.** `tinytorch/perf/acceleration.py`. Module 19 benchmarks these kernels
# against the plain versions.
#
# **A word on timings.** The numbers below come from whatever machine runs this notebook. The
# course machine is a small shared box, so every timing is the **median** of several repeats
# (and the best run is shown beside it), the numbers will differ from run to run, and no test
# asserts anything about speed. Tests check *correctness*; the prose reports *speed*.
#
# **How this notebook works.** Fill in the places marked `# YOUR CODE HERE` (delete the
# `raise NotImplementedError()` line), run the cell, then the test cell below it. When your
# notebook is graded, hidden tests try random shapes (including ones the tile size does not
# divide and dimensions of size 1), both float32 and float64, and check gradients against
# central differences.

# %%
#| default_exp perf.acceleration
#| export
import numpy as np
from numpy.lib.stride_tricks import as_strided

import tinytorch.core.autograd  # noqa: F401  (gradients on)
from tinytorch.core.activations import GELU
from tinytorch.core.autograd import Function, attach
from tinytorch.core.layers import Layer, Linear, Sequential
from tinytorch.core.tensor import Tensor

# %%
import os
import time
import tracemalloc

import matplotlib.pyplot as plt

from tinytorch.core.activations import ReLU, Softmax


def measure(compute, repeats=5):
    """(median, best) wall time in seconds of compute() over `repeats` runs, after one warm-up."""
    compute()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        compute()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), float(min(times))


def peak_memory(compute):
    """Peak bytes allocated while compute() runs (numpy reports its arrays to tracemalloc)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    compute()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


blas_name = np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {}).get("name", "unknown")
blas_threads = (os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
                or f"not set, so OpenBLAS uses one thread per core ({os.cpu_count()} cores)")
print(f"numpy {np.__version__}, BLAS: {blas_name}, BLAS threads: {blas_threads}")

# %% [markdown]
# ## Where the time goes in a matrix product
#
# A matrix product $C = AB$ with $A \in \mathbb{R}^{n\times k}$ and $B \in \mathbb{R}^{k\times m}$
# computes
#
# $$C_{ij} = \sum_{p=1}^{k} A_{ip} B_{pj},$$
#
# $nm$ sums of $k$ products: $2nmk$ floating-point operations (FLOPs). For square matrices
# that is $2n^3$. A modern core can do tens of FLOPs per nanosecond; so a $512\times512$ product
# (268 million FLOPs) *could* take a few milliseconds. Whether it does depends on two things:
#
# 1. **Overhead per operation.** Python runs each `+` and `*` through its interpreter: look up
#    the objects, check their types, allocate a result. That costs tens of nanoseconds *per
#    multiply-add*, a hundred times the multiply-add itself.
# 2. **Memory traffic.** Even compiled code waits for memory. A number read from main memory
#    costs about 100 ns; from the L1 cache, about 1 ns. Fast code reuses what is already in cache.
#
# The three products you write next remove these costs one at a time.
#
# ## Step 1 — Three loops
#
# The definition, written literally: a loop over rows $i$, a loop over columns $j$, and an
# inner loop over $p$ accumulating $A_{ip}B_{pj}$. It is the reference every faster version is
# compared with — and so slow that it only ever runs on tiny inputs.
#
# `_check_matmul_shapes` below is given: every product in this module starts with it, so a shape
# mistake gives a message that names the shapes.

# %% nbgrader={"grade": false, "grade_id": "matmul-loops-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
def _check_matmul_shapes(a, b):
    """Raise a readable ValueError unless a (n, k) @ b (k, m) is a valid 2-D product."""
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"these kernels multiply 2-D arrays, got shapes {a.shape} and {b.shape}")
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"cannot multiply {a.shape} by {b.shape}: inner sizes {a.shape[1]} and {b.shape[0]} differ")


def matmul_loops(a, b):
    """a @ b for 2-D numpy arrays with three Python loops (the reference; tiny inputs only).

    Return a new array of shape (n, m) and dtype np.result_type(a, b): float32 inputs give a
    float32 result. out[i, j] is the sum over p of a[i, p] * b[p, j].

    Hint: start from `np.zeros((n, m), dtype=...)` and add into out[i, j] in the inner loop.
    """
    _check_matmul_shapes(a, b)
    ### BEGIN SOLUTION
    rows, inner = a.shape
    cols = b.shape[1]
    out = np.zeros((rows, cols), dtype=np.result_type(a, b))
    for i in range(rows):
        for j in range(cols):
            for p in range(inner):
                out[i, j] += a[i, p] * b[p, j]
    return out
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "matmul-loops", "locked": true, "points": 2, "schema_version": 3, "solution": false}
a = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
b = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 3.0]])
result = matmul_loops(a, b)
np.testing.assert_allclose(result, a @ b, err_msg="matmul_loops([[1,2],[3,4],[5,6]], ...) should equal a @ b")
assert result.shape == (3, 3), f"(3, 2) @ (2, 3) gives (3, 3), got {result.shape}"
assert matmul_loops(a.astype(np.float32), b.astype(np.float32)).dtype == np.float32, "float32 inputs give float32"
try:
    matmul_loops(a, a)
    raise AssertionError("(3, 2) @ (3, 2) should raise a ValueError")
except ValueError:
    pass
print("Step 1 passed: three loops compute the definition.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1801)
for dtype, tolerance in ((np.float64, 1e-12), (np.float32, 1e-5)):
    for _ in range(6):
        n, k, m = (int(size) for size in rng.integers(1, 7, size=3))
        a, b = rng.standard_normal((n, k)).astype(dtype), rng.standard_normal((k, m)).astype(dtype)
        a_before, b_before = a.copy(), b.copy()
        result = matmul_loops(a, b)
        assert result.shape == (n, m) and result.dtype == dtype, (result.shape, result.dtype)
        np.testing.assert_allclose(result, a.astype(np.float64) @ b.astype(np.float64), rtol=tolerance, atol=tolerance)
        assert np.array_equal(a, a_before) and np.array_equal(b, b_before), "inputs must not change"
np.testing.assert_allclose(matmul_loops(np.ones((1, 1)), np.full((1, 1), 3.0)), [[3.0]])
### END HIDDEN TESTS

# %% [markdown]
# ## Step 2 — One loop, numpy does the rest
#
# Row $i$ of $C$ is row $i$ of $A$ times the whole of $B$:
#
# $$C_{i,:} = A_{i,:}\, B .$$
#
# So one Python loop over the $n$ rows is enough; each step hands a vector–matrix product of
# $2km$ FLOPs to numpy's compiled code. The interpreter now runs $n$ times instead of $nmk$
# times. Write `matmul_vectorized_rows` with exactly that loop.

# %% nbgrader={"grade": false, "grade_id": "matmul-vectorized-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
def matmul_vectorized_rows(a, b):
    """a @ b for 2-D arrays with one Python loop over the rows of a.

    Return a new (n, m) array of dtype np.result_type(a, b). Each row is one numpy
    vector-matrix product: row i of the result is a[i] @ b (a[i] has shape (k,), b has
    shape (k, m)).
    """
    _check_matmul_shapes(a, b)
    ### BEGIN SOLUTION
    out = np.empty((a.shape[0], b.shape[1]), dtype=np.result_type(a, b))
    for i in range(a.shape[0]):
        out[i] = a[i] @ b
    return out
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "matmul-vectorized", "locked": true, "points": 2, "schema_version": 3, "solution": false}
rng = np.random.default_rng(0)
a, b = rng.standard_normal((5, 3)), rng.standard_normal((3, 4))
result = matmul_vectorized_rows(a, b)
assert result.shape == (5, 4), f"(5, 3) @ (3, 4) gives (5, 4), got {result.shape}"
np.testing.assert_allclose(result, a @ b, rtol=1e-12, err_msg="matmul_vectorized_rows should equal a @ b")
square_a, square_b = rng.standard_normal((4, 4)), rng.standard_normal((4, 4))
np.testing.assert_allclose(matmul_vectorized_rows(square_a, square_b), square_a @ square_b, rtol=1e-12,
                           err_msg="square inputs: is b used as it is (not transposed)?")
assert matmul_vectorized_rows(a.astype(np.float32), b.astype(np.float32)).dtype == np.float32, "float32 stays float32"
print("Step 2 passed: one loop over rows matches a @ b.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1802)
for dtype, tolerance in ((np.float64, 1e-12), (np.float32, 1e-5)):
    for _ in range(8):
        n, k, m = (int(size) for size in rng.integers(1, 40, size=3))
        a, b = rng.standard_normal((n, k)).astype(dtype), rng.standard_normal((k, m)).astype(dtype)
        a_before, b_before = a.copy(), b.copy()
        result = matmul_vectorized_rows(a, b)
        assert result.shape == (n, m) and result.dtype == dtype, (result.shape, result.dtype)
        np.testing.assert_allclose(result, a.astype(np.float64) @ b.astype(np.float64), rtol=tolerance, atol=tolerance)
        assert np.array_equal(a, a_before) and np.array_equal(b, b_before), "inputs must not change"
np.testing.assert_allclose(matmul_vectorized_rows(np.ones((1, 6)), np.ones((6, 1))), [[6.0]])
np.testing.assert_allclose(matmul_vectorized_rows(np.ones((3, 1)), np.full((1, 2), 2.0)), np.full((3, 2), 2.0))
### END HIDDEN TESTS

# %% [markdown]
# ### Systems view: loops against vectorized code against BLAS
#
# Below, the three versions run on square matrices of growing size $n$: the three-loop version
# only up to $n = 32$ (it would take minutes beyond), the row loop and numpy's `a @ b` (which
# calls BLAS, a library of hand-tuned compiled matrix kernels) up to $n = 512$. Every result is
# first checked against `a @ b`. The table gives the best of several runs with the median in
# parentheses; the figure and the speed-ups use the best run, which is the one least disturbed
# by other programs on a shared machine (a median far above the best means someone else was
# using the cores).

# %%
rng = np.random.default_rng(18)
sizes = [4, 8, 16, 32, 64, 128, 256, 512]
timings = {"three loops": {}, "row loop": {}, "a @ b (BLAS)": {}}
for n in sizes:
    a, b = rng.standard_normal((n, n)).astype(np.float32), rng.standard_normal((n, n)).astype(np.float32)
    reference = a @ b
    kernels = {"row loop": matmul_vectorized_rows, "a @ b (BLAS)": np.matmul}
    if n <= 32:
        kernels["three loops"] = matmul_loops
    for name, kernel in kernels.items():
        np.testing.assert_allclose(kernel(a, b), reference, rtol=1e-4, atol=1e-4 * n)
        timings[name][n] = measure(lambda: kernel(a, b), repeats=3 if name == "three loops" else 7)


def milliseconds(median_and_best):
    median, best = median_and_best
    return f"{best * 1e3:8.3f} ({median * 1e3:8.3f})"


print("best (median) in ms; speed-ups from the best runs")
print(f"{'n':>4} {'three loops':>20} {'row loop':>20} {'BLAS':>20} {'loops/rows':>10} {'rows/BLAS':>9}")
for n in sizes:
    loops = timings["three loops"].get(n)
    rows, blas = timings["row loop"][n], timings["a @ b (BLAS)"][n]
    loops_text = milliseconds(loops) if loops else f"{'-':>19}"
    ratio_text = f"{loops[1] / rows[1]:9.0f}x" if loops else f"{'-':>10}"
    print(f"{n:4d} {loops_text} {milliseconds(rows)} {milliseconds(blas)} {ratio_text} {rows[1] / blas[1]:8.0f}x")

fig, ax = plt.subplots(figsize=(6, 4))
for name, points in timings.items():
    ax.loglog(list(points), [best for _, best in points.values()], "o-", label=name)
ax.loglog(sizes, [2 * n**3 * 1e-10 for n in sizes], "k:", label=r"$\propto n^3$ (slope 3)")
ax.set_xlabel("matrix size n (n x n @ n x n, float32)")
ax.set_ylabel("best time of several runs (s)")
ax.set_title("Same product, three implementations")
ax.legend()
plt.show()

per_multiply_add = timings["three loops"][32][1] / 32**3
print(f"three loops at n=32: {per_multiply_add * 1e9:.0f} ns per multiply-add (interpreter overhead)")
print(f"BLAS at n=512: {2 * 512**3 / timings['a @ b (BLAS)'][512][1] / 1e9:.1f} GFLOP/s")

# %% [markdown]
# Read the figure from left to right. The three-loop line sits two to three orders of magnitude
# above the others and grows with slope 3: every one of the $n^3$ multiply-adds pays the
# interpreter's toll (the printed nanoseconds per multiply-add), and that toll, not arithmetic,
# is the whole cost. The row loop pays the toll only $n$ times, so for small $n$ it is
# dominated by a constant per row and for big $n$ it approaches numpy's speed. BLAS is flat for
# small $n$ (a fixed few microseconds to call it) and then grows with slope 3 too — but at tens
# of GFLOP/s, because it keeps numbers in registers and caches, uses SIMD instructions that do
# 8 float32 multiply-adds at once, and (with several threads) several cores.
#
# If one BLAS point sits far above its neighbours (on the course machine $n = 128$ sometimes
# takes longer than $n = 256$), that is not the arithmetic: for mid-sized products OpenBLAS
# starts a second thread, and on a shared machine whose other core is busy, that thread has to
# wait for it. A multi-threaded library can be slower than one thread when the cores are not
# really free — one more reason to report the thread count beside every timing.
#
# The lesson for a framework: **never let Python touch individual numbers.** Every TinyTorch
# operation hands whole arrays to numpy for exactly this reason.
#
# ## Step 3 — Tiled (blocked) matrix product
#
# The row loop reads all of $B$ for every row of $A$. When $B$ does not fit in the cache, it is
# fetched from slower memory $n$ times. **Cache blocking** cuts the three matrices into
# $t \times t$ tiles and multiplies tile by tile:
#
# $$C_{IJ} \mathrel{+}= A_{IP}\, B_{PJ} \quad\text{for every tile row } I, \text{ tile column } J,
# \text{ and tile index } P .$$
#
# While one output tile $C_{IJ}$ is being built, the working set is three tiles: $3t^2$
# numbers, $12t^2$ bytes in float32. With $t = 64$ that is 48 KB, about the size of a core's
# L1 data cache (32–64 KB); $t = 128$ needs 192 KB, which lives in L2 (0.5–2 MB). Each number
# brought into the cache is then reused $t$ times before it is evicted.
#
# ```
#  A (n x k)          B (k x m)          C (n x m)
#  +---+---+--+       +---+---+--+       +---+---+--+
#  |IP0|IP1|..|   x   |P0J|   |  |   =   |IJ |   |  |    C_IJ = A_I,P0 B_P0,J + A_I,P1 B_P1,J + ...
#  +---+---+--+       +---+---+--+       +---+---+--+
#  |   |   |  |       |P1J|   |  |       |   |   |  |    the last tile row/column may be narrower:
#  +---+---+--+       +---+---+--+       +---+---+--+    n = 100, t = 64 gives tiles of 64 and 36
# ```
#
# Two details decide whether your version is right:
#
# - **Partial products add up.** $C_{IJ}$ is a *sum* over $P$: add each tile product into the
#   output tile, never assign it (assigning keeps only the last $P$).
# - **Sizes the tile does not divide.** With $n = 100$ and $t = 64$ the tiles start at 0 and
#   64; the second is only 36 wide. `range(0, n, t)` gives every start, and numpy slicing
#   `a[64:128]` stops at the end of the array by itself, so the narrower edge tiles need no
#   special code — as long as the loop does not stop early.

# %% nbgrader={"grade": false, "grade_id": "matmul-tiled-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
def matmul_tiled(a, b, tile=64):
    """a @ b for 2-D arrays, computed tile by tile (cache blocking).

    Loop over output tiles (row start, column start) and over the inner dimension in steps of
    `tile`, adding each product of an a-tile and a b-tile into the output tile:
        out[r:r+tile, c:c+tile] += a[r:r+tile, p:p+tile] @ b[p:p+tile, c:c+tile]
    Sizes that `tile` does not divide must work (the edge tiles are narrower). Return a new
    array of dtype np.result_type(a, b).
    """
    _check_matmul_shapes(a, b)
    if tile < 1:
        raise ValueError(f"tile must be a positive integer, got {tile}")
    ### BEGIN SOLUTION
    rows, inner = a.shape
    cols = b.shape[1]
    out = np.zeros((rows, cols), dtype=np.result_type(a, b))
    for row in range(0, rows, tile):
        for col in range(0, cols, tile):
            # The output tile stays in cache while the inner loop adds every partial product.
            for p in range(0, inner, tile):
                out[row:row + tile, col:col + tile] += a[row:row + tile, p:p + tile] @ b[p:p + tile, col:col + tile]
    return out
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "matmul-tiled", "locked": true, "points": 3, "schema_version": 3, "solution": false}
rng = np.random.default_rng(3)
a, b = rng.standard_normal((8, 8)), rng.standard_normal((8, 8))
np.testing.assert_allclose(matmul_tiled(a, b, tile=4), a @ b, rtol=1e-12,
                           err_msg="8x8 with 4x4 tiles: are the partial products over the inner tiles added up?")
a, b = rng.standard_normal((10, 7)), rng.standard_normal((7, 9))
result = matmul_tiled(a, b, tile=4)
assert result.shape == (10, 9), f"(10, 7) @ (7, 9) gives (10, 9), got {result.shape}"
np.testing.assert_allclose(result, a @ b, rtol=1e-12,
                           err_msg="10x7 @ 7x9 with tile 4: are the narrower edge tiles computed?")
np.testing.assert_allclose(matmul_tiled(a, b, tile=64), a @ b, rtol=1e-12, err_msg="one tile bigger than the matrix")
assert matmul_tiled(a.astype(np.float32), b.astype(np.float32), tile=3).dtype == np.float32, "float32 stays float32"
print("Step 3 passed: tiled product matches a @ b, edge tiles included.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1803)
for dtype, tolerance in ((np.float64, 1e-11), (np.float32, 1e-4)):
    for _ in range(10):
        n, k, m = (int(size) for size in rng.integers(1, 30, size=3))
        tile = int(rng.integers(1, 12))
        a, b = rng.standard_normal((n, k)).astype(dtype), rng.standard_normal((k, m)).astype(dtype)
        a_before, b_before = a.copy(), b.copy()
        result = matmul_tiled(a, b, tile=tile)
        assert result.shape == (n, m) and result.dtype == dtype, (n, k, m, tile, result.shape, result.dtype)
        np.testing.assert_allclose(result, a.astype(np.float64) @ b.astype(np.float64), rtol=tolerance,
                                   atol=tolerance * 10, err_msg=f"shapes ({n}, {k}) @ ({k}, {m}), tile {tile}")
        assert np.array_equal(a, a_before) and np.array_equal(b, b_before), "inputs must not change"
a, b = rng.standard_normal((67, 33)), rng.standard_normal((33, 65))
np.testing.assert_allclose(matmul_tiled(a, b, tile=16), a @ b, rtol=1e-11, atol=1e-11)
np.testing.assert_allclose(matmul_tiled(a, b), a @ b, rtol=1e-11, atol=1e-11)
### END HIDDEN TESTS

# %% [markdown]
# ### Systems view: the tile-size sweep, honestly
#
# In C, tiling is how a matrix product goes from a few hundred MFLOP/s to near peak. In numpy
# the picture is different, and the sweep below shows why. Each tile product is one call into
# BLAS, and each call costs a few microseconds of Python and numpy overhead, however small the
# tile. A $256\times256$ product with $t = 8$ makes $32^3 = 32\,768$ calls: overhead wins. With
# $t = 256$ it makes one call and *is* `a @ b`. Between the two, the tile loop trades call
# overhead against the size of each BLAS call — and BLAS itself already blocks for the cache,
# internally, better than we can from Python.

# %%
n = 256
a, b = rng.standard_normal((n, n)).astype(np.float32), rng.standard_normal((n, n)).astype(np.float32)
reference = a @ b
tile_sizes = [8, 16, 32, 64, 128, 256]
tile_times = {}
for tile in tile_sizes:
    np.testing.assert_allclose(matmul_tiled(a, b, tile), reference, rtol=1e-3, atol=1e-3)
    tile_times[tile] = measure(lambda: matmul_tiled(a, b, tile), repeats=3)
rows_time = measure(lambda: matmul_vectorized_rows(a, b), repeats=3)
blas_time = measure(lambda: a @ b, repeats=5)

for tile in tile_sizes:
    calls = (n // tile) ** 3
    working_set_kb = 3 * tile * tile * 4 / 1024
    median, best = tile_times[tile]
    print(f"tile {tile:4d}: {calls:6d} BLAS calls, working set {working_set_kb:7.1f} KB, "
          f"best {best * 1e3:7.2f} ms (median {median * 1e3:7.2f}), {best / blas_time[1]:6.1f}x the BLAS time")
print(f"row loop : best {rows_time[1] * 1e3:7.2f} ms;  a @ b: best {blas_time[1] * 1e3:6.3f} ms (median {blas_time[0] * 1e3:.3f})")
small_a, small_b = a[:32, :32].copy(), b[:32, :32].copy()
small_tiled = measure(lambda: matmul_tiled(small_a, small_b, tile=16), repeats=3)[1]
print(f"n=32: three loops {timings['three loops'][32][1] * 1e3:.1f} ms, tiled with t=16 (8 BLAS calls) "
      f"{small_tiled * 1e3:.3f} ms: {timings['three loops'][32][1] / small_tiled:.0f}x faster")

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.semilogy([str(t) for t in tile_sizes], [tile_times[t][1] for t in tile_sizes], "o-", label="matmul_tiled")
ax.axhline(rows_time[1], color="tab:orange", linestyle="--", label="row loop")
ax.axhline(blas_time[1], color="tab:green", linestyle="--", label="a @ b (BLAS)")
ax.set_xlabel("tile size t")
ax.set_ylabel("best time of several runs (s)")
ax.set_title(f"{n}x{n} float32 product: tile size sweep")
ax.legend()
plt.show()

# %% [markdown]
# What to read off the sweep:
#
# - **Against three Python loops, tiling wins by orders of magnitude**, because each tile is
#   one compiled call instead of $t^3$ interpreted multiply-adds.
# - **Against BLAS, tiling in numpy loses** at every tile size but the one that turns it back
#   into a single call: the tile loop adds Python overhead and BLAS already blocks for L1, L2
#   and registers inside. Small tiles lose most (call overhead per tile); the curve falls as
#   tiles grow.
# - Against the row loop it depends on the size: mid-sized tiles make fewer, bigger calls than
#   one per row, and often win.
#
# The idea is still the one to remember: the fastest kernels (BLAS, cuDNN, FlashAttention)
# are fast because they move each number into fast memory once and reuse it many times.
# FlashAttention is exactly a tiled attention that never writes the big score matrix to memory.
#
# ## Step 4 — Fused operations: fewer passes over memory
#
# An elementwise operation does one FLOP per number but reads and writes 8 bytes (float32), so
# it is limited by **memory bandwidth**, not arithmetic. Composing operations the plain way,
#
# ```python
# ReLU()(x @ w + b)        # x @ w -> new array; + b -> new array; ReLU -> new array
# ```
#
# makes one full pass over memory and one new temporary array per operation. A **fused**
# kernel does the same math with fewer passes and fewer temporaries. Deep-learning compilers
# (XLA, TorchInductor, TensorRT) spend most of their effort on exactly this. In numpy we cannot
# merge loops, but we can stop allocating: every ufunc accepts `out=`, which writes the result
# into an existing array instead of a new one.
#
# ```python
# out = np.add(x, bias)         # the one new array
# np.maximum(out, 0, out=out)   # ReLU in place: no second array
# ```
#
# Write three fused kernels. Each returns a **new** array and never changes its inputs (an
# in-place operation on an input would silently corrupt the caller's data, a classic bug):
#
# - `fused_bias_relu(x, bias)` $= \max(0, x + b)$ with one allocation;
# - `fused_softmax(x, axis)`: subtract the row maximum (for stability, as in module 02), then
#   `np.exp(out, out=out)` and `out /= out.sum(...)`: one full-size array instead of three;
# - `fused_linear_gelu(x, weight, bias)` $= \mathrm{GELU}(xW + b)$ with
#   $\mathrm{GELU}(z) = \tfrac12 z\,(1 + \tanh u)$, $u = \sqrt{2/\pi}\,(z + 0.044715\,z^3)$
#   (module 02's tanh form): the output buffer plus **one** scratch buffer for $u$.
#
# Keep the dtype of the inputs: multiply by Python floats (`GELU.CUBIC`, `GELU.SQRT_2_OVER_PI`
# are Python floats), which leave float32 arrays float32.

# %% nbgrader={"grade": false, "grade_id": "fused-operations-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
def fused_bias_relu(x, bias):
    """max(0, x + bias) as a new array, with one allocation; x and bias are not modified."""
    ### BEGIN SOLUTION
    out = np.add(x, bias)
    np.maximum(out, 0, out=out)
    return out
    ### END SOLUTION


def fused_softmax(x, axis=-1):
    """Softmax of a numpy array along `axis`, stable (row maximum subtracted), using one
    full-size array: out = x - max; exp in place; divide in place by the sum."""
    ### BEGIN SOLUTION
    out = x - x.max(axis=axis, keepdims=True)
    np.exp(out, out=out)
    out /= out.sum(axis=axis, keepdims=True)
    return out
    ### END SOLUTION


def fused_linear_gelu(x, weight, bias=None):
    """GELU(x @ weight + bias) (tanh form) with two full-size arrays: the output and one scratch.

    x has shape (..., in), weight (in, out), bias (out,) or None. Steps: out = x @ weight;
    out += bias; then build u in a scratch array with in-place operations
    (scratch = out * out; scratch *= out; ... np.tanh(scratch, out=scratch)), and finish with
    out *= 0.5 * (1 + tanh u), also in place.
    """
    ### BEGIN SOLUTION
    out = np.matmul(x, weight)
    if bias is not None:
        out += bias
    scratch = out * out                 # z^2: the only other full-size array
    scratch *= out                      # z^3
    scratch *= GELU.CUBIC
    scratch += out                      # z + 0.044715 z^3
    scratch *= GELU.SQRT_2_OVER_PI      # u
    np.tanh(scratch, out=scratch)
    scratch += 1.0
    scratch *= 0.5
    out *= scratch
    return out
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "fused-operations", "locked": true, "points": 3, "schema_version": 3, "solution": false}
def unfused_linear_gelu(x, weight, bias):
    """The plain composition from modules 01-03: Tensor matmul, Tensor add, module 02's GELU."""
    return GELU()(Tensor(x) @ Tensor(weight) + Tensor(bias)).data


rng = np.random.default_rng(4)
x, bias = rng.standard_normal((4, 5)).astype(np.float32), rng.standard_normal(5).astype(np.float32)
x_before = x.copy()
result = fused_bias_relu(x, bias)
np.testing.assert_allclose(result, ReLU()(Tensor(x) + Tensor(bias)).data, err_msg="fused_bias_relu = ReLU(x + bias)")
assert result.dtype == np.float32, f"float32 in, float32 out; got {result.dtype}"
assert np.array_equal(x, x_before), "fused_bias_relu changed its input x: write into a new array, not into x"

logits = rng.standard_normal((3, 6)) * 300   # large: exp without the max shift overflows
probabilities = fused_softmax(logits)
np.testing.assert_allclose(probabilities, Softmax()(Tensor(logits)).data, rtol=1e-12, atol=1e-300,
                           err_msg="fused_softmax should equal module 02's Softmax")
np.testing.assert_allclose(fused_softmax(logits, axis=0).sum(axis=0), 1.0, err_msg="axis=0 columns sum to 1")

x, weight, bias = rng.standard_normal((6, 4)), rng.standard_normal((4, 3)), rng.standard_normal(3)
np.testing.assert_allclose(fused_linear_gelu(x, weight, bias), unfused_linear_gelu(x, weight, bias), rtol=1e-12,
                           atol=1e-14, err_msg="fused_linear_gelu should equal GELU(x @ weight + bias)")
np.testing.assert_allclose(fused_linear_gelu(x, weight), GELU()(Tensor(x @ weight)).data, rtol=1e-12,
                           err_msg="bias=None means no bias")
print("Step 4 passed: the fused kernels equal the plain compositions and leave their inputs alone.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1804)
for dtype, tolerance in ((np.float64, 1e-12), (np.float32, 1e-5)):
    for _ in range(6):
        lead = tuple(int(s) for s in rng.integers(1, 5, size=int(rng.integers(1, 3))))
        n_in, n_out = (int(s) for s in rng.integers(1, 9, size=2))
        x = rng.standard_normal(lead + (n_in,)).astype(dtype)
        weight = rng.standard_normal((n_in, n_out)).astype(dtype)
        bias = rng.standard_normal(n_out).astype(dtype)
        copies = [array.copy() for array in (x, weight, bias)]
        result = fused_linear_gelu(x, weight, bias)
        assert result.shape == lead + (n_out,) and result.dtype == dtype, (result.shape, result.dtype)
        np.testing.assert_allclose(result, unfused_linear_gelu(x, weight, bias), rtol=tolerance, atol=tolerance)
        relu_result = fused_bias_relu(x, x[..., :1])
        assert relu_result.dtype == dtype
        np.testing.assert_allclose(relu_result, np.maximum(x + x[..., :1], 0), rtol=tolerance)
        axis = int(rng.integers(-1, x.ndim))
        soft = fused_softmax(x * 50, axis=axis)
        assert soft.dtype == dtype and soft.shape == x.shape
        np.testing.assert_allclose(soft, Softmax(dim=axis)(Tensor(x * 50)).data, rtol=tolerance * 10, atol=1e-30)
        for array, copy in zip((x, weight, bias), copies):
            assert np.array_equal(array, copy), "a fused kernel modified one of its inputs"
huge = np.array([[1000.0, 0.0, -1000.0]])
with np.errstate(over="raise", divide="raise", invalid="raise"):
    np.testing.assert_allclose(fused_softmax(huge), [[1.0, 0.0, 0.0]], atol=1e-300)
### END HIDDEN TESTS

# %% [markdown]
# ### Systems view: time and peak temporary memory
#
# `tracemalloc` records every array numpy allocates, so the peak it reports while a function
# runs is the memory that function needed on top of its inputs. Below, a batch of 1024 rows
# through a $512\to512$ layer, fused against the plain composition of modules 01–03 (the
# Tensor matmul and add, then module 02's `GELU`, which builds $x^3$, $u$, $\tanh u$, ... as
# separate arrays), and the two softmaxes on a $1024\times 2048$ array.

# %%
rng = np.random.default_rng(44)
x = rng.standard_normal((1024, 512)).astype(np.float32)
weight = (rng.standard_normal((512, 512)) / np.sqrt(512)).astype(np.float32)
bias = rng.standard_normal(512).astype(np.float32)
logits = rng.standard_normal((1024, 2048)).astype(np.float32)
output_mb = x.shape[0] * weight.shape[1] * 4 / 2**20

comparisons = {
    "linear + GELU": (lambda: unfused_linear_gelu(x, weight, bias), lambda: fused_linear_gelu(x, weight, bias), output_mb),
    "softmax": (lambda: Softmax()(Tensor(logits)).data, lambda: fused_softmax(logits), logits.nbytes / 2**20),
    "bias + ReLU": (lambda: ReLU()(Tensor(x) + Tensor(bias)).data, lambda: fused_bias_relu(x, bias), x.nbytes / 2**20),
}
for name, (plain, fused, size_mb) in comparisons.items():
    np.testing.assert_allclose(fused(), plain(), rtol=1e-4, atol=1e-5)
    plain_peak, fused_peak = peak_memory(plain) / 2**20, peak_memory(fused) / 2**20
    plain_time, fused_time = measure(plain, repeats=9), measure(fused, repeats=9)
    print(f"{name:14s} output {size_mb:4.1f} MB | peak memory plain {plain_peak:5.1f} MB, fused {fused_peak:5.1f} MB "
          f"| best time plain {plain_time[1] * 1e3:6.2f} ms, fused {fused_time[1] * 1e3:6.2f} ms "
          f"({plain_time[1] / fused_time[1]:.2f}x; medians {plain_time[0] * 1e3:.2f} and {fused_time[0] * 1e3:.2f} ms)")

# %% [markdown]
# The memory column is the reliable one: the fused kernels need the output plus at most one
# scratch array, while the plain compositions hold several full-size temporaries at their peak
# (count them in module 02's `GELU.forward`). The time column is smaller and noisier: numpy
# still makes one pass over memory per in-place operation, so fusing with `out=` saves the
# allocations and page faults of the temporaries, not the passes themselves. A real fused
# kernel (one compiled loop that reads each number once, applies the whole formula in
# registers and writes once) saves the passes too — for GELU that is about eight passes
# reduced to one, which is why compilers fuse elementwise chains first.
#
# ## Step 5 — Training through the fused kernel
#
# A kernel a model cannot train through is of little use. Module 05 differentiates Tensor
# operations automatically, but `fused_linear_gelu` works on raw arrays, so it needs a
# backward of its own. With $z = xW + b$ and $y = \mathrm{GELU}(z)$, the chain rule gives, for
# an upstream gradient $g = \partial L/\partial y$:
#
# $$\frac{\partial L}{\partial z} = g \odot \mathrm{GELU}'(z),\qquad
# \frac{\partial L}{\partial x} = \frac{\partial L}{\partial z} W^\top,\qquad
# \frac{\partial L}{\partial W} = x^\top \frac{\partial L}{\partial z},\qquad
# \frac{\partial L}{\partial b} = \sum_{\text{rows}} \frac{\partial L}{\partial z}.$$
#
# Module 02's `GELU().backward(Tensor(z), g)` already computes $g \odot \mathrm{GELU}'(z)$:
# reuse it. When $x$ has more than two dimensions, e.g. (batch, tokens, in), flatten all
# leading dimensions into rows first: `x.reshape(-1, n_in)` and `dz.reshape(-1, n_out)`.
#
# A design choice: the forward did not keep $z$ (that saved a full-size array), so the
# backward recomputes it with one extra matrix product. Trading compute for memory like this
# is what *activation checkpointing* does for whole networks.
#
# `LinearGELUBackward` (a module-05 `Function`), `linear_gelu` (the Tensor-level function that
# `attach`es it) and `FusedLinearGELU` (a layer built from an existing `Linear`, sharing its
# parameters) are given; they call your `linear_gelu_backward`.

# %% nbgrader={"grade": false, "grade_id": "fused-backward-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
def linear_gelu_backward(grad_output, x, weight, bias=None):
    """Gradients (dx, dweight, dbias) of y = GELU(x @ weight + bias) for upstream grad_output.

    x (..., in), weight (in, out), bias (out,) or None, grad_output (..., out): numpy arrays.
    Return dx in x's shape, dweight in weight's shape, and dbias in bias's shape (None when
    bias is None). Recompute z = x @ weight (+ bias); dz = GELU().backward(Tensor(z), grad_output).
    """
    ### BEGIN SOLUTION
    pre_activation = np.matmul(x, weight)
    if bias is not None:
        pre_activation = pre_activation + bias
    grad_pre = GELU().backward(Tensor(pre_activation), grad_output)
    grad_input = grad_pre @ weight.T
    rows_in, rows_grad = x.reshape(-1, weight.shape[0]), grad_pre.reshape(-1, weight.shape[1])
    grad_weight = rows_in.T @ rows_grad
    grad_bias = None if bias is None else rows_grad.sum(axis=0)
    return grad_input, grad_weight, grad_bias
    ### END SOLUTION


class LinearGELUBackward(Function):
    """Graph node of linear_gelu: inputs (x, weight, bias), bias possibly None."""

    def backward(self, grad_output):
        x, weight, bias = self.inputs
        return linear_gelu_backward(grad_output, x.data, weight.data, None if bias is None else bias.data)


def linear_gelu(x, weight, bias=None):
    """GELU(x @ weight + bias) for Tensors, by the fused kernel, differentiable."""
    out = fused_linear_gelu(x.data, weight.data, None if bias is None else bias.data)
    return attach(Tensor(out), LinearGELUBackward(x, weight, bias))


class FusedLinearGELU(Layer):
    """Linear followed by GELU as one fused layer; uses (and trains) the given Linear's parameters."""

    def __init__(self, linear):
        self.linear = linear

    def forward(self, x):
        return linear_gelu(x, self.linear.weight, self.linear.bias)

    def __repr__(self):
        return f"FusedLinearGELU({self.linear!r})"


# %% nbgrader={"grade": true, "grade_id": "fused-backward", "locked": true, "points": 3, "schema_version": 3, "solution": false}
from autograder.gradcheck import check_vjp

rng = np.random.default_rng(5)
x, weight, bias = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal(5)
grads = linear_gelu_backward(np.ones((4, 5)), x, weight, bias)
assert len(grads) == 3, "return (dx, dweight, dbias)"
assert [g.shape for g in grads] == [(4, 3), (3, 5), (5,)], f"gradient shapes should be (4, 3), (3, 5), (5,): {[g.shape for g in grads]}"
assert linear_gelu_backward(np.ones((4, 5)), x, weight)[2] is None, "no bias, no bias gradient: return None"
check_vjp("linear_gelu (x, weight, bias)", fused_linear_gelu, linear_gelu_backward, [x, weight, bias])
print("Step 5 passed: the fused layer's gradients match central differences.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1805)
for trial in range(4):
    lead = tuple(int(s) for s in rng.integers(1, 4, size=int(rng.integers(1, 3))))
    n_in, n_out = (int(s) for s in rng.integers(1, 6, size=2))
    inputs = [rng.standard_normal(lead + (n_in,)), rng.standard_normal((n_in, n_out)), rng.standard_normal(n_out)]
    check_vjp(f"linear_gelu on x{lead + (n_in,)}, weight ({n_in}, {n_out})", fused_linear_gelu,
              linear_gelu_backward, inputs, seed=trial)
    check_vjp("linear_gelu without bias", lambda x, w: fused_linear_gelu(x, w),
              lambda g, x, w: linear_gelu_backward(g, x, w)[:2], inputs[:2], seed=trial + 10)
x = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
weight = Tensor(rng.standard_normal((4, 2)), requires_grad=True)
bias = Tensor(rng.standard_normal(2), requires_grad=True)
out = linear_gelu(x, weight, bias)
assert out.grad_fn is not None, "linear_gelu should attach a LinearGELUBackward node"
(out * Tensor(rng.standard_normal((3, 2)))).sum().backward()
assert x.grad.shape == (3, 4) and weight.grad.shape == (4, 2) and bias.grad.shape == (2,)
### END HIDDEN TESTS

# %% [markdown]
# ## Step 6 — Memory layout and strides
#
# An array is a flat block of bytes plus a shape and **strides**: the number of *bytes* to
# step in memory to move one place along each axis. For a C-order ("row-major") array of
# shape $(d_0, \dots, d_{r-1})$ and items of $s$ bytes, the last axis steps one item and each
# earlier axis steps over a whole block of the axes after it:
#
# $$\text{stride}_{r-1} = s, \qquad \text{stride}_i = \text{stride}_{i+1} \cdot d_{i+1}.$$
#
# A float32 array of shape (3, 4) has strides (16, 4). Its transpose has shape (4, 3) and
# strides (4, 16): the same bytes read in another order, no copy. Fortran order
# (`np.asfortranarray`, "column-major") is the transpose layout: the *first* axis steps one item.
# An array is **C-contiguous** when its strides are exactly the C-order ones — except that an
# axis of size 1 is never stepped along, so its stride does not matter. `np.ascontiguousarray`
# copies an array into C order when (and only when) it is not already.
#
# Why it matters: caches fetch 64 contiguous bytes at a time. A loop that walks memory in order
# uses all 16 float32 numbers of each fetch; a loop that jumps by a row's worth of bytes uses
# one and throws 15 away. Write:
#
# - `contiguous_strides(shape, itemsize)`: the C-order strides in bytes;
# - `is_contiguous(array)`: compare `array.strides` with them, ignoring axes of size 1 (an array
#   with no elements is contiguous);
# - `sum_over_axis(x, axis)` for a 2-D array: sum over `axis` with a Python loop whose every
#   step reads *contiguous* memory. There are two loop orders, and the strides say which one
#   reads memory in order:
#   - the reduced axis has the smaller stride: each line along it is contiguous, so loop over
#     the kept axis and `.sum()` each line;
#   - otherwise the *slices* `x[i]` (for axis 0; `x[:, i]` for axis 1) are contiguous: loop over
#     the reduced axis and add the slices into an accumulator of the kept axis's length.
#
#   `np.moveaxis(x, axis, 0)` is a view whose `[i]` is the i-th slice along `axis`. Keep x's dtype.

# %% nbgrader={"grade": false, "grade_id": "memory-layout-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
def contiguous_strides(shape, itemsize):
    """The strides in bytes of a C-order array of this shape and item size, as a tuple."""
    ### BEGIN SOLUTION
    strides = []
    step = itemsize
    for size in reversed(shape):
        strides.append(step)
        step *= size
    return tuple(reversed(strides))
    ### END SOLUTION


def is_contiguous(array):
    """True when `array` is laid out in C order: its strides equal contiguous_strides, where
    axes of size 1 may have any stride. Arrays with no elements are contiguous."""
    ### BEGIN SOLUTION
    if array.size == 0:
        return True
    expected = contiguous_strides(array.shape, array.itemsize)
    return all(size == 1 or stride == want for size, stride, want in zip(array.shape, array.strides, expected))
    ### END SOLUTION


def sum_over_axis(x, axis):
    """x.sum(axis=axis) for a 2-D array x (axis 0 or 1), looping in the order that reads
    contiguous memory (see the two cases above). Returns an array of x's dtype."""
    if x.ndim != 2 or axis not in (0, 1, -1, -2):
        raise ValueError(f"sum_over_axis takes a 2-D array and axis 0 or 1, got shape {x.shape} and axis {axis}")
    axis = axis % 2
    kept = 1 - axis
    ### BEGIN SOLUTION
    if abs(x.strides[axis]) <= abs(x.strides[kept]):
        # Lines along the reduced axis are contiguous: reduce each one.
        lines = np.moveaxis(x, kept, 0)
        return np.array([line.sum() for line in lines], dtype=x.dtype)
    # Slices across the reduced axis are contiguous: add them up one by one.
    total = np.zeros(x.shape[kept], dtype=x.dtype)
    for piece in np.moveaxis(x, axis, 0):
        total += piece
    return total
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "memory-layout", "locked": true, "points": 3, "schema_version": 3, "solution": false}
assert contiguous_strides((3, 4), 4) == (16, 4), f"float32 (3, 4): strides (16, 4), got {contiguous_strides((3, 4), 4)}"
assert contiguous_strides((2, 3, 5), 8) == (120, 40, 8), "float64 (2, 3, 5): strides (120, 40, 8)"
assert contiguous_strides((7,), 2) == (2,) and contiguous_strides((), 8) == ()
grid = np.arange(20, dtype=np.float32).reshape(4, 5)
assert is_contiguous(grid), "a fresh C-order array is contiguous"
assert not is_contiguous(grid.T), "a transpose is not C-contiguous (its strides are swapped)"
assert not is_contiguous(grid[:, ::2]), "every other column: strides (20, 8), not contiguous"
assert is_contiguous(grid[1:3]), "a block of whole rows is contiguous"
assert is_contiguous(grid[:1]), "shape (1, 5): the size-1 axis's stride does not matter"
assert not is_contiguous(np.asfortranarray(grid)), "Fortran order is not C order"
assert is_contiguous(np.ascontiguousarray(grid.T)), "np.ascontiguousarray makes a C-order copy"
for layout in (grid, np.asfortranarray(grid), grid.T, grid[::2, 1:]):
    for axis in (0, 1):
        result = sum_over_axis(layout, axis)
        np.testing.assert_allclose(result, layout.sum(axis=axis), rtol=1e-6,
                                   err_msg=f"sum_over_axis over axis {axis} of an array with strides {layout.strides}")
        assert result.dtype == np.float32, f"float32 in, float32 out; got {result.dtype}"
print("Step 6 passed: strides, contiguity and a layout-aware reduction.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1806)
for dtype in (np.float32, np.float64, np.int16):
    for _ in range(6):
        shape = tuple(int(s) for s in rng.integers(1, 6, size=int(rng.integers(1, 4))))
        array = np.zeros(shape, dtype=dtype)
        assert contiguous_strides(shape, array.itemsize) == array.strides, (shape, dtype)
        views = [array, array.T, np.asfortranarray(array), array[..., ::2], array[::-1], array[:1]]
        for view in views:
            assert bool(is_contiguous(view)) == view.flags["C_CONTIGUOUS"], (view.shape, view.strides)
assert is_contiguous(np.zeros((3, 0)))
assert is_contiguous(np.zeros(()))
for dtype, tolerance in ((np.float64, 1e-12), (np.float32, 1e-5)):
    for _ in range(6):
        rows, cols = (int(s) for s in rng.integers(1, 12, size=2))
        base = rng.standard_normal((rows, cols)).astype(dtype)
        for layout in (base, np.asfortranarray(base), base.T, base[::-1, ::2]):
            for axis in (0, 1, -1):
                result = sum_over_axis(layout, axis)
                assert result.dtype == dtype and result.shape == layout.sum(axis=axis).shape
                np.testing.assert_allclose(result, layout.astype(np.float64).sum(axis=axis), rtol=tolerance,
                                           atol=tolerance * 10)
### END HIDDEN TESTS

# %% [markdown]
# ### Systems view: the same sum, four ways
#
# A $2000\times2000$ float32 array (16 MB, bigger than the L2 cache) is summed over axis 0 in
# both layouts and both loop orders. The loop that walks contiguous memory is the one
# `sum_over_axis` picks. Then the transpose-then-reduce pattern: `x.T` costs nothing, but a
# loop over the rows of `x.T` walks columns of `x`, jumping 8000 bytes per step.

# %%
rng = np.random.default_rng(46)
c_order = rng.standard_normal((2000, 2000)).astype(np.float32)
f_order = np.asfortranarray(c_order)


def add_up_slices(x):
    total = np.zeros(x.shape[1], dtype=x.dtype)
    for row in x:
        total += row
    return total


def sum_each_column(x):
    return np.array([column.sum() for column in x.T], dtype=x.dtype)


print(f"C order strides {c_order.strides}, Fortran order strides {f_order.strides}")
for layout_name, layout in (("C order", c_order), ("Fortran order", f_order)):
    slices_time = measure(lambda: add_up_slices(layout))[1]
    columns_time = measure(lambda: sum_each_column(layout))[1]
    picked_time = measure(lambda: sum_over_axis(layout, 0))[1]
    print(f"{layout_name:13s}: add rows {slices_time * 1e3:6.1f} ms | sum each column {columns_time * 1e3:6.1f} ms "
          f"| sum_over_axis picks {picked_time * 1e3:6.1f} ms")

transposed = c_order.T
strided_rows = measure(lambda: add_up_slices(transposed))[1]
copy_then_rows = measure(lambda: add_up_slices(np.ascontiguousarray(transposed)))[1]
print(f"rows of x.T (strided): {strided_rows * 1e3:6.1f} ms | ascontiguousarray(x.T) first, copy included: "
      f"{copy_then_rows * 1e3:6.1f} ms")
print(f"numpy's own x.sum(axis=0): C {measure(lambda: c_order.sum(axis=0))[1] * 1e3:.2f} ms, "
      f"Fortran {measure(lambda: f_order.sum(axis=0))[1] * 1e3:.2f} ms   (all times: best of 5)")

# %% [markdown]
# The contiguous loop order wins in both layouts, by a factor that depends on the machine —
# the data and the arithmetic are identical, only the order of the reads changes. Copying the
# transpose into C order first (one pass, itself strided) can pay for itself when the data is
# then read many times. Numpy's own reductions already choose a good order internally, which
# is why `x.sum(axis=0)` is fast for either layout; your loops show what it is choosing
# between. Matrix products care too: BLAS handles transposed inputs by flags, but many other
# kernels call `np.ascontiguousarray` on their inputs first.
#
# ## Step 7 — Strided views: windows without copies
#
# Strides need not describe a plain grid. `np.lib.stride_tricks.as_strided(x, shape, strides)`
# builds a view with *any* shape and strides over x's memory. With a 1-D x whose one stride
# is $s$ bytes, windows of length $w$ starting every `step` items are a 2-D view:
#
# $$\text{shape} = \left(\left\lfloor \tfrac{n - w}{\text{step}} \right\rfloor + 1,\; w\right),
# \qquad \text{strides} = (\text{step} \cdot s,\; s).$$
#
# Window $i$ starts $i \cdot \text{step}$ items in, and neighbouring windows share memory: no
# number is copied. Use `x.strides[0]` for $s$, not the item size: x may itself be a strided
# view (`x = y[::2]` steps 2 items per element). Pass `writeable=False`: writing into one
# window would change its neighbours too. Convolutions (im2col), moving averages and
# n-gram features are all built on this trick; module 09's convolution can use it in 2-D.

# %% nbgrader={"grade": false, "grade_id": "strided-views-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
def sliding_windows(x, window, step=1):
    """Overlapping windows of a 1-D array as a read-only strided view (no copy).

    Row i of the result is x[i * step : i * step + window]. Shape (count, window) with
    count = (len(x) - window) // step + 1.
    """
    if x.ndim != 1:
        raise ValueError(f"sliding_windows takes a 1-D array, got shape {x.shape}")
    if not 1 <= window <= x.shape[0] or step < 1:
        raise ValueError(f"need 1 <= window <= {x.shape[0]} and step >= 1, got window {window}, step {step}")
    ### BEGIN SOLUTION
    count = (x.shape[0] - window) // step + 1
    item_stride = x.strides[0]
    return as_strided(x, shape=(count, window), strides=(step * item_stride, item_stride), writeable=False)
    ### END SOLUTION


def moving_average(x, window):
    """Mean of every window of `window` consecutive values of a 1-D array: one strided view, one reduction."""
    return sliding_windows(x, window).mean(axis=1)


# %% nbgrader={"grade": true, "grade_id": "strided-views", "locked": true, "points": 2, "schema_version": 3, "solution": false}
series = np.arange(8, dtype=np.float64)
windows = sliding_windows(series, 3)
assert windows.shape == (6, 3), f"8 values, windows of 3: 6 windows, got shape {windows.shape}"
np.testing.assert_array_equal(windows[0], [0, 1, 2], err_msg="first window")
np.testing.assert_array_equal(windows[-1], [5, 6, 7], err_msg="last window")
assert np.shares_memory(windows, series), "the windows must be a view of x, not a copy"
assert windows.strides == (8, 8), f"float64 windows step one item both ways: strides (8, 8), got {windows.strides}"
stepped = sliding_windows(series, 4, step=2)
np.testing.assert_array_equal(stepped, [[0, 1, 2, 3], [2, 3, 4, 5], [4, 5, 6, 7]], err_msg="windows of 4, step 2")
np.testing.assert_allclose(moving_average(series, 2), [0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5])
print("Step 7 passed: sliding windows are a strided view.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1807)
for dtype in (np.float32, np.float64, np.int32):
    for _ in range(6):
        base = rng.standard_normal(int(rng.integers(1, 40))).astype(dtype)
        spacing = int(rng.integers(1, 4))
        x = base[::spacing]                     # a strided input: its stride is not the item size
        window = int(rng.integers(1, len(x) + 1))
        step = int(rng.integers(1, 4))
        windows = sliding_windows(x, window, step)
        copied = np.stack([x[start:start + window] for start in range(0, len(x) - window + 1, step)])
        assert windows.shape == copied.shape and windows.dtype == dtype, (windows.shape, copied.shape)
        np.testing.assert_array_equal(windows, copied)
        assert np.shares_memory(windows, base), "sliding_windows should not copy"
        assert not windows.flags.writeable, "the windows view should be read-only"
single = np.array([4.0])
np.testing.assert_array_equal(sliding_windows(single, 1), [[4.0]])
### END HIDDEN TESTS

# %% [markdown]
# ### Systems view: a view costs nothing
#
# A million-sample series, windows of 64: the copied version holds 64 times the data; the
# view holds none of it.

# %%
series = np.random.default_rng(47).standard_normal(1_000_000).astype(np.float32)
window = 64
view_peak = peak_memory(lambda: sliding_windows(series, window))
copy_peak = peak_memory(lambda: np.stack([series[i:i + window] for i in range(0, 20_000)]))
view_time = measure(lambda: sliding_windows(series, window))[1]
print(f"series {series.nbytes / 2**20:.1f} MB; view of {len(series) - window + 1} windows: "
      f"{view_peak / 1024:.1f} KB allocated in {view_time * 1e6:.1f} µs")
print(f"copying only the first 20 000 windows: {copy_peak / 2**20:.1f} MB "
      f"(all of them would be {(len(series) - window + 1) * window * 4 / 2**30:.2f} GB)")
np.testing.assert_allclose(moving_average(series[:5000], window),
                           np.convolve(series[:5000], np.ones(window) / window, mode="valid"), rtol=1e-4, atol=1e-5)
print("moving_average equals np.convolve with a box filter")

# %% [markdown]
# ## Batching many small products
#
# Attention computes one small product per head and per sequence. A Python loop over 4096
# products of $16\times16$ matrices pays the call overhead 4096 times; `np.matmul` on stacked
# arrays of shape (4096, 16, 16) pays it once and loops in compiled code. Module 12 already
# does this; here is what it is worth.

# %%
rng = np.random.default_rng(48)
stack_a = rng.standard_normal((4096, 16, 16)).astype(np.float32)
stack_b = rng.standard_normal((4096, 16, 16)).astype(np.float32)
looped = np.stack([stack_a[i] @ stack_b[i] for i in range(len(stack_a))])
np.testing.assert_allclose(stack_a @ stack_b, looped, rtol=1e-5, atol=1e-5)
loop_time = measure(lambda: [stack_a[i] @ stack_b[i] for i in range(len(stack_a))])[1]
batched_time = measure(lambda: stack_a @ stack_b)[1]
print(f"4096 products of 16x16 (best of 5): loop {loop_time * 1e3:.1f} ms, one batched matmul "
      f"{batched_time * 1e3:.2f} ms ({loop_time / batched_time:.0f}x faster)")

# %% [markdown]
# ## Where TinyTorch spends its time
#
# Every TinyTorch operation is a Python method call that checks its arguments, calls numpy,
# wraps the result in a new `Tensor`, and (with autograd on and an input requiring grad)
# records a graph node. That is a fixed cost of microseconds *per operation*. For a big tensor
# it vanishes next to the numpy work; for a small one it *is* the work. Below, one layer
# `ReLU(x @ w + b)` in raw numpy, in TinyTorch Tensors, and in TinyTorch with graph recording.

# %%
rng = np.random.default_rng(49)
print("best of 9 runs")
print(f"{'size':>10} {'numpy':>10} {'Tensor':>10} {'+ graph':>10} {'overhead':>9}")
for n in (4, 64, 512):
    x_np, w_np, b_np = (rng.standard_normal(shape).astype(np.float32) for shape in ((n, n), (n, n), (n,)))
    x_t, w_t, b_t = Tensor(x_np), Tensor(w_np), Tensor(b_np)
    w_g, b_g = Tensor(w_np, requires_grad=True), Tensor(b_np, requires_grad=True)
    relu = ReLU()
    numpy_time = measure(lambda: np.maximum(x_np @ w_np + b_np, 0), repeats=9)[1]
    tensor_time = measure(lambda: relu(x_t @ w_t + b_t), repeats=9)[1]
    graph_time = measure(lambda: relu(x_t @ w_g + b_g), repeats=9)[1]
    print(f"{n:4d} x {n:<4d} {numpy_time * 1e6:8.1f}µs {tensor_time * 1e6:8.1f}µs {graph_time * 1e6:8.1f}µs "
          f"{graph_time / numpy_time:8.1f}x")

# %% [markdown]
# For $4\times4$ the framework is many times slower than numpy, all of it overhead: three
# Python-level operations, each a few microseconds. At $512\times512$ the ratio approaches 1:
# the time is the matrix product, and TinyTorch calls the same BLAS. That is the rule real
# frameworks live by too: PyTorch's per-operation overhead is also microseconds, which is
# why small models run faster after fusing operations (fewer calls) or batching inputs (bigger
# calls), and why `torch.compile` exists.
#
# ## Putting it together — an accelerated MLP
#
# The last step uses your kernels inside a real model. `fuse_linear_gelu(model)` takes a
# `Sequential` and returns a new `Sequential` in which every `Linear` that is directly followed
# by a `GELU` is replaced by one `FusedLinearGELU(linear)` (and the `GELU` dropped); every other
# layer is kept as it is. The new model shares the old one's parameter Tensors — no copies —
# so training either trains both. It must give the same outputs and the same gradients.

# %% nbgrader={"grade": false, "grade_id": "fuse-model-impl", "locked": false, "schema_version": 3, "solution": true}
#| export
def fuse_linear_gelu(model):
    """A new Sequential like `model`, with each Linear followed by a GELU fused into one FusedLinearGELU.

    Walk model.layers; when layers[i] is a Linear and layers[i + 1] a GELU, append
    FusedLinearGELU(layers[i]) and skip both; otherwise append layers[i] unchanged.
    """
    ### BEGIN SOLUTION
    layers, fused = model.layers, []
    index = 0
    while index < len(layers):
        layer = layers[index]
        if isinstance(layer, Linear) and index + 1 < len(layers) and isinstance(layers[index + 1], GELU):
            fused.append(FusedLinearGELU(layer))
            index += 2
        else:
            fused.append(layer)
            index += 1
    return Sequential(*fused)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "acceleration-integration", "locked": true, "points": 3, "schema_version": 3, "solution": false}
from autograder.gradcheck import check_model_gradients

np.random.seed(18)
plain = Sequential(Linear(6, 16), GELU(), Linear(16, 16), GELU(), Linear(16, 3))
fast = fuse_linear_gelu(plain)
assert [type(layer).__name__ for layer in fast.layers] == ["FusedLinearGELU", "FusedLinearGELU", "Linear"], \
    f"expected two fused layers and the last Linear, got {fast!r}"
assert [id(p) for p in fast.parameters()] == [id(p) for p in plain.parameters()], "the fused model must share the plain model's parameters"
x = Tensor(np.random.default_rng(8).standard_normal((5, 6)).astype(np.float32))
np.testing.assert_allclose(fast(x).data, plain(x).data, rtol=1e-5, atol=1e-6, err_msg="fused and plain outputs differ")

plain_grads = []
for model in (plain, fast):
    for p in model.parameters():
        p.zero_grad()
    (model(x) ** 2).sum().backward()
    plain_grads.append([p.grad.copy() for p in model.parameters()])
for index, (expected, found) in enumerate(zip(*plain_grads)):
    np.testing.assert_allclose(found, expected, rtol=1e-4, atol=1e-5, err_msg=f"gradient of parameter {index} differs")
print("Integration passed: the fused MLP gives the plain MLP's outputs and gradients.")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1808)
np.random.seed(1808)
widths = [int(w) for w in rng.integers(1, 7, size=4)]
plain = Sequential(Linear(widths[0], widths[1]), GELU(), Linear(widths[1], widths[2]), GELU(), ReLU(),
                   Linear(widths[2], widths[3], bias=False), GELU())
for p in plain.parameters():
    p.data = rng.standard_normal(p.data.shape)
fast = fuse_linear_gelu(plain)
assert [type(layer).__name__ for layer in fast.layers] == ["FusedLinearGELU", "FusedLinearGELU", "ReLU", "FusedLinearGELU"]
x = Tensor(rng.standard_normal((2, 3, widths[0])), requires_grad=True)
np.testing.assert_allclose(fast(x).data, plain(x).data, rtol=1e-10, atol=1e-12)
target = rng.standard_normal((2, 3, widths[3]))
check_model_gradients(fast, lambda: ((fast(x) - Tensor(target)) ** 2).mean(), inputs={"x": x}, max_entries=12)
unchanged = Sequential(Linear(3, 3), ReLU(), GELU())
assert [type(layer).__name__ for layer in fuse_linear_gelu(unchanged).layers] == ["Linear", "ReLU", "GELU"]
### END HIDDEN TESTS

# %% [markdown]
# ### Systems view: the fused MLP against the plain one
#
# Same parameters, same numbers. The fused forward makes one call per layer instead of a
# matmul, an add and GELU's chain of temporaries, so it needs less temporary memory; its
# backward pays one extra matrix product per fused layer to recompute $z$. Which effect wins
# in time depends on how much of the step the matrix products take — measure, do not guess.

# %%
np.random.seed(50)
plain = Sequential(Linear(256, 512), GELU(), Linear(512, 512), GELU(), Linear(512, 10))
fast = fuse_linear_gelu(plain)
batch = Tensor(np.random.default_rng(50).standard_normal((256, 256)).astype(np.float32))


def train_step(model):
    for p in model.parameters():
        p.zero_grad()
    (model(batch) ** 2).mean().backward()


for name, model in (("plain", plain), ("fused", fast)):
    forward_time = measure(lambda: model(batch), repeats=9)
    step_time = measure(lambda: train_step(model), repeats=9)
    print(f"{name}: forward best {forward_time[1] * 1e3:6.2f} ms (median {forward_time[0] * 1e3:6.2f}, "
          f"peak memory {peak_memory(lambda: model(batch)) / 2**20:4.1f} MB) | forward + backward best "
          f"{step_time[1] * 1e3:6.2f} ms (median {step_time[0] * 1e3:6.2f})")

# %% [markdown]
# ## Summary
#
# You built fast versions of the core operations and held each one to the plain version:
#
# - `matmul_loops`, `matmul_vectorized_rows`, `matmul_tiled`: interpreter overhead per element
#   is the first thing to remove (orders of magnitude); tiling is how compiled kernels use the
#   cache, and from Python it only pays when tiles are big enough to hide the call overhead —
#   BLAS does it better inside;
# - `fused_bias_relu`, `fused_softmax`, `fused_linear_gelu`: in-place ufuncs with `out=` cut the
#   temporaries (measured with `tracemalloc`) without changing a single result, and
#   `linear_gelu_backward` makes the fused layer trainable (checked against central
#   differences);
# - `contiguous_strides`, `is_contiguous`, `sum_over_axis`: strides in bytes decide which loop
#   order reads memory in sequence, and that order wins;
# - `sliding_windows`: a strided view of overlapping windows at zero memory cost;
# - `fuse_linear_gelu`: a model rewrite that keeps outputs and gradients and shares parameters.
#
# And you measured where a framework like TinyTorch spends its time: per-operation overhead
# for small tensors, BLAS for big ones. Which is why the next module, benchmarking, measures
# before it concludes.
#
# **Export your work** into your own package: `python -m autograder export` with this
# notebook writes `tinytorch/perf/acceleration.py`.
