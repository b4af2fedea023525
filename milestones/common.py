"""What every milestone script shares: the project on sys.path, seeding, the figure folder,
the report, and the command line. Kept small: each script reads on its own."""
import argparse
import json
import os
import sys
import time
from pathlib import Path

# One BLAS thread, unless the caller says otherwise: these are small matrices, the figures
# come out bit-for-bit the same on every machine size, and a busy machine does not make
# BLAS threads spin against each other (measured: 8x slower with 2 threads under load).
# It works only before numpy is first imported, so every script imports common first.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # a fresh clone: the reference tinytorch is not installed

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # files only: no display needed, same pixels everywhere
import matplotlib.pyplot as plt  # noqa: E402,F401  (re-exported for the scripts)
import numpy as np  # noqa: E402

FIGURES = ROOT / "build" / "milestones"


def seed_everything(seed):
    """Layers draw their initial weights from np.random's global state: seed it, and return a
    Generator for everything the script draws itself."""
    np.random.seed(seed)
    return np.random.default_rng(seed)


def save_figure(figure, name, out_dir=None):
    """Write the figure as <out_dir or build/milestones>/<name>.png and return the path."""
    folder = Path(out_dir) if out_dir is not None else FIGURES
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)
    return path


def report(title, rows, started=None):
    """Print a short report: a title, then 'name  value' lines, then the wall time."""
    print(title)
    print("-" * len(title))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name.ljust(width)}  {value}")
    if started is not None:
        print(f"  {'time'.ljust(width)}  {time.perf_counter() - started:.1f} s")


def run(main, description):
    """The command line every milestone has: `--fast` (the tests' short run), `--out DIR`,
    `--json FILE` (the figures main() returns, for tests/milestones)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--fast", action="store_true", help="a short run (what tests/milestones runs)")
    parser.add_argument("--out", default=None, help=f"folder for the figure (default {FIGURES.relative_to(ROOT)})")
    parser.add_argument("--json", default=None, help="also write the results as JSON to this file")
    args = parser.parse_args()
    results = main(fast=args.fast, out_dir=args.out)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0




def digits_loaders(seed, image_shape, batch_size=32, test_fraction=0.2):
    """The shipped 8x8 digits scaled to [0, 1] and split 80/20 by a seeded shuffle:
    (training DataLoader, shuffled with `seed`; test DataLoader; training size; test size).

    image_shape: (64,) for an MLP, (1, 8, 8) for a CNN."""
    from tinytorch.core.dataloader import DataLoader, TensorDataset, load_digits, train_test_split

    images, labels = load_digits()
    x = images.reshape((len(images),) + tuple(image_shape)).astype(np.float32) / 16.0
    x_train, x_test, y_train, y_test = train_test_split(x, labels, test_fraction=test_fraction, seed=seed)
    train = DataLoader(TensorDataset(x_train, y_train), batch_size=batch_size, shuffle=True, seed=seed)
    test = DataLoader(TensorDataset(x_test, y_test), batch_size=256)
    return train, test, len(x_train), len(x_test)


def train_and_evaluate(trainer, train, test, epochs):
    """Fit for `epochs` (the test set as validation), then evaluate: (history, results dict)."""
    history = trainer.fit(train, test, epochs=epochs, progress=False)
    final = trainer.evaluate(test)
    return history, {
        "test_accuracy": final["accuracy"],
        "test_loss": final["loss"],
        "train_loss": history["train_loss"][-1],
        "epochs": epochs,
        "parameters": int(sum(p.data.size for p in trainer.model.parameters())),
    }


def plot_learning_curves(curves, history, title, accuracy_floor):
    """Training and test loss per epoch (log scale) on `curves`, test accuracy on a twin axis."""
    epoch_numbers = np.arange(1, len(history["train_loss"]) + 1)
    curves.plot(epoch_numbers, history["train_loss"], label="training loss")
    curves.plot(epoch_numbers, history["val_loss"], label="test loss")
    curves.set(xlabel="epoch", ylabel="cross-entropy", yscale="log", title=title)
    accuracy_axis = curves.twinx()
    accuracy_axis.plot(epoch_numbers, history["val_accuracy"], color="tab:green", label="test accuracy")
    accuracy_axis.set(ylabel="test accuracy", ylim=(accuracy_floor, 1.0))
    lines = curves.get_lines() + accuracy_axis.get_lines()
    curves.legend(lines, [line.get_label() for line in lines], loc="center right", fontsize=8)
