"""`make bench`: the course's performance figures, as ratios measured in one run.

One markdown table, printed and written to build/bench.md. Each row is the median of
repeated runs of tinytorch, of a baseline -- the same math written directly in numpy, or
for autograding the same notebook run without nbgrader (benchmarks/grading.py) -- and of
PyTorch when it is installed. BLAS and OpenMP are pinned to one thread so the ratios
compare code, not core counts. Absolute times depend on the machine; the ratios are what
to read. `--workload ops` leaves out the autograding rows, which take minutes.
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


def mlp_step(sizes, batch, repeats):
    """One SGD training step of an MLP in -> hidden -> out with ReLU: forward, cross-entropy,
    backward, update. The numpy version writes the backward by hand."""
    from tinytorch.core.activations import ReLU
    from tinytorch.core.layers import Linear, Sequential
    from tinytorch.core.losses import CrossEntropyLoss
    from tinytorch.core.optimizers import SGD

    n_in, n_hidden, n_out = sizes
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((batch, n_in)).astype(np.float32)
    y0 = rng.integers(0, n_out, size=batch)
    np.random.seed(0)
    model = Sequential(Linear(n_in, n_hidden), ReLU(), Linear(n_hidden, n_out))
    optimizer, loss_fn = SGD(model.parameters(), lr=0.01), CrossEntropyLoss()
    w1, b1, w2, b2 = (p.data.copy() for p in model.parameters())
    x, y = Tensor(x0), y0

    def tinytorch_step():
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()

    def numpy_step():
        pre = x0 @ w1 + b1
        hidden = np.maximum(pre, 0)
        logits = hidden @ w2 + b2
        shifted = logits - logits.max(axis=1, keepdims=True)
        probabilities = np.exp(shifted)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        grad_logits = probabilities
        grad_logits[np.arange(batch), y0] -= 1
        grad_logits /= batch
        grad_w2, grad_b2 = hidden.T @ grad_logits, grad_logits.sum(axis=0)
        grad_pre = (grad_logits @ w2.T) * (pre > 0)
        grad_w1, grad_b1 = x0.T @ grad_pre, grad_pre.sum(axis=0)
        for param, grad in ((w1, grad_w1), (b1, grad_b1), (w2, grad_w2), (b2, grad_b2)):
            param -= 0.01 * grad

    result = {"tinytorch": median_seconds(tinytorch_step, repeats), "numpy": median_seconds(numpy_step, repeats),
              "torch": None}
    if torch:
        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Linear(n_in, n_hidden), torch.nn.ReLU(), torch.nn.Linear(n_hidden, n_out))
        torch_optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
        x_t, y_t = torch.from_numpy(x0), torch.from_numpy(y0)

        def torch_step():
            torch_optimizer.zero_grad()
            torch.nn.functional.cross_entropy(net(x_t), y_t).backward()
            torch_optimizer.step()

        result["torch"] = median_seconds(torch_step, repeats)
    return result


def conv2d(repeats):
    """Conv2d forward+backward, N=32, C 3->16, 32x32, k=3, padding 1 (the spec of issue 5)."""
    from tinytorch.core.spatial import Conv2d

    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((32, 3, 32, 32)).astype(np.float32)
    np.random.seed(0)
    layer = Conv2d(3, 16, 3, padding=1)
    w0, b0 = layer.weight.data.copy(), layer.bias.data.copy()
    upstream = rng.standard_normal((32, 16, 32, 32)).astype(np.float32)

    def tinytorch_step():
        x = Tensor(x0, requires_grad=True)
        layer.weight.grad = layer.bias.grad = None
        (layer(x) * Tensor(upstream)).sum().backward()

    def numpy_step():
        # the same im2col algorithm with no framework around it
        padded = np.pad(x0, ((0, 0), (0, 0), (1, 1), (1, 1)))
        windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(2, 3))  # N C H W kh kw
        cols = windows.transpose(1, 4, 5, 0, 2, 3).reshape(27, -1)
        out = (w0.reshape(16, 27) @ cols).reshape(16, 32, 32, 32).transpose(1, 0, 2, 3) + b0[None, :, None, None]
        grad = upstream.transpose(1, 0, 2, 3).reshape(16, -1)
        grad_w = grad @ cols.T
        grad_b = grad.sum(axis=1)
        grad_cols = (w0.reshape(16, 27).T @ grad).reshape(3, 3, 3, 32, 32, 32)
        grad_padded = np.zeros_like(padded)
        for i in range(3):
            for j in range(3):
                grad_padded[:, :, i:i + 32, j:j + 32] += grad_cols[:, i, j].transpose(1, 0, 2, 3)
        return out, grad_w, grad_b, grad_padded[:, :, 1:-1, 1:-1]

    def torch_step():
        x = torch.tensor(x0, requires_grad=True)
        w = torch.tensor(w0, requires_grad=True)
        b = torch.tensor(b0, requires_grad=True)
        (torch.nn.functional.conv2d(x, w, b, padding=1) * torch.from_numpy(upstream)).sum().backward()

    return {
        "tinytorch": median_seconds(tinytorch_step, repeats),
        "numpy": median_seconds(numpy_step, repeats),
        "torch": median_seconds(torch_step, repeats) if torch else None,
    }


def gpt_step(repeats):
    """GPT forward+backward: vocab 50, d_model 64, 2 layers, 4 heads, sequence 32, batch 8."""
    from tinytorch.core.transformer import GPT

    rng = np.random.default_rng(0)
    ids = rng.integers(0, 50, size=(8, 32))
    targets = rng.integers(0, 50, size=(8, 32))
    np.random.seed(0)
    model = GPT(vocab_size=50, embed_dim=64, num_layers=2, num_heads=4, max_seq_len=32)

    def tinytorch_step():
        for p in model.parameters():
            p.grad = None
        model.loss(ids, targets).backward()

    result = {"tinytorch": median_seconds(tinytorch_step, repeats), "numpy": None, "torch": None}
    if torch:
        class Block(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.ln1, self.ln2 = torch.nn.LayerNorm(64), torch.nn.LayerNorm(64)
                self.attention = torch.nn.MultiheadAttention(64, 4, batch_first=True)
                self.mlp = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.GELU("tanh"), torch.nn.Linear(256, 64))

            def forward(self, x, mask):
                h = self.ln1(x)
                x = x + self.attention(h, h, h, attn_mask=mask, need_weights=False)[0]
                return x + self.mlp(self.ln2(x))

        tokens, positions = torch.nn.Embedding(50, 64), torch.nn.Embedding(32, 64)
        blocks = torch.nn.ModuleList([Block(), Block()])
        final, head = torch.nn.LayerNorm(64), torch.nn.Linear(64, 50)
        mask = torch.triu(torch.ones(32, 32, dtype=torch.bool), diagonal=1)  # True = may not attend
        ids_t, targets_t = torch.from_numpy(ids), torch.from_numpy(targets)
        modules = torch.nn.ModuleList([tokens, positions, blocks, final, head])

        def torch_step():
            modules.zero_grad(set_to_none=True)
            x = tokens(ids_t) + positions(torch.arange(32))
            for block in blocks:
                x = block(x, mask)
            logits = head(final(x))
            torch.nn.functional.cross_entropy(logits.reshape(-1, 50), targets_t.reshape(-1)).backward()

        result["torch"] = median_seconds(torch_step, repeats)
    return result


def ops_rows(repeats):
    """The tensor and training workloads: (name, {"tinytorch", "numpy", "torch": seconds or None})."""
    rows = [
        ("MLP 64-32-10 training step (forward, loss, backward, SGD), batch 32", mlp_step((64, 32, 10), 32, repeats)),
        ("MLP 784-256-10 training step (forward, loss, backward, SGD), batch 256",
         mlp_step((784, 256, 10), 256, repeats)),
        ("Conv2d forward+backward, N=32, C 3->16, 32x32, k=3, pad 1", conv2d(repeats)),
        ("GPT forward+backward, vocab 50, d 64, 2 layers, 4 heads, seq 32, batch 8", gpt_step(repeats)),
    ]
    for depth in (10, 20, 40):
        rows.append((f"forward+backward, chain depth {depth} (64x64, x reused at every level)",
                     backward_chain(depth, repeats)))
    return rows


def backward_note(repeats):
    """One line: backward alone on the three chains, and whether its time grows linearly."""
    seconds = {depth: backward_only_seconds(depth, repeats) for depth in (10, 20, 40)}
    per_node = ", ".join(f"depth {d}: {t * 1e3:.3f} ms ({t / (2 * d + 2) * 1e6:.2f} us per node)"
                         for d, t in seconds.items())
    return (f"Backward alone: {per_node}. Depth 20 takes {seconds[20] / seconds[10]:.2f}x and depth 40 "
            f"{seconds[40] / seconds[10]:.2f}x the time of depth 10 (linear in the graph: 2x and 4x).")


def grading_rows(students):
    """Autograding throughput, with a plain nbclient run of the same notebook as the baseline."""
    from grading import grading_rates

    result = grading_rates(students, ROOT / "build" / "bench-grading")
    plain, rows = result["plain"], []
    for workers, (per_minute, seconds, kernel) in result["rates"].items():
        rows.append((f"autograde {result['module']}, {students} notebooks, {workers} worker{'s' * (workers > 1)}: "
                     f"{per_minute:.1f} notebooks/min (time per notebook; kernel {kernel})",
                     {"tinytorch": seconds, "numpy": plain, "torch": None}))
    return rows


def cell(seconds):
    return f"{seconds * 1e3:.3f} ms" if seconds < 1 else f"{seconds:.2f} s"


def table(rows):
    lines = [
        "| workload | tinytorch | baseline | tinytorch / baseline | torch | tinytorch / torch |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, result in rows:
        tt, base, th = result["tinytorch"], result["numpy"], result["torch"]
        lines.append(
            f"| {name} | {cell(tt)} | "
            + (f"{cell(base)} | {tt / base:.1f}x | " if base else "- | - | ")
            + (f"{cell(th)} | {tt / th:.2f}x |" if th else ("not installed | - |" if torch is None else "- | - |"))
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30, help="timed runs per measurement (median reported)")
    parser.add_argument("--out", default=str(ROOT / "build" / "bench.md"), help="markdown table to write")
    parser.add_argument("--workload", choices=("all", "ops", "grading"), default="all",
                        help="all: the whole table (default, a few minutes); ops: the tensor and training "
                             "rows only (under a minute); grading: the autograding rows only")
    parser.add_argument("--students", type=int, default=6, help="submissions graded by the grading rows")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows, notes = [], []
    if args.workload in ("ops", "all"):
        rows += ops_rows(args.repeats)
        notes.append(backward_note(args.repeats))
    if args.workload in ("grading", "all"):
        rows += grading_rows(args.students)
    notes.append("Baseline: the same math written directly in numpy (the MLP with its backward by hand); "
                 "for autograding, the same notebook executed by nbclient alone (kernel start and cells, "
                 "no nbgrader). Medians of repeated runs, BLAS and PyTorch pinned to one thread; "
                 f"absolute times depend on the machine, the ratios are what to read. Took "
                 f"{time.perf_counter() - started:.0f} s.")
    text = table(rows) + "\n\n" + "\n\n".join(notes)
    print(text)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
