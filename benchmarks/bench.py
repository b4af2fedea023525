"""`make bench`: the course's performance figures, as ratios measured in one run.

Each workload reports the median of repeated runs of tinytorch, of the same math written
directly in numpy, and of PyTorch when it is installed; the table is printed and written
to build/bench.md. BLAS and OpenMP are pinned to one thread so the ratios compare code,
not core counts. Absolute times depend on the machine; the ratios are what to read.
"""
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy is imported, so BLAS starts single-threaded

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import tinytorch.core.autograd  # noqa: E402,F401  (switches gradients on)
from tinytorch.core.tensor import Tensor  # noqa: E402

try:
    import torch  # noqa: E402

    torch.set_num_threads(1)
except ImportError:
    torch = None


def median_seconds(run, repeats, warmup=2):
    for _ in range(warmup):
        run()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def backward_only_seconds(depth, repeats):
    """Median time of loss.backward() alone on a chain that reuses x at every level."""
    x0 = np.random.default_rng(0).standard_normal((64, 64))
    samples = []
    for _ in range(repeats + 2):
        x = Tensor(x0, requires_grad=True)
        h = x
        for _ in range(depth):
            h = (h + x) * 0.5
        loss = h.sum()
        start = time.perf_counter()
        loss.backward()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples[2:])


def backward_chain(depth, repeats):
    """Forward and backward through h = (h + x) * 0.5, repeated `depth` times."""
    x0 = np.random.default_rng(0).standard_normal((64, 64))

    def tinytorch_step():
        x = Tensor(x0, requires_grad=True)
        h = x
        for _ in range(depth):
            h = (h + x) * 0.5
        h.sum().backward()

    def numpy_step():
        h = x0
        for _ in range(depth):
            h = (h + x0) * 0.5
        grad_h, grad_x = np.ones_like(x0), np.zeros_like(x0)
        for _ in range(depth):
            grad_h = grad_h * 0.5
            grad_x += grad_h
        return grad_x + grad_h

    def torch_step():
        x = torch.tensor(x0, requires_grad=True)
        h = x
        for _ in range(depth):
            h = (h + x) * 0.5
        h.sum().backward()

    return {
        "tinytorch": median_seconds(tinytorch_step, repeats),
        "numpy": median_seconds(numpy_step, repeats),
        "torch": median_seconds(torch_step, repeats) if torch else None,
    }


def ops_table(repeats):
    """The tensor and backward workloads: ratios against numpy (and PyTorch)."""
    rows = []
    chain = {depth: backward_chain(depth, repeats) for depth in (10, 20, 40)}
    for depth, result in chain.items():
        rows.append((f"forward+backward, chain depth {depth} (64x64, x reused at every level)", result))

    lines = [
        "| workload | tinytorch | numpy | tinytorch / numpy | torch | tinytorch / torch |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, result in rows:
        tt, npy, th = result["tinytorch"], result["numpy"], result["torch"]
        lines.append(
            f"| {name} | {tt * 1e3:.3f} ms | {npy * 1e3:.3f} ms | {tt / npy:.1f}x | "
            + (f"{th * 1e3:.3f} ms | {tt / th:.2f}x |" if th else "not installed | - |")
        )
    backward = {depth: backward_only_seconds(depth, repeats) for depth in (10, 20, 40)}
    lines += ["", "| chain depth | graph nodes | backward alone | per node |", "|---:|---:|---:|---:|"]
    for depth, seconds in backward.items():
        nodes = 2 * depth + 2
        lines.append(f"| {depth} | {nodes} | {seconds * 1e3:.3f} ms | {seconds / nodes * 1e6:.2f} us |")
    lines.append(f"\nBackward scaling: depth 20 takes {backward[20] / backward[10]:.2f}x and depth 40 "
                 f"{backward[40] / backward[10]:.2f}x the time of depth 10 (linear: 2x and 4x).")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30, help="timed runs per measurement (median reported)")
    parser.add_argument("--out", default=str(ROOT / "build" / "bench.md"), help="markdown table to write")
    parser.add_argument("--workload", choices=("ops", "grading", "all"), default="ops",
                        help="ops: tensor and backward ratios (default); grading: notebooks per minute "
                             "with 1 and 2 workers and the overhead over a plain run (minutes); all: both")
    parser.add_argument("--students", type=int, default=6, help="submissions graded by the grading workload")
    args = parser.parse_args(argv)
    sections = []
    if args.workload in ("ops", "all"):
        sections.append(ops_table(args.repeats))
    if args.workload in ("grading", "all"):
        from grading import grading_table

        sections.append(grading_table(args.students))
    table = "\n\n".join(sections)
    print(table)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(table + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
