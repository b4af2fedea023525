"""1986: backpropagation trains a hidden layer, and the hidden layer learns features.

Rumelhart, Hinton and Williams (Nature, 1986) showed that gradient descent with the chain
rule, through layers of logistic units, learns internal representations that no one wrote
by hand. Here the same recipe -- sigmoid hidden units, backpropagated gradients, gradient
descent with momentum -- reads the shipped 8x8 handwritten digits.

    python milestones/1986_mlp_digits.py [--fast]
"""
import time

# common first: it pins BLAS to one thread before numpy loads
from common import (digits_loaders, plot_learning_curves, plt, report, run, save_figure, seed_everything,
                    train_and_evaluate)

import numpy as np

from tinytorch.core.activations import Sigmoid
from tinytorch.core.layers import Linear, Sequential
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.optimizers import SGD
from tinytorch.core.training import Trainer

SEED = 1986
HIDDEN = 64


def main(fast=False, out_dir=None):
    started = time.perf_counter()
    seed_everything(SEED)
    epochs = 8 if fast else 40
    train, test, train_size, test_size = digits_loaders(SEED, (64,))
    model = Sequential(Linear(64, HIDDEN), Sigmoid(), Linear(HIDDEN, 10))
    # Softmax cross-entropy rather than the paper's squared error: the same backpropagation,
    # and the loss every later milestone uses.
    trainer = Trainer(model, SGD(model.parameters(), lr=0.1, momentum=0.9), CrossEntropyLoss())
    history, results = train_and_evaluate(trainer, train, test, epochs)

    figure = plt.figure(figsize=(12, 4.5))
    grid = figure.add_gridspec(4, 10)
    curves = figure.add_subplot(grid[:, :5])
    plot_learning_curves(curves, history,
                         f"MLP 64-{HIDDEN}-10: test accuracy {results['test_accuracy']:.1%}", accuracy_floor=0.8)
    # What backpropagation put into the hidden layer: each unit's 64 incoming weights as an image.
    weights = model[0].weight.data
    for unit in range(16):
        axis = figure.add_subplot(grid[unit // 4, 6 + unit % 4])
        limit = np.abs(weights[:, unit]).max()
        axis.imshow(weights[:, unit].reshape(8, 8), cmap="RdBu", vmin=-limit, vmax=limit)
        axis.set_axis_off()
    figure.text(0.78, 0.94, "incoming weights of 16 hidden units", ha="center")
    results["figure"] = str(save_figure(figure, "1986_mlp_digits", out_dir))

    report("1986 backpropagation: an MLP reads handwritten digits", [
        ("data", f"8x8 digits, {train_size} training / {test_size} held-out images"),
        ("model", f"Linear 64-{HIDDEN}, Sigmoid, Linear {HIDDEN}-10 ({results['parameters']} parameters)"),
        ("training", f"SGD lr 0.1, momentum 0.9, batch 32, {epochs} epochs"),
        ("test accuracy", f"{results['test_accuracy']:.3f} (test loss {results['test_loss']:.3f})"),
        ("figure", results["figure"]),
    ], started)
    return results


if __name__ == "__main__":
    raise SystemExit(run(main, __doc__.splitlines()[0]))
